// Shared helpers of cairn_bench: timing, percentiles, result lines, repeated-run medians,
// key and value generation, and the declarations of every mode (docs/benchmarks.md).
//
// Output convention: every result is one line of space-separated key=value pairs starting
// with mode=NAME, so a script can parse any mode the same way. A mode that repeats its
// measurement prints one line per run (run=1, run=2, ...) and then three summary lines with
// the median, the minimum and the maximum of every numeric field (run=median, run=min,
// run=max). Lines starting with '#' are comments for humans.
#ifndef CAIRN_BENCH_BENCH_H_
#define CAIRN_BENCH_BENCH_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cairn/db.h"

namespace cairn_bench {

using Clock = std::chrono::steady_clock;

inline double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}
inline double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Latency distribution of a sample set, in microseconds.
struct Summary {
  size_t count = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;
};
// Nearest-rank percentiles. An empty set gives all zeros.
Summary Summarize(std::vector<double> samples);

// One result line: "mode=NAME key=value ...".
class Line {
 public:
  explicit Line(std::string mode);
  Line& Add(const std::string& key, double value, int precision = 1);
  Line& Add(const std::string& key, const std::string& value);
  Line& AddSummary(const std::string& prefix, const Summary& s);  // prefix_p50_us=...
  void Print() const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  const std::vector<std::pair<std::string, double>>& numbers() const { return numbers_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
  std::vector<std::pair<std::string, double>> numbers_;  // numeric fields, in order
};

// Collects the lines of repeated runs and prints their median, minimum and maximum.
class Runs {
 public:
  explicit Runs(std::string mode) : mode_(std::move(mode)) {}
  void Add(const Line& line);  // prints it too, with run=i
  void PrintSummary() const;   // run=median, run=min, run=max
  size_t size() const { return runs_.size(); }

 private:
  std::string mode_;
  std::vector<std::vector<std::pair<std::string, double>>> runs_;
};

// "key%012llu"-style 16-byte keys: sequential or from a number.
std::string Key(uint64_t i);

// Values of `size` bytes cut from a pre-generated random buffer, so they do not compress
// (a constant value would make every segment a few bytes of LZ4 and flatter the engine).
class ValueSource {
 public:
  explicit ValueSource(size_t size, uint64_t seed = 42);
  std::string_view Next();

 private:
  size_t size_;
  std::string buffer_;
  size_t offset_ = 0;
};

// Removes and recreates `dir`.
void Fresh(const std::string& dir);
// Sum of the sizes of the files in `dir` whose names end with `suffix`.
uint64_t BytesWithSuffix(const std::string& dir, const std::string& suffix);
// Drops the OS page cache (needs root); returns false if it could not.
bool DropPageCache();

// Opens `dir` or prints the error and returns nullptr.
std::unique_ptr<cairn::DB> OpenOrReport(const cairn::Options& options, const std::string& dir);
// A property as text / as a number (0 if missing or not a number).
std::string Property(cairn::DB* db, const std::string& name);
double NumberProperty(cairn::DB* db, const std::string& name);

// --- Modes (each returns the process exit code) ---

struct CommonFlags {
  std::string dir;
  int ops = 2000;          // per thread
  int value_size = 100;
  int repeat = 1;
  // --- WAL recycling (put and threads modes) ---
  // Before measuring, write (sync=false) and flush twice the measured volume, so the active
  // WAL is what a database that has run a while writes into: with recycling, an old WAL
  // overwritten in place; without, a new growing file.
  bool warm_wal = false;
  int wal_recycle_files = -1;  // Options::wal_recycle_files; -1: the default
};

// Physical limits (raw_log.cc).
// A raw log file: record-sized write(2)s, each followed by fdatasync (Append) or handed to a
// group-commit leader (GroupAppend). prealloc: the file is first written with zeros to its
// full size and synced, so fdatasync has no metadata (size, extents) to commit: the ideal
// log. Without it the file grows like Cairn's WAL does.
class RawLog {
 public:
  RawLog(const std::string& path, uint64_t bytes, size_t record_bytes, bool prealloc);
  ~RawLog();
  RawLog(const RawLog&) = delete;
  RawLog& operator=(const RawLog&) = delete;
  // One record, one fdatasync. Not thread-safe.
  void Append();
  // Thread-safe group commit: the caller's record is durable on return; one writer at a time
  // writes every pending record with one write(2) and one fdatasync.
  void GroupAppend();
  uint64_t syncs() const { return syncs_; }

 private:
  int fd_;
  std::string record_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;   // guarded by mu_
  uint64_t appended_ = 0;  // guarded by mu_
  uint64_t durable_ = 0;   // guarded by mu_
  bool leading_ = false;   // guarded by mu_
  uint64_t syncs_ = 0;     // guarded by mu_ in GroupAppend
};
int RawFsyncMode(const CommonFlags& flags, bool prealloc);

// Runs fn(thread, i) for i in [0, ops) on `threads` threads started together; appends each
// call's latency to *latencies and returns the wall time in seconds.
double RunThreads(int threads, int ops, const std::function<void(int, int)>& fn,
                  std::vector<double>* latencies);

// Write path (write_modes.cc).
int PutMode(const CommonFlags& flags);
int ThreadsMode(const CommonFlags& flags, int threads, bool sync, bool raw);
int ReplayMode(const std::string& dir, int megabytes, int repeat);

// Flush latency (flush_latency.cc).
struct FlushLatFlags {
  std::string dir;
  int threads = 1;
  bool sync = false;
  int value_size = 100;
  size_t memtable_mb = 64;
  int flushes = 3;           // run until this many flushes have completed
  double rate = 0;           // total puts per second across threads; 0: as fast as possible
  double warmup_s = 0.5;     // puts in the first seconds are left out of the statistics
  double tail_ms = 100;      // puts this soon after a flush window are counted as "post"
  double max_seconds = 600;  // give up (and report what was measured) after this long
  bool attribute = false;    // per put: thread CPU time and context switches (costs ~1 us)
  std::string csv;           // (time, latency) samples of the last run; empty: none
  int repeat = 1;
  // WAL recycling and background sync (Options::wal_recycle_files,
  // Options::wal_background_sync_bytes in KiB); -1: the defaults.
  int wal_recycle_files = -1;
  int wal_bg_sync_kb = -1;
};
int FlushLatMode(const FlushLatFlags& flags);

// Reopen at the WAL cap (reopen.cc).
struct ReopenFlags {
  std::string dir;
  uint64_t wal_cap_mb = 256;  // Options::max_wal_size_bytes, in MiB
  int value_size = 1000;
  int batch = 16;             // puts per WriteBatch while filling
  int repeat = 3;             // timed opens per mode (warm, cold)
  bool cold = true;           // also drop the page cache before each cold open
  bool keep = false;          // keep the crashed directory as DIR.crashed (for profiling)
};
int ReopenMode(const ReopenFlags& flags);

// Random fill and write amplification (fillrandom.cc).
struct FillRandomFlags {
  std::string dir;
  size_t memtable_mb = 8;
  double memtables = 10;
  int value_size = 100;
  int batch = 1;      // puts per WriteBatch
  bool sync = false;
  int repeat = 1;
  uint64_t seed = 1;
  double settle_timeout_s = 300;  // stop waiting for compactions after this long
};
int FillRandomMode(const FillRandomFlags& flags);

}  // namespace cairn_bench

#endif  // CAIRN_BENCH_BENCH_H_
