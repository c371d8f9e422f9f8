// Recovery workload of peer_bench: how fast each engine reopens after a crash that leaves a
// full log. A child process (this program re-executed as "crashfill") opens a fresh database
// with a write buffer and log cap four times larger than the log it writes, so nothing is
// flushed; writes batches of kRecoveryBatch puts of kRecoveryValueBytes-byte values,
// sync=false, until recovery_mb MiB of user data are written; syncs the log (so the data is
// on disk, not only in the page cache); and kills itself with SIGKILL. The parent evicts the
// directory from the page cache (drop_caches as root), then times Open plus one Get of the
// last key written (its value is checked). mb_per_sec is user data recovered per second of
// open. LMDB keeps no log (its data is already in its B-tree); its open time is reported as
// measured.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "workload.h"

namespace cairn_bench {
namespace {

constexpr int kRecoveryBatch = 16;
constexpr int kRecoveryValueBytes = 1000;

uint64_t RecoveryKeys(uint64_t mb) {
  uint64_t per_batch = kRecoveryBatch * (16 + kRecoveryValueBytes);
  uint64_t batches = ((mb << 20) + per_batch - 1) / per_batch;
  return batches * kRecoveryBatch;
}

EngineConfig RecoveryConfig(uint64_t mb) {
  EngineConfig config;
  config.write_buffer_bytes = static_cast<size_t>(4 * (mb << 20));
  config.max_log_bytes = 4 * (mb << 20);
  return config;
}

}  // namespace

// The child: fill, sync, SIGKILL itself. Returns only on error.
int CrashFill(const std::string& name, const std::string& dir, uint64_t mb) {
  std::unique_ptr<Engine> e = OpenEngine(name, dir, RecoveryConfig(mb));
  if (e == nullptr) return 1;
  Values values(kRecoveryValueBytes);
  uint64_t keys = RecoveryKeys(mb);
  std::vector<KeyValue> batch;
  for (uint64_t i = 0; i < keys; i++) {
    batch.emplace_back(Key(i), std::string(values.For(i)));
    if (batch.size() == kRecoveryBatch) {
      if (!Check(e->Write(batch, false), name + " crashfill write")) return 1;
      batch.clear();
    }
  }
  if (!Check(e->Sync(), name + " crashfill sync")) return 1;
  std::fflush(stdout);
  ::kill(::getpid(), SIGKILL);
  return 1;  // not reached
}

int RecoveryWorkload(const PeerFlags& flags) {
  Values values(kRecoveryValueBytes);
  uint64_t keys = RecoveryKeys(flags.recovery_mb);
  for (int run = 1; run <= flags.repeat; run++) {
    for (const std::string& name : flags.engines) {
      Fresh(flags.dir);
      std::fflush(stdout);
      pid_t pid = ::fork();
      if (pid == 0) {
        std::string mb = std::to_string(flags.recovery_mb);
        ::execl("/proc/self/exe", "peer_bench", "crashfill", "--engine", name.c_str(), "--dir",
                flags.dir.c_str(), "--mb", mb.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
      }
      int status = 0;
      if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) ||
          WTERMSIG(status) != SIGKILL) {
        std::fprintf(stderr, "error: %s crashfill child did not end with SIGKILL\n", name.c_str());
        return 1;
      }
      uint64_t disk = DirBytes(flags.dir);
      bool cold = DropPageCache();
      if (!cold) EvictDir(flags.dir);
      auto start = Clock::now();
      std::unique_ptr<Engine> e = OpenEngine(name, flags.dir, RecoveryConfig(flags.recovery_mb),
                                             /*keep=*/true);
      if (e == nullptr) return 1;
      std::string value;
      if (!Check(e->Get(Key(keys - 1), &value), name + " get after recovery")) return 1;
      double seconds = Seconds(Clock::now() - start);
      if (value != values.For(keys - 1)) {
        std::fprintf(stderr, "error: %s: wrong value after recovery\n", name.c_str());
        return 1;
      }
      e->Close();
      double user = static_cast<double>(keys) * (16 + kRecoveryValueBytes);
      Line line("recovery");
      line.Add("engine", name).Add("run", std::to_string(run)).Add("cold", cold ? "1" : "0");
      line.Add("user_mb", user / 1e6, 1).Add("disk_mb", static_cast<double>(disk) / 1e6, 1);
      line.Add("open_ms", seconds * 1e3, 1).Add("mb_per_sec", user / 1e6 / seconds, 0);
      line.Print();
    }
  }
  return 0;
}

}  // namespace cairn_bench
