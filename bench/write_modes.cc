// The write path against the disk: single-thread durable Put latency beside the raw
// write+fdatasync loops, and concurrent throughput with commits per fsync beside a raw
// group-commit log. Each run interleaves the engine and the raw logs in rounds, so that the
// noise of a shared machine falls on both.
#include <atomic>
#include <cstdio>
#include <thread>

#include "bench.h"

namespace cairn_bench {

namespace {

constexpr int kRounds = 10;  // measurements are interleaved in this many rounds per run

// Opens the engine for a write mode; with --warm-wal, writes and flushes twice (see
// CommonFlags::warm_wal) `bytes` of unsynced puts first.
std::unique_ptr<cairn::DB> OpenForWrites(const CommonFlags& flags, uint64_t bytes) {
  cairn::Options options;
  if (flags.wal_recycle_files >= 0) {
    options.wal_recycle_files = static_cast<size_t>(flags.wal_recycle_files);
  }
  std::unique_ptr<cairn::DB> db = OpenOrReport(options, flags.dir + "/db");
  if (db == nullptr || !flags.warm_wal) return db;
  cairn::WriteOptions no_sync;
  no_sync.sync = false;
  ValueSource values(static_cast<size_t>(flags.value_size), 99);
  uint64_t puts = bytes / (static_cast<uint64_t>(flags.value_size) + 59) + 1;
  for (int pass = 0; pass < 2; pass++) {
    for (uint64_t i = 0; i < puts; i++) {
      if (!db->Put(no_sync, "warm" + Key(i), values.Next()).ok()) return nullptr;
    }
    if (!db->Flush().ok()) return nullptr;
  }
  return db;
}

}  // namespace

int PutMode(const CommonFlags& flags) {
  // The raw loops append records as big as Cairn's WAL record for one Put (about value + 59
  // bytes with a 16-byte key; the line reports the measured wal_bytes_per_put).
  size_t record_bytes = static_cast<size_t>(flags.value_size) + 59;
  Runs runs("put");
  for (int r = 0; r < flags.repeat; r++) {
    Fresh(flags.dir);
    RawLog raw(flags.dir + "/raw", 0, record_bytes, /*prealloc=*/false);
    RawLog ideal(flags.dir + "/ideal", static_cast<uint64_t>(flags.ops) * record_bytes,
                 record_bytes, /*prealloc=*/true);
    std::unique_ptr<cairn::DB> db =
        OpenForWrites(flags, static_cast<uint64_t>(flags.ops) * record_bytes * 11 / 10);
    if (db == nullptr) return 1;
    ValueSource values(static_cast<size_t>(flags.value_size));
    std::vector<double> raw_samples, ideal_samples, samples;
    int failures = 0;
    int done = 0;
    // Interleaved in rounds, so a noisy neighbour hits all three alike.
    for (int round = 0; round < kRounds; round++) {
      int chunk = (flags.ops - done) / (kRounds - round);
      RunThreads(1, chunk, [&](int, int) { raw.Append(); }, &raw_samples);
      RunThreads(1, chunk, [&](int, int) { ideal.Append(); }, &ideal_samples);
      std::vector<std::string> keys;
      for (int i = 0; i < chunk; i++) keys.push_back(Key(static_cast<uint64_t>(done + i)));
      RunThreads(1, chunk, [&](int, int i) {
        if (!db->Put(cairn::WriteOptions(), keys[static_cast<size_t>(i)], values.Next()).ok()) {
          failures++;
        }
      }, &samples);
      done += chunk;
    }
    if (failures != 0) {
      std::fprintf(stderr, "%d puts failed\n", failures);
      return 1;
    }
    double wal_bytes_per_put =
        NumberProperty(db.get(), "cairn.wal.live-bytes") / static_cast<double>(flags.ops);
    double syncs = NumberProperty(db.get(), "cairn.wal.syncs");
    db.reset();
    Summary s = Summarize(std::move(samples));
    Summary rs = Summarize(std::move(raw_samples));
    Summary is = Summarize(std::move(ideal_samples));
    Line line("put");
    line.Add("ops", flags.ops, 0).Add("value_size", flags.value_size, 0);
    line.Add("median_us", s.p50_us).Add("p99_us", s.p99_us).Add("p999_us", s.p999_us);
    line.Add("max_us", s.max_us).Add("ops_per_sec", 1e6 / s.mean_us, 0);
    line.Add("syncs_per_put", syncs / flags.ops, 3).Add("wal_bytes_per_put", wal_bytes_per_put);
    line.Add("raw_median_us", rs.p50_us).Add("raw_p99_us", rs.p99_us);
    line.Add("raw_ops_per_sec", 1e6 / rs.mean_us, 0);
    line.Add("ideal_median_us", is.p50_us).Add("ideal_p99_us", is.p99_us);
    line.Add("ideal_ops_per_sec", 1e6 / is.mean_us, 0);
    // > 1: Cairn's median durable put is slower than the bare disk's by this factor.
    line.Add("latency_over_raw", s.p50_us / rs.p50_us, 3);
    line.Add("latency_over_ideal", s.p50_us / is.p50_us, 3);
    // Issue 5's form: Cairn's throughput as a fraction of the raw loop's (means).
    line.Add("throughput_vs_raw", rs.mean_us / s.mean_us, 3);
    line.Add("throughput_vs_ideal", is.mean_us / s.mean_us, 3);
    runs.Add(line);
  }
  if (flags.repeat > 1) runs.PrintSummary();
  return 0;
}

int ThreadsMode(const CommonFlags& flags, int threads, bool sync, bool raw) {
  size_t record_bytes = static_cast<size_t>(flags.value_size) + 59;
  Runs runs("threads");
  for (int r = 0; r < flags.repeat; r++) {
    Fresh(flags.dir);
    // The raw group-commit logs: growing like Cairn's WAL (raw), and preallocated (ideal).
    std::unique_ptr<RawLog> log, ideal;
    if (raw && sync) {
      log = std::make_unique<RawLog>(flags.dir + "/raw", 0, record_bytes, /*prealloc=*/false);
      ideal = std::make_unique<RawLog>(flags.dir + "/ideal",
                                       static_cast<uint64_t>(threads) * flags.ops * record_bytes,
                                       record_bytes, /*prealloc=*/true);
    }
    std::unique_ptr<cairn::DB> db = OpenForWrites(
        flags, static_cast<uint64_t>(threads) * flags.ops * record_bytes * 11 / 10);
    if (db == nullptr) return 1;
    cairn::WriteOptions write_options;
    write_options.sync = sync;
    std::atomic<int> failures{0};
    std::vector<ValueSource> values;
    for (int t = 0; t < threads; t++) {
      values.emplace_back(static_cast<size_t>(flags.value_size), static_cast<uint64_t>(t) + 1);
    }
    std::vector<double> samples, raw_samples, ideal_samples;
    double seconds = 0, raw_seconds = 0, ideal_seconds = 0;
    int done = 0;
    for (int round = 0; round < kRounds; round++) {
      int chunk = (flags.ops - done) / (kRounds - round);
      if (log != nullptr) {
        raw_seconds += RunThreads(threads, chunk, [&](int, int) { log->GroupAppend(); },
                                  &raw_samples);
        ideal_seconds += RunThreads(threads, chunk, [&](int, int) { ideal->GroupAppend(); },
                                    &ideal_samples);
      }
      seconds += RunThreads(threads, chunk, [&](int t, int i) {
        std::string key = Key(static_cast<uint64_t>(t) * 1000000000ull + done + i);
        if (!db->Put(write_options, key, values[static_cast<size_t>(t)].Next()).ok()) {
          failures++;
        }
      }, &samples);
      done += chunk;
    }
    Summary s = Summarize(std::move(samples));
    double total = static_cast<double>(threads) * flags.ops;
    double writes = NumberProperty(db.get(), "cairn.wal.writes");
    double commits = NumberProperty(db.get(), "cairn.wal.commits");
    Line line("threads");
    line.Add("threads", threads, 0).Add("sync", sync ? "true" : "false");
    line.Add("ops", total, 0).Add("seconds", seconds, 3).Add("ops_per_sec", total / seconds, 0);
    line.Add("writes_per_sync", NumberProperty(db.get(), "cairn.wal.writes-per-sync"), 2);
    line.Add("writes_per_commit", commits == 0 ? 0 : writes / commits, 2);
    line.Add("median_us", s.p50_us).Add("p99_us", s.p99_us).Add("p999_us", s.p999_us);
    line.Add("max_us", s.max_us).Add("failures", failures.load(), 0);
    if (log != nullptr) {
      Summary rs = Summarize(std::move(raw_samples));
      Summary is = Summarize(std::move(ideal_samples));
      line.Add("raw_ops_per_sec", total / raw_seconds, 0);
      line.Add("raw_writes_per_sync", total / static_cast<double>(log->syncs()), 2);
      line.Add("raw_median_us", rs.p50_us).Add("raw_p99_us", rs.p99_us);
      line.Add("ideal_ops_per_sec", total / ideal_seconds, 0);
      line.Add("ideal_writes_per_sync", total / static_cast<double>(ideal->syncs()), 2);
      line.Add("ideal_median_us", is.p50_us).Add("ideal_p99_us", is.p99_us);
      line.Add("throughput_vs_raw", raw_seconds / seconds, 3);
      line.Add("throughput_vs_ideal", ideal_seconds / seconds, 3);
    }
    db.reset();
    runs.Add(line);
    if (failures.load() != 0) return 1;
  }
  if (flags.repeat > 1) runs.PrintSummary();
  return 0;
}

}  // namespace cairn_bench
