// fillrandom: write amplification after a random fill of several MemTables' worth of data.
//
// One writer puts N uniformly random keys (with replacement, as db_bench does: some are
// overwrites) from a key space of N, with incompressible values, until the user bytes equal
// `memtables` times the MemTable size; then DB::Flush, then waits until background work
// settles: no immutable MemTable, fewer level-0 files than the compaction trigger, every
// level within its target size, and no change in the file counts for a second (or until
// --settle-timeout, reported as settled=0 with the engine's last background error).
//
// Reported: fill and settle times, the engine's own write amplification
// ("cairn.write-amplification": WAL + flush + compaction bytes over user bytes, where user
// bytes are the encoded batches), the same without the WAL, compaction and flush counts and
// bytes, stall time, files and bytes per level, and space amplification (segment bytes over
// the live keys' key+value bytes).
#include <cstdio>
#include <random>
#include <thread>

#include "bench.h"

namespace cairn_bench {
namespace {

struct LevelState {
  std::vector<double> files, bytes;
  bool operator==(const LevelState&) const = default;
};

LevelState Levels(cairn::DB* db) {
  LevelState state;
  std::string value;
  for (int level = 0; level < 10; level++) {
    if (!db->GetProperty("cairn.files-at-level." + std::to_string(level), &value)) break;
    state.files.push_back(std::stod(value));
    state.bytes.push_back(NumberProperty(db, "cairn.bytes-at-level." + std::to_string(level)));
  }
  return state;
}

bool Settled(cairn::DB* db, const LevelState& levels, const cairn::Options& options) {
  if (NumberProperty(db, "cairn.immutable-memtables") != 0) return false;
  if (levels.files.empty() || levels.files[0] >= options.l0_compaction_trigger) return false;
  double target = static_cast<double>(options.level1_size_bytes);
  for (size_t level = 1; level + 1 < levels.bytes.size(); level++) {
    if (levels.bytes[level] > target) return false;
    target *= options.level_size_multiplier;
  }
  return true;
}

}  // namespace

int FillRandomMode(const FillRandomFlags& flags) {
  Runs runs("fillrandom");
  for (int r = 0; r < flags.repeat; r++) {
    Fresh(flags.dir);
    cairn::Options options;
    options.memtable_size_bytes = flags.memtable_mb << 20;
    std::unique_ptr<cairn::DB> db = OpenOrReport(options, flags.dir);
    if (db == nullptr) return 1;
    cairn::WriteOptions write_options;
    write_options.sync = flags.sync;

    const uint64_t entry_bytes = 16 + static_cast<uint64_t>(flags.value_size);
    const uint64_t n = static_cast<uint64_t>(flags.memtables *
                                             static_cast<double>(flags.memtable_mb << 20)) /
                       entry_bytes;
    std::mt19937_64 rng(flags.seed + static_cast<uint64_t>(r));
    ValueSource values(static_cast<size_t>(flags.value_size), flags.seed);
    std::vector<bool> present(n, false);
    uint64_t user_bytes = 0;  // encoded batches, as the engine counts them
    auto start = Clock::now();
    cairn::WriteBatch batch;
    for (uint64_t i = 0; i < n; i++) {
      uint64_t k = rng() % n;
      present[k] = true;
      batch.Put(Key(k), values.Next());
      if (static_cast<int>(batch.Count()) >= flags.batch || i + 1 == n) {
        user_bytes += batch.ApproximateSizeBytes();
        cairn::Status st = db->Write(write_options, batch);
        if (!st.ok()) {
          std::fprintf(stderr, "write: %s\n", st.ToString().c_str());
          return 1;
        }
        batch.Clear();
      }
    }
    double fill_s = Seconds(Clock::now() - start);
    cairn::Status st = db->Flush();
    if (!st.ok()) {
      std::fprintf(stderr, "flush: %s\n", st.ToString().c_str());
      return 1;
    }
    double flush_s = Seconds(Clock::now() - start) - fill_s;
    LevelState last = Levels(db.get());
    auto stable_since = Clock::now();
    bool settled = false;
    while (Seconds(Clock::now() - start) < fill_s + flush_s + flags.settle_timeout_s) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      LevelState now = Levels(db.get());
      if (!(now == last)) {
        last = now;
        stable_since = Clock::now();
        continue;
      }
      if (Settled(db.get(), now, options) &&
          Clock::now() - stable_since >= std::chrono::seconds(1)) {
        settled = true;
        break;
      }
    }
    // The settle time does not count the final second of watching nothing change.
    double total_s = Seconds(stable_since - start);
    uint64_t live = 0;
    for (bool p : present) live += p ? 1 : 0;

    double flush_bytes = NumberProperty(db.get(), "cairn.flush-bytes");
    double compaction_written = NumberProperty(db.get(), "cairn.compaction-bytes-written");
    double segment_bytes = 0;
    for (double b : last.bytes) segment_bytes += b;
    Line line("fillrandom");
    line.Add("memtable_mb", static_cast<double>(flags.memtable_mb), 0);
    line.Add("memtables", flags.memtables, 1).Add("value_size", flags.value_size, 0);
    line.Add("sync", flags.sync ? "true" : "false").Add("batch", flags.batch, 0);
    line.Add("puts", static_cast<double>(n), 0).Add("unique_keys", static_cast<double>(live), 0);
    line.Add("user_mb", static_cast<double>(user_bytes) / (1 << 20));
    line.Add("fill_s", fill_s, 2).Add("fill_ops_per_sec", static_cast<double>(n) / fill_s, 0);
    line.Add("flush_call_s", flush_s, 2).Add("settled_s", total_s, 2);
    line.Add("write_amp", NumberProperty(db.get(), "cairn.write-amplification"), 3);
    line.Add("write_amp_no_wal",
             (flush_bytes + compaction_written) / static_cast<double>(user_bytes), 3);
    line.Add("flushes", NumberProperty(db.get(), "cairn.flushes"), 0);
    line.Add("flush_mb", flush_bytes / (1 << 20));
    line.Add("compactions", NumberProperty(db.get(), "cairn.compactions"), 0);
    line.Add("compaction_read_mb",
             NumberProperty(db.get(), "cairn.compaction-bytes-read") / (1 << 20));
    line.Add("compaction_written_mb", compaction_written / (1 << 20));
    line.Add("stall_us", NumberProperty(db.get(), "cairn.stall-micros"), 0);
    for (size_t level = 0; level < last.files.size(); level++) {
      if (last.files[level] == 0) continue;
      line.Add("l" + std::to_string(level) + "_files", last.files[level], 0);
      line.Add("l" + std::to_string(level) + "_mb", last.bytes[level] / (1 << 20));
    }
    line.Add("space_amp", segment_bytes / static_cast<double>(live * entry_bytes), 3);
    line.Add("settled", settled ? 1 : 0, 0);
    runs.Add(line);
    if (!settled) {
      std::printf("# compactions did not settle within %.0f s; last background error: %s\n",
                  flags.settle_timeout_s, Property(db.get(), "cairn.background-error").c_str());
    }
    if (r + 1 < flags.repeat) continue;
    std::string stats = Property(db.get(), "cairn.stats");  // of the last run
    for (size_t pos = 0; pos < stats.size();) {
      size_t end = stats.find('\n', pos);
      if (end == std::string::npos) end = stats.size();
      std::printf("# %s\n", stats.substr(pos, end - pos).c_str());
      pos = end + 1;
    }
  }
  if (flags.repeat > 1) runs.PrintSummary();
  return 0;
}

}  // namespace cairn_bench
