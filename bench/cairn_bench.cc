// cairn-bench: measures Cairn's write path against the disk's own limits.
//
//   cairn_bench fsync   --dir D [--ops N] [--value-size B]   raw write(2)+fdatasync loop
//   cairn_bench put     --dir D [--ops N] [--value-size B]   single-thread durable Put latency
//   cairn_bench threads --dir D [--threads T] [--ops N]      T writers, durable throughput
//   cairn_bench replay  --dir D [--mb M]                     write M MiB of WAL, time reopen
//
// Latencies are reported as median, p99 and max in microseconds; every mode prints one line
// of key=value pairs so results can be collected by scripts. Targets and peer comparisons
// belong here, never in unit tests.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db.h"

namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

struct Summary {
  double median_us, p99_us, max_us;
};

Summary Summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return samples[std::min(samples.size() - 1, static_cast<size_t>(q * samples.size()))];
  };
  return {at(0.5), at(0.99), samples.back()};
}

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%012llu", static_cast<unsigned long long>(i));
  return buf;
}

void Fresh(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
}

int RawFsync(const std::string& dir, int ops, int value_size) {
  Fresh(dir);
  std::string path = dir + "/raw";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    return 1;
  }
  // One record-sized append per iteration, as Cairn does for a lone durable Put.
  std::string record(static_cast<size_t>(value_size) + 48, 'r');
  std::vector<double> samples;
  for (int i = 0; i < ops; i++) {
    auto start = Clock::now();
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      return 1;
    }
    samples.push_back(Micros(Clock::now() - start));
  }
  ::close(fd);
  Summary s = Summarize(samples);
  std::printf("mode=fsync ops=%d bytes=%zu median_us=%.1f p99_us=%.1f max_us=%.1f\n", ops,
              record.size(), s.median_us, s.p99_us, s.max_us);
  return 0;
}

int SingleThreadPut(const std::string& dir, int ops, int value_size) {
  Fresh(dir);
  std::unique_ptr<cairn::DB> db;
  cairn::Status st = cairn::DB::Open(cairn::Options(), dir, &db);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::string value(static_cast<size_t>(value_size), 'v');
  std::vector<double> samples;
  for (int i = 0; i < ops; i++) {
    auto start = Clock::now();
    st = db->Put(cairn::WriteOptions(), Key(static_cast<uint64_t>(i)), value);
    samples.push_back(Micros(Clock::now() - start));
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }
  Summary s = Summarize(samples);
  std::printf("mode=put ops=%d value_size=%d median_us=%.1f p99_us=%.1f max_us=%.1f\n", ops,
              value_size, s.median_us, s.p99_us, s.max_us);
  return 0;
}

int Threads(const std::string& dir, int threads, int ops, int value_size) {
  Fresh(dir);
  std::unique_ptr<cairn::DB> db;
  cairn::Status st = cairn::DB::Open(cairn::Options(), dir, &db);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::string value(static_cast<size_t>(value_size), 'v');
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> per_thread(static_cast<size_t>(threads));
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; t++) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < ops; i++) {
        auto op_start = Clock::now();
        if (!db->Put(cairn::WriteOptions(), Key(static_cast<uint64_t>(t) * 1000000000ull + i), value).ok()) {
          failures++;
        }
        per_thread[static_cast<size_t>(t)].push_back(Micros(Clock::now() - op_start));
      }
    });
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
  Summary s = Summarize(all);
  std::string writes_per_sync;
  db->GetProperty("cairn.wal.writes-per-sync", &writes_per_sync);
  double total = static_cast<double>(threads) * ops;
  std::printf("mode=threads threads=%d ops=%.0f seconds=%.2f ops_per_sec=%.0f writes_per_sync=%s "
              "median_us=%.1f p99_us=%.1f max_us=%.1f failures=%d\n",
              threads, total, seconds, total / seconds, writes_per_sync.c_str(), s.median_us,
              s.p99_us, s.max_us, failures.load());
  return failures.load() == 0 ? 0 : 1;
}

int Replay(const std::string& dir, int megabytes) {
  Fresh(dir);
  uint64_t wal_bytes = 0;
  {
    std::unique_ptr<cairn::DB> db;
    cairn::Options options;
    options.memtable_size_bytes = static_cast<size_t>(megabytes) << 21;  // one WAL
    cairn::Status st = cairn::DB::Open(options, dir, &db);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
    std::string value(1000, 'v');
    cairn::WriteOptions no_sync;
    no_sync.sync = false;  // fill fast; the clean close syncs
    for (uint64_t i = 0; wal_bytes < (static_cast<uint64_t>(megabytes) << 20); i++) {
      cairn::WriteBatch batch;
      for (int j = 0; j < 16; j++) batch.Put(Key(i * 16 + j), value);
      if (!db->Write(no_sync, batch).ok()) return 1;
      wal_bytes += batch.ApproximateSizeBytes() + 32;
    }
  }
  auto start = Clock::now();
  std::unique_ptr<cairn::DB> db;
  cairn::Status st = cairn::DB::Open(cairn::Options(), dir, &db);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::string recovery;
  db->GetProperty("cairn.recovery", &recovery);
  std::printf("mode=replay wal_mb=%.1f open_seconds=%.3f mb_per_sec=%.1f\n# %s\n",
              static_cast<double>(wal_bytes) / (1 << 20), seconds,
              static_cast<double>(wal_bytes) / (1 << 20) / seconds, recovery.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn-bench: Cairn's write path against the disk's limits"};
  app.require_subcommand(1);
  std::string dir = "/tmp/cairn-bench";
  int ops = 2000, value_size = 100, threads = 16, megabytes = 256;
  int rc = 0;
  auto common = [&](CLI::App* c) {
    c->add_option("--dir", dir, "scratch directory (wiped)");
    c->add_option("--ops", ops, "operations (per thread)");
    c->add_option("--value-size", value_size, "value bytes");
  };
  auto* fsync = app.add_subcommand("fsync", "raw write+fdatasync loop");
  common(fsync);
  fsync->callback([&] { rc = RawFsync(dir, ops, value_size); });
  auto* put = app.add_subcommand("put", "single-thread durable Put latency");
  common(put);
  put->callback([&] { rc = SingleThreadPut(dir, ops, value_size); });
  auto* thr = app.add_subcommand("threads", "concurrent durable Put throughput");
  common(thr);
  thr->add_option("--threads", threads, "writer threads");
  thr->callback([&] { rc = Threads(dir, threads, ops, value_size); });
  auto* replay = app.add_subcommand("replay", "WAL replay speed at open");
  replay->add_option("--dir", dir, "scratch directory (wiped)");
  replay->add_option("--mb", megabytes, "MiB of WAL to replay");
  replay->callback([&] { rc = Replay(dir, megabytes); });
  CLI11_PARSE(app, argc, argv);
  return rc;
}
