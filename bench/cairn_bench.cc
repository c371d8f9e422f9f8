// cairn-bench: measures Cairn against the disk's own limits (docs/benchmarks.md).
//
//   cairn_bench fsync      raw write(2)+fdatasync loop (--prealloc: into a preallocated file)
//   cairn_bench put        single-thread durable Put latency, beside the raw loop
//   cairn_bench threads    T writers: throughput, commits per fsync (--sync false: not durable;
//                          --raw: beside a raw group-commit log)
//   cairn_bench replay     write M MiB of WAL, close cleanly, time the reopen
//   cairn_bench reopen     fill the WAL to its cap, crash, time DB::Open warm and cold
//   cairn_bench flushlat   writer latency during a MemTable flush against steady state
//   cairn_bench fillrandom random fill of N MemTables, then write amplification and levels
//
// Every result is one line of key=value pairs starting with mode=...; --repeat N prints one
// line per run and then the median, minimum and maximum of every field (bench/bench.h).
// Lines starting with '#' are comments. Targets and peer comparisons belong here and in
// docs/benchmarks.md, never in unit tests.
#include <CLI/CLI.hpp>

#include "bench.h"

using namespace cairn_bench;

int main(int argc, char** argv) {
  CLI::App app{"cairn-bench: Cairn against the disk's limits"};
  app.require_subcommand(1);
  int rc = 0;
  std::string default_dir = "./cairn-bench-data";

  CommonFlags common;
  common.dir = default_dir;
  auto add_common = [&](CLI::App* c) {
    c->add_option("--dir", common.dir, "scratch directory (wiped)");
    c->add_option("--ops", common.ops, "operations (per thread)");
    c->add_option("--value-size", common.value_size, "value bytes");
    c->add_option("--repeat", common.repeat, "runs; with more than one, medians are printed");
    // WAL recycling: see CommonFlags.
    c->add_flag("--warm-wal", common.warm_wal, "write and flush first, so the WAL is reused");
    c->add_option("--wal-recycle", common.wal_recycle_files, "Options::wal_recycle_files");
  };

  bool prealloc = false;
  auto* fsync = app.add_subcommand("fsync", "raw write+fdatasync loop");
  add_common(fsync);
  fsync->add_flag("--prealloc", prealloc, "write into a preallocated, synced file");
  fsync->callback([&] { rc = RawFsyncMode(common, prealloc); });

  auto* put = app.add_subcommand("put", "single-thread durable Put latency vs the raw loop");
  add_common(put);
  put->callback([&] { rc = PutMode(common); });

  int threads = 16;
  bool sync = true;
  bool raw = false;
  auto* thr = app.add_subcommand("threads", "concurrent Put throughput and commits per fsync");
  add_common(thr);
  thr->add_option("--threads", threads, "writer threads");
  thr->add_option("--sync", sync, "durable puts (true) or not (false)");
  thr->add_flag("--raw", raw, "also run a raw group-commit log with as many threads");
  thr->callback([&] { rc = ThreadsMode(common, threads, sync, raw); });

  int megabytes = 256;
  auto* replay = app.add_subcommand("replay", "WAL replay speed at open after a clean close");
  replay->add_option("--dir", common.dir, "scratch directory (wiped)");
  replay->add_option("--mb", megabytes, "MiB of WAL to replay");
  replay->add_option("--repeat", common.repeat, "runs");
  replay->callback([&] { rc = ReplayMode(common.dir, megabytes, common.repeat); });

  ReopenFlags reopen_flags;
  reopen_flags.dir = default_dir;
  auto* reopen = app.add_subcommand("reopen", "DB::Open time after a crash at the WAL cap");
  reopen->add_option("--dir", reopen_flags.dir, "scratch directory (wiped)");
  reopen->add_option("--wal-cap-mb", reopen_flags.wal_cap_mb, "Options::max_wal_size_bytes, MiB");
  reopen->add_option("--value-size", reopen_flags.value_size, "value bytes while filling");
  reopen->add_option("--batch", reopen_flags.batch, "puts per WriteBatch while filling");
  reopen->add_option("--repeat", reopen_flags.repeat, "timed opens of each kind");
  reopen->add_option("--cold", reopen_flags.cold, "also time opens after dropping the page cache");
  reopen->add_flag("--keep", reopen_flags.keep, "keep the crashed directory as DIR.crashed");
  reopen->callback([&] { rc = ReopenMode(reopen_flags); });

  FlushLatFlags flush_flags;
  flush_flags.dir = default_dir;
  auto* flushlat = app.add_subcommand("flushlat", "writer latency during a flush vs steady state");
  flushlat->add_option("--dir", flush_flags.dir, "scratch directory (wiped)");
  flushlat->add_option("--threads", flush_flags.threads, "writer threads");
  flushlat->add_option("--sync", flush_flags.sync, "durable puts (default false)");
  flushlat->add_option("--value-size", flush_flags.value_size, "value bytes");
  flushlat->add_option("--memtable-mb", flush_flags.memtable_mb, "Options::memtable_size_bytes, MiB");
  flushlat->add_option("--flushes", flush_flags.flushes, "run until this many flushes completed");
  flushlat->add_option("--rate", flush_flags.rate, "puts per second in total; 0: unthrottled");
  flushlat->add_option("--warmup", flush_flags.warmup_s, "seconds left out of steady state");
  flushlat->add_option("--tail-ms", flush_flags.tail_ms,
                       "puts this soon after a flush window count as post-flush");
  flushlat->add_option("--max-seconds", flush_flags.max_seconds, "time limit per run");
  flushlat->add_flag("--attribute", flush_flags.attribute,
                     "measure CPU time and context switches per put, to explain slow puts");
  flushlat->add_option("--csv", flush_flags.csv, "write (t_s, latency_us, in_flush, thread)");
  flushlat->add_option("--repeat", flush_flags.repeat, "runs");
  flushlat->add_option("--wal-recycle", flush_flags.wal_recycle_files, "Options::wal_recycle_files");
  flushlat->add_option("--wal-bg-sync-kb", flush_flags.wal_bg_sync_kb,
                       "Options::wal_background_sync_bytes, KiB (0: off)");
  flushlat->callback([&] { rc = FlushLatMode(flush_flags); });

  FillRandomFlags fill_flags;
  fill_flags.dir = default_dir;
  auto* fill = app.add_subcommand("fillrandom", "random fill, then write amplification");
  fill->add_option("--dir", fill_flags.dir, "scratch directory (wiped)");
  fill->add_option("--memtable-mb", fill_flags.memtable_mb, "Options::memtable_size_bytes, MiB");
  fill->add_option("--memtables", fill_flags.memtables, "user data in MemTable sizes");
  fill->add_option("--value-size", fill_flags.value_size, "value bytes");
  fill->add_option("--batch", fill_flags.batch, "puts per WriteBatch");
  fill->add_option("--sync", fill_flags.sync, "durable writes (default false)");
  fill->add_option("--seed", fill_flags.seed, "key order seed");
  fill->add_option("--settle-timeout", fill_flags.settle_timeout_s,
                   "seconds to wait for compactions to settle");
  fill->add_option("--repeat", fill_flags.repeat, "runs");
  fill->callback([&] { rc = FillRandomMode(fill_flags); });

  CLI11_PARSE(app, argc, argv);
  return rc;
}
