// Recovery time: how long DB::Open takes to replay a WAL.
//
//   replay: fill M MiB of WAL, close cleanly (close never flushes), time the reopen.
//   reopen: fill the WAL up to Options::max_wal_size_bytes in a forked child that then
//           _exit()s without closing (a crash as far as the DB is concerned; the written
//           bytes are in the page cache), then time DB::Open of a fresh copy of that
//           directory, warm and, if the page cache can be dropped (root), cold, beside a
//           plain sequential read of the same WAL files.
//
// While filling, the MemTable is made larger than the WAL so that nothing switches or
// flushes: the WAL grows to the cap and not beyond (the cap check runs before each commit).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "bench.h"

namespace cairn_bench {
namespace {

// Fills a fresh database in `dir` until its live WAL bytes reach about `target` (never above
// `cap`), with sync=false batches and one final synced write. Returns false on error.
bool FillWal(const std::string& dir, uint64_t target, uint64_t cap, int value_size, int batch,
             bool close_cleanly) {
  cairn::Options options;
  options.max_wal_size_bytes = cap;
  options.memtable_size_bytes = static_cast<size_t>(2 * cap + (64u << 20));
  options.max_memtable_memory_bytes = 4 * options.memtable_size_bytes;  // no write pressure
  std::unique_ptr<cairn::DB> db = OpenOrReport(options, dir);
  if (db == nullptr) return false;
  ValueSource values(static_cast<size_t>(value_size));
  cairn::WriteOptions no_sync;
  no_sync.sync = false;
  uint64_t batch_bytes = 0;
  for (uint64_t i = 0;; i++) {
    uint64_t live = static_cast<uint64_t>(NumberProperty(db.get(), "cairn.wal.live-bytes"));
    if (live + 2 * batch_bytes + 4096 >= target) break;
    cairn::WriteBatch wb;
    for (int j = 0; j < batch; j++) wb.Put(Key(i * batch + j), values.Next());
    batch_bytes = wb.ApproximateSizeBytes();
    cairn::Status st = db->Write(no_sync, wb);
    if (!st.ok()) {
      std::fprintf(stderr, "fill: %s\n", st.ToString().c_str());
      return false;
    }
  }
  cairn::Status st = db->Put(cairn::WriteOptions(), "zz-final-synced-write", "1");
  if (!st.ok()) {
    std::fprintf(stderr, "fill: %s\n", st.ToString().c_str());
    return false;
  }
  if (NumberProperty(db.get(), "cairn.flushes") != 0 ||
      NumberProperty(db.get(), "cairn.immutable-memtables") != 0) {
    std::fprintf(stderr, "fill: the MemTable switched; the WAL was emptied by a flush\n");
    return false;
  }
  if (!close_cleanly) {
    std::fflush(nullptr);
    ::_exit(0);  // no destructor: background threads, WAL and lock just vanish
  }
  return true;
}

// Fills in a child process that dies without closing the DB.
bool FillWalAndCrash(const std::string& dir, uint64_t cap, int value_size, int batch) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    return false;
  }
  if (pid == 0) {
    FillWal(dir, cap, cap, value_size, batch, /*close_cleanly=*/false);
    ::_exit(1);  // FillWal returned: it failed
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "fill child failed (status %d)\n", status);
    return false;
  }
  return true;
}

struct OpenResult {
  bool ok = false;
  double open_seconds = 0;
  // The first write after the open: the recovered MemTable is being flushed meanwhile, and
  // it counts against Options::max_memtable_memory_bytes.
  double first_put_ms = 0;
  double memtable_mb = 0;      // cairn.memtable.bytes right after the open
  double replay_ms = 0;       // the engine's own measure of WAL replay, from cairn.recovery
  uint64_t replayed_bytes = 0;
  uint64_t records = 0;
  std::string recovery;
};

OpenResult TimeOpen(const std::string& dir, const cairn::Options& options) {
  OpenResult result;
  auto start = Clock::now();
  std::unique_ptr<cairn::DB> db;
  cairn::Status st = cairn::DB::Open(options, dir, &db);
  result.open_seconds = Seconds(Clock::now() - start);
  if (!st.ok()) {
    std::fprintf(stderr, "open: %s\n", st.ToString().c_str());
    return result;
  }
  result.memtable_mb = NumberProperty(db.get(), "cairn.memtable.bytes") / (1 << 20);
  auto put_start = Clock::now();
  st = db->Put(cairn::WriteOptions(), "first-put-after-open", "v");
  result.first_put_ms = Seconds(Clock::now() - put_start) * 1000;
  if (!st.ok()) {
    std::fprintf(stderr, "first put: %s\n", st.ToString().c_str());
    return result;
  }
  result.recovery = Property(db.get(), "cairn.recovery");
  unsigned long long records = 0, bytes = 0, files = 0, ms = 0;
  if (std::sscanf(result.recovery.c_str(),
                  "replayed %llu records (%llu bytes) from %llu WAL files in %llu ms", &records,
                  &bytes, &files, &ms) == 4) {
    result.records = records;
    result.replayed_bytes = bytes;
    result.replay_ms = static_cast<double>(ms);
  }
  result.ok = true;
  return result;
}

// Reads every *.wal file in `dir` sequentially with 1 MiB reads; MB/s.
double SequentialReadMBps(const std::string& dir) {
  std::vector<char> buffer(1 << 20);
  uint64_t total = 0;
  auto start = Clock::now();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".wal") continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    for (;;) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n <= 0) break;
      total += static_cast<uint64_t>(n);
    }
    ::close(fd);
  }
  return static_cast<double>(total) / (1 << 20) / Seconds(Clock::now() - start);
}

}  // namespace

int ReplayMode(const std::string& dir, int megabytes, int repeat) {
  Runs runs("replay");
  for (int r = 0; r < repeat; r++) {
    Fresh(dir);
    uint64_t target = static_cast<uint64_t>(megabytes) << 20;
    if (!FillWal(dir, target, 2 * target, 1000, 16, /*close_cleanly=*/true)) return 1;
    double wal_mb = static_cast<double>(BytesWithSuffix(dir, ".wal")) / (1 << 20);
    OpenResult open = TimeOpen(dir, cairn::Options());
    if (!open.ok) return 1;
    Line line("replay");
    line.Add("wal_mb", wal_mb).Add("open_seconds", open.open_seconds, 3);
    line.Add("mb_per_sec", wal_mb / open.open_seconds, 1);
    line.Add("replay_ms", open.replay_ms, 0);
    runs.Add(line);
  }
  if (repeat > 1) runs.PrintSummary();
  return 0;
}

int ReopenMode(const ReopenFlags& flags) {
  uint64_t cap = flags.wal_cap_mb << 20;
  Fresh(flags.dir);
  if (!FillWalAndCrash(flags.dir, cap, flags.value_size, flags.batch)) return 1;
  double wal_mb = static_cast<double>(BytesWithSuffix(flags.dir, ".wal")) / (1 << 20);
  std::printf("# filled %.1f MiB of WAL (cap %llu MiB) in a child that exited without closing\n",
              wal_mb, static_cast<unsigned long long>(flags.wal_cap_mb));
  cairn::Options options;
  options.max_wal_size_bytes = cap;
  bool can_drop = flags.cold && DropPageCache();
  if (flags.cold && !can_drop) {
    std::printf("# cannot drop the page cache (not root?): warm opens only\n");
  }
  // Open hands the recovered MemTable to the background flush at once, so a second open of
  // the same directory would replay nothing: every open gets a fresh copy of the crashed
  // directory. Opens alternate cold, warm.
  const std::string pristine = flags.dir + ".crashed";
  std::filesystem::remove_all(pristine);
  std::filesystem::rename(flags.dir, pristine);
  auto restore = [&] {
    std::filesystem::remove_all(flags.dir);
    std::filesystem::copy(pristine, flags.dir, std::filesystem::copy_options::recursive);
    ::sync();  // no writeback of the copy during the timed open
  };
  Runs runs("reopen");
  for (int r = 0; r < flags.repeat; r++) {
    Line line("reopen");
    line.Add("wal_mb", wal_mb);
    for (bool cold : {true, false}) {
      if (cold && !can_drop) continue;
      const std::string tag = cold ? "cold" : "warm";
      restore();
      if (cold) DropPageCache();
      double read_mbps = SequentialReadMBps(flags.dir);
      if (cold) DropPageCache();
      OpenResult open = TimeOpen(flags.dir, options);
      if (!open.ok) return 1;
      double mb = static_cast<double>(open.replayed_bytes) / (1 << 20);
      line.Add(tag + "_open_s", open.open_seconds, 3);
      line.Add(tag + "_replay_ms", open.replay_ms, 0);
      line.Add(tag + "_mb_per_sec", mb / open.open_seconds, 1);
      line.Add(tag + "_seqread_mb_per_sec", read_mbps, 1);
      line.Add(tag + "_replay_vs_seqread", mb / open.open_seconds / read_mbps, 3);
      line.Add(tag + "_first_put_ms", open.first_put_ms, 2);
      if (r == 0 && (cold || !can_drop)) {
        line.Add("replayed_mb", mb).Add("records", static_cast<double>(open.records), 0);
        line.Add("memtable_mb", open.memtable_mb);
        std::printf("# %s\n", open.recovery.c_str());
      }
    }
    runs.Add(line);
  }
  if (flags.repeat > 1) runs.PrintSummary();
  if (flags.keep) {
    std::printf("# kept the crashed directory: %s\n", pristine.c_str());
  } else {
    std::filesystem::remove_all(pristine);
  }
  return 0;
}

}  // namespace cairn_bench
