// Write workloads of peer_bench:
//   fillseq     num puts in key order into a fresh database, sync=false, one thread;
//   fillrandom  num puts of every key once in random order into a fresh database;
//   overwrite   num puts of uniformly random existing keys into the fillrandom database;
//               after fillrandom and after overwrite, the bytes on disk after a clean close
//               against the logical bytes (16-byte key + value per live key): space_amp;
//   durable     T threads of synced puts (T from --threads), with latency percentiles, beside
//               two raw logs with group commit in the same directory: "ideal_log" (a
//               preallocated file, no metadata to sync) and "raw_log" (a growing file).
#include <algorithm>
#include <numeric>
#include <random>

#include "workload.h"

namespace cairn_bench {
namespace {

// Every thread of a durable run makes at least this many puts, so each takes part in several
// commit groups even when durable_ops / threads is smaller.
constexpr int kMinDurableOpsPerThread = 4;

double LogicalBytes(const PeerFlags& flags) {
  return static_cast<double>(flags.num) * (16.0 + flags.value_size);
}

// Puts keys[i] for every i, sync=false; returns seconds or a negative number on error.
double TimedPuts(Engine* engine, const std::vector<uint64_t>& keys, const Values& values) {
  auto start = Clock::now();
  for (uint64_t k : keys) {
    if (!Check(engine->Put(Key(k), values.For(k), false), engine->Name() + " put")) return -1;
  }
  return Seconds(Clock::now() - start);
}

void PrintFill(const std::string& mode, const std::string& engine, int run, double seconds,
               const PeerFlags& flags, const std::string& dir, bool space) {
  Line line(mode);
  line.Add("engine", engine).Add("run", std::to_string(run));
  line.Add("ops", static_cast<double>(flags.num), 0);
  line.Add("ops_per_sec", static_cast<double>(flags.num) / seconds, 0);
  line.Add("mb_per_sec", LogicalBytes(flags) / seconds / 1e6, 1);
  if (space) {
    double bytes = static_cast<double>(DirBytes(dir));
    line.Add("disk_mb", bytes / 1e6, 1).Add("space_amp", bytes / LogicalBytes(flags), 2);
  }
  line.Print();
}

// One repetition of fillseq, fillrandom and overwrite on one engine.
bool FillOnce(const PeerFlags& flags, const std::string& name, int run) {
  EngineConfig config;
  config.write_buffer_bytes = flags.fill_buffer_bytes;
  Values values(flags.value_size);
  std::vector<uint64_t> keys(flags.num);
  std::iota(keys.begin(), keys.end(), 0);

  std::unique_ptr<Engine> e = OpenEngine(name, flags.dir, config);
  if (e == nullptr) return false;
  double s = TimedPuts(e.get(), keys, values);
  if (s < 0) return false;
  e->Close();
  PrintFill("fillseq", name, run, s, flags, flags.dir, true);

  std::mt19937_64 rng(flags.seed + static_cast<uint64_t>(run));
  std::shuffle(keys.begin(), keys.end(), rng);
  e = OpenEngine(name, flags.dir, config);
  if (e == nullptr || (s = TimedPuts(e.get(), keys, values)) < 0) return false;
  e->Close();
  PrintFill("fillrandom", name, run, s, flags, flags.dir, true);

  for (uint64_t& k : keys) k = rng() % flags.num;
  e = OpenEngine(name, flags.dir, config, /*keep=*/true);
  if (e == nullptr || (s = TimedPuts(e.get(), keys, values)) < 0) return false;
  e->Close();
  PrintFill("overwrite", name, run, s, flags, flags.dir, true);
  return true;
}

// Synced puts of random keys from `threads` threads.
bool DurableOnce(const PeerFlags& flags, const std::string& name, int threads, int run) {
  int per_thread = std::max(kMinDurableOpsPerThread, flags.durable_ops / threads);
  Values values(flags.value_size);
  std::vector<double> latencies;
  double seconds = 0;
  std::string stats;
  uint64_t syncs = 0;
  if (name == "ideal_log" || name == "raw_log") {
    Fresh(flags.dir);
    // A lone put is about this big in a log record (header, sequence, key, value).
    size_t record = static_cast<size_t>(flags.value_size) + 59;
    RawLog log(flags.dir + "/raw", static_cast<uint64_t>(per_thread) * threads * record, record,
               name == "ideal_log");
    seconds = RunThreads(threads, per_thread, [&](int, int) { log.GroupAppend(); }, &latencies);
    syncs = log.syncs();
  } else {
    std::unique_ptr<Engine> e = OpenEngine(name, flags.dir, EngineConfig());
    if (e == nullptr) return false;
    std::atomic<bool> failed{false};
    seconds = RunThreads(threads, per_thread, [&](int t, int i) {
      uint64_t k = static_cast<uint64_t>(t) * 1000003u + static_cast<uint64_t>(i) * 7919u;
      if (!Check(e->Put(Key(k), values.For(k), true), name + " durable put")) failed = true;
    }, &latencies);
    if (failed) return false;
    stats = e->Stats();
  }
  Summary s = Summarize(latencies);
  Line line("durable");
  line.Add("engine", name).Add("run", std::to_string(run)).Add("threads", threads, 0);
  line.Add("ops", static_cast<double>(s.count), 0);
  line.Add("ops_per_sec", static_cast<double>(s.count) / seconds, 0);
  line.Add("p50_us", s.p50_us).Add("p99_us", s.p99_us).Add("p999_us", s.p999_us);
  line.Add("max_us", s.max_us);
  if (syncs > 0) line.Add("writes_per_fsync", static_cast<double>(s.count) / syncs, 2);
  if (!stats.empty()) {
    size_t eq = stats.find('=');
    line.Add(stats.substr(0, eq), std::strtod(stats.c_str() + eq + 1, nullptr), 2);
  }
  line.Print();
  return true;
}

}  // namespace

int FillWorkloads(const PeerFlags& flags) {
  for (int run = 1; run <= flags.repeat; run++) {
    for (const std::string& name : flags.engines) {
      if (!FillOnce(flags, name, run)) return 1;
    }
  }
  return 0;
}

int DurableWorkload(const PeerFlags& flags) {
  std::vector<std::string> names = flags.engines;
  if (flags.raw_logs) {
    names.push_back("ideal_log");
    names.push_back("raw_log");
  }
  for (int threads : flags.threads) {
    for (int run = 1; run <= flags.repeat; run++) {
      for (const std::string& name : names) {
        if (!DurableOnce(flags, name, threads, run)) return 1;
      }
    }
  }
  return 0;
}

}  // namespace cairn_bench
