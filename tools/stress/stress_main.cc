// cairn-stress: multi-threaded random operations on a Cairn database, checked against an
// expected-state oracle kept on disk beside it (<db>.expected), so that a run can be killed
// at any instant and the next run verifies what survived. docs/stress.md explains the oracle,
// the kill points and how to replay a failure.
//
//   cairn-stress --db DIR [--seed N] [--duration S] [--threads T] [--keys K] ...
//   cairn-stress --db DIR --verify-only
//
// Every run first opens the database and verifies it against the oracle (in-flight writes
// of a killed predecessor may be found either way; batches must be all-or-nothing), then
// runs the workers, then closes, reopens and verifies again. With --kill-odds N the database
// runs on a KillPointEnv that SIGKILLs the process at named points (logged to
// <db>.killpoints before the kill).
//
// Exit status: 0 all checks passed; 1 a check failed (each failure is printed with the seed
// and the replay command); 2 bad arguments or the oracle could not be opened.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "stress/expected_state.h"
#include "stress/stress_run.h"
#include "stress/stress_values.h"
#include "testsupport/kill_point_env.h"

namespace cairn::stress {
namespace {

// The replay command: the program and every option as given, with the seed made explicit.
std::string ReplayCommand(int argc, char** argv, uint64_t seed, bool seed_given) {
  std::string out = "cairn-stress";
  for (int i = 1; i < argc; ++i) {
    out += " ";
    out += argv[i];
  }
  if (!seed_given) out += " --seed " + std::to_string(seed);
  return out;
}

// Verifies what the last run left, then (unless `verify_only`) runs the workers, closes,
// reopens and verifies again. Returns the exit status.
int VerifyAndRun(const StressConfig& config, bool verify_only, ExpectedState* state, Env* env,
                 KillPointEnv* kill_env) {
  StressRun run(config, state, env);
  if (!run.OpenAndVerify(/*after_crash=*/true)) return 1;
  if (verify_only) {
    run.Close();
    std::printf("verify-only: ok\n");
    return 0;
  }
  const bool ran_ok = run.Run();
  run.Close();
  // A clean close must keep every acknowledged write, with nothing in flight.
  const bool final_ok = ran_ok && run.OpenAndVerify(/*after_crash=*/false);
  run.Close();
  std::printf("stress: %s seed=%llu %s operations-total=%llu\n", final_ok ? "ok" : "FAILED",
              static_cast<unsigned long long>(config.seed), run.OpCounts().c_str(),
              static_cast<unsigned long long>(state->operations_total()));
  if (kill_env != nullptr) {
    std::string passes;
    for (const auto& [point, count] : kill_env->PassCounts()) {
      passes += " " + point + "=" + std::to_string(count);
    }
    std::printf("kill points passed:%s\n", passes.c_str());
  }
  return final_ok ? 0 : 1;
}

int Main(int argc, char** argv) {
  CLI::App app{"cairn-stress: randomized, crash-checked stress test for Cairn"};
  StressConfig config;
  bool verify_only = false;
  std::string kill_log;
  app.add_option("--db", config.db_dir, "database directory (oracle: <db>.expected)")->required();
  app.add_option("--seed", config.seed, "random seed (default: a fresh one, printed)");
  app.add_option("--keys", config.keys, "size of the key space")
      ->check(CLI::Range(1u, kKeysMax - 1));
  app.add_option("--threads", config.threads, "worker threads")->check(CLI::Range(1, 64));
  app.add_option("--duration", config.duration_s, "seconds to run (default 10)");
  app.add_option("--ops-per-thread", config.ops_per_thread,
                 "stop each thread after this many operations (0: use --duration)");
  app.add_option("--reopen-every", config.reopen_every,
                 "close, reopen and verify after this many operations (0: never)");
  app.add_option("--sync-percent", config.sync_percent, "share of writes with sync = true")
      ->check(CLI::Range(0, 100));
  app.add_option("--kill-odds", config.kill_odds,
                 "whitebox: SIGKILL at each kill point with odds 1/N (0: off)");
  app.add_option("--kill-log", kill_log,
                 "where fired kill points are logged "
                 "(default <db>.killpoints)");
  app.add_flag("--verify-only", verify_only, "open, verify against the oracle, close, exit");
  app.add_flag("--self-test-torn-batch", config.self_test_torn_batch,
               "test of the checker: write one key of the first batch alone and die");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports parse errors by exception; it never reaches the engine.
    return app.exit(e) == 0 ? 0 : 2;
  }
  const bool seed_given = app.count("--seed") > 0;
  if (!seed_given) config.seed = std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32);
  config.replay_command = ReplayCommand(argc, argv, config.seed, seed_given);
  if (kill_log.empty()) kill_log = config.db_dir + ".killpoints";

  Result<std::unique_ptr<ExpectedState>> state =
      ExpectedState::Open(config.db_dir + ".expected", config.keys);
  if (!state.ok()) {
    std::fprintf(stderr, "cairn-stress: oracle: %s\n", state.status().ToString().c_str());
    return 2;
  }
  const uint64_t run_number = state.value()->NewRun();
  std::printf("cairn-stress: run %llu seed %llu: %s\n", static_cast<unsigned long long>(run_number),
              static_cast<unsigned long long>(config.seed), config.replay_command.c_str());
  std::fflush(stdout);

  std::unique_ptr<KillPointEnv> kill_env;
  Env* env = Env::Default();
  if (config.kill_odds != 0 && !verify_only) {
    kill_env = std::make_unique<KillPointEnv>(env, config.kill_odds, config.seed, kill_log);
    env = kill_env.get();
  }
  return VerifyAndRun(config, verify_only, state.value().get(), env, kill_env.get());
}

}  // namespace
}  // namespace cairn::stress

int main(int argc, char** argv) { return cairn::stress::Main(argc, argv); }
