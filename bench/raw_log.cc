// The disk's own limits for a durable log, measured in the same directory as the engine:
//   - a single-threaded write(2)+fdatasync loop of record-sized appends (what one durable
//     Put costs at least), growing the file like Cairn's WAL does, or into a preallocated
//     file (written with zeros and synced first, so fdatasync has no metadata to commit);
//   - a raw log with group commit: threads hand records to whoever leads, the leader writes
//     all pending records with one write(2) and one fdatasync. The floor for concurrent
//     durable writers.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "bench.h"

namespace cairn_bench {
namespace {

void WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w <= 0) {
      std::perror("raw write");
      std::exit(1);
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}

void SyncOrDie(int fd) {
  if (::fdatasync(fd) != 0) {
    std::perror("fdatasync");
    std::exit(1);
  }
}

}  // namespace

RawLog::RawLog(const std::string& path, uint64_t bytes, size_t record_bytes, bool prealloc)
    : record_(record_bytes, 'r') {
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  if (prealloc) {
    std::string zeros(1 << 20, '\0');
    for (uint64_t done = 0; done < bytes;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), bytes - done));
      WriteAll(fd_, zeros.data(), n);
      done += n;
    }
    if (::fsync(fd_) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
      std::perror("prealloc sync");
      std::exit(1);
    }
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

RawLog::~RawLog() { ::close(fd_); }

void RawLog::Append() {
  WriteAll(fd_, record_.data(), record_.size());
  SyncOrDie(fd_);
  syncs_++;
}

void RawLog::GroupAppend() {
  std::unique_lock<std::mutex> lock(mu_);
  pending_ += record_;
  uint64_t mine = ++appended_;
  while (durable_ < mine) {
    if (leading_) {
      cv_.wait(lock);
      continue;
    }
    leading_ = true;
    std::string batch;
    batch.swap(pending_);
    uint64_t upto = appended_;
    lock.unlock();
    WriteAll(fd_, batch.data(), batch.size());
    SyncOrDie(fd_);
    lock.lock();
    durable_ = upto;
    syncs_++;
    leading_ = false;
    cv_.notify_all();
  }
}

double RunThreads(int threads, int ops, const std::function<void(int, int)>& fn,
                  std::vector<double>* latencies) {
  std::vector<std::vector<double>> per_thread(static_cast<size_t>(threads));
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; t++) {
    workers.emplace_back([&, t] {
      auto& mine = per_thread[static_cast<size_t>(t)];
      mine.reserve(static_cast<size_t>(ops));
      ready++;
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < ops; i++) {
        auto start = Clock::now();
        fn(t, i);
        mine.push_back(Micros(Clock::now() - start));
      }
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  auto start = Clock::now();
  go = true;
  for (auto& w : workers) w.join();
  double seconds = Seconds(Clock::now() - start);
  for (auto& v : per_thread) latencies->insert(latencies->end(), v.begin(), v.end());
  return seconds;
}

int RawFsyncMode(const CommonFlags& flags, bool prealloc) {
  // A lone durable Put of value_size bytes is about this big in Cairn's WAL (record header,
  // batch header, 16-byte key); `put` prints the measured wal_bytes_per_put.
  size_t record_bytes = static_cast<size_t>(flags.value_size) + 59;
  Runs runs("fsync");
  for (int r = 0; r < flags.repeat; r++) {
    Fresh(flags.dir);
    RawLog log(flags.dir + "/raw", static_cast<uint64_t>(flags.ops) * record_bytes, record_bytes,
               prealloc);
    std::vector<double> samples;
    double seconds = RunThreads(1, flags.ops, [&](int, int) { log.Append(); }, &samples);
    Summary s = Summarize(std::move(samples));
    Line line("fsync");
    line.Add("prealloc", prealloc ? "1" : "0");
    line.Add("ops", flags.ops, 0).Add("bytes", static_cast<double>(record_bytes), 0);
    line.Add("median_us", s.p50_us).Add("p99_us", s.p99_us).Add("max_us", s.max_us);
    line.Add("ops_per_sec", flags.ops / seconds, 0);
    runs.Add(line);
  }
  if (flags.repeat > 1) runs.PrintSummary();
  return 0;
}

}  // namespace cairn_bench
