// peer_bench: the same workloads on Cairn and its peers (RocksDB, LevelDB, LMDB, SQLite,
// WiredTiger), with the machine's physical limits measured in the same run
// (docs/benchmarks.md, "Peers"). In the spirit of RocksDB's db_bench.
//
//   peer_bench physical   fdatasync latency, sequential write and read bandwidth
//   peer_bench fill       fillseq, fillrandom, overwrite (sync=false), space amplification
//   peer_bench durable    synced puts from --threads threads, beside raw group-commit logs
//   peer_bench read       readseq, readrandom (cache big / small), seekrandom + 10 nexts
//   peer_bench recovery   reopen after SIGKILL with a full log
//   peer_bench stall      writer latency before and during a large load + full compaction
//   peer_bench smoke      every workload, tiny, on every engine: checks the adapters
//
// Output: "settings engine=NAME: ..." lines, then one key=value line per run with
// mode=WORKLOAD engine=NAME run=R (bench/bench.h); bench/peer/report.py makes the tables.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <sstream>

#include "workload.h"

using namespace cairn_bench;

namespace {

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

// Shrinks every size so the whole suite runs in seconds; what it checks stays the same.
void MakeSmoke(PeerFlags* f) {
  f->repeat = 1;
  f->num = 3000;
  f->reads = 2000;
  f->fill_buffer_bytes = 256u << 10;
  f->threads = {1, 4};
  f->durable_ops = 40;
  f->recovery_mb = 2;
  f->stall_load_mb = 2;
  f->stall_before_s = 0.2;
  f->stall_after_s = 0.05;
  f->stall_rate = 2000;
}

// Runs one workload subcommand (or, for "smoke", all of them at tiny sizes).
int Run(const std::string& cmd, PeerFlags flags) {
  if (cmd == "physical") return PhysicalLimits(flags);
  if (cmd == "fill") return FillWorkloads(flags);
  if (cmd == "durable") return DurableWorkload(flags);
  if (cmd == "read") return ReadWorkloads(flags);
  if (cmd == "recovery") return RecoveryWorkload(flags);
  if (cmd == "stall") return StallWorkload(flags);
  MakeSmoke(&flags);
  for (int (*w)(const PeerFlags&) : {PhysicalLimits, FillWorkloads, DurableWorkload,
                                     ReadWorkloads, RecoveryWorkload, StallWorkload}) {
    if (int rc = w(flags); rc != 0) return rc;
  }
  std::printf("# smoke: every workload ran on every engine and read back correct data\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"peer_bench: Cairn and its peers on the same workloads"};
  app.require_subcommand(1);
  PeerFlags flags;
  flags.dir = "./peer-bench-data";
  std::string engines, threads;
  auto add = [&](const std::string& name, const std::string& help) {
    CLI::App* c = app.add_subcommand(name, help);
    c->add_option("--dir", flags.dir, "scratch directory (wiped)");
    c->add_option("--engines", engines, "comma-separated engines (default: all built in)");
    c->add_option("--repeat", flags.repeat, "repetitions, engines interleaved in each");
    c->add_option("--num", flags.num, "keys in the fill and read workloads");
    c->add_option("--value-size", flags.value_size, "value bytes (keys are 16)");
    c->add_option("--fill-buffer-bytes", flags.fill_buffer_bytes, "write buffer of fill and stall");
    c->add_option("--reads", flags.reads, "Gets and seeks per read run");
    c->add_option("--threads", threads, "durable: comma-separated thread counts");
    c->add_option("--durable-ops", flags.durable_ops, "durable: puts per run");
    c->add_option("--raw-logs", flags.raw_logs, "durable: also run the raw logs (default true)");
    c->add_option("--recovery-mb", flags.recovery_mb, "recovery: MiB of log before the crash");
    c->add_option("--load-mb", flags.stall_load_mb, "stall: MiB loaded during the measurement");
    c->add_option("--rate", flags.stall_rate, "stall: writer puts per second");
    c->add_option("--before-s", flags.stall_before_s, "stall: seconds measured before the load");
    c->add_option("--csv-prefix", flags.csv_prefix, "stall: write PREFIX-ENGINE.csv");
    c->add_option("--seed", flags.seed, "key order seed");
    return c;
  };
  add("physical", "fdatasync latency, sequential bandwidth");
  add("fill", "fillseq, fillrandom, overwrite, space amplification");
  add("durable", "synced puts by thread count, beside raw group-commit logs");
  add("read", "readseq, readrandom (big and small cache), seekrandom");
  add("recovery", "reopen time after SIGKILL with a full log");
  add("stall", "writer latency during a large load and full compaction");
  add("smoke", "every workload, tiny, on every engine (checks the adapters)");
  std::string crash_engine;
  uint64_t crash_mb = 0;
  CLI::App* crash = app.add_subcommand("crashfill", "internal: the recovery child process");
  crash->add_option("--engine", crash_engine)->required();
  crash->add_option("--dir", flags.dir)->required();
  crash->add_option("--mb", crash_mb)->required();
  crash->group("");  // hidden from --help
  CLI11_PARSE(app, argc, argv);

  if (!threads.empty()) {
    flags.threads.clear();
    for (const std::string& t : Split(threads)) flags.threads.push_back(std::stoi(t));
  }
  flags.engines = engines.empty() ? AvailableEngines() : Split(engines);
  for (const std::string& name : flags.engines) {
    if (MakeEngine(name) == nullptr) {
      std::fprintf(stderr, "unknown or missing engine %s\n", name.c_str());
      return 2;
    }
  }
  for (const std::string& name : MissingEngines()) {
    std::printf("# engine %s: library not found at configure time, not built in\n", name.c_str());
  }
  const std::string cmd = app.get_subcommands().front()->get_name();
  if (cmd == "crashfill") return CrashFill(crash_engine, flags.dir, crash_mb);
  return Run(cmd, flags);
}
