// The machine's physical limits, measured by peer_bench in the scratch directory (the same
// file system as the engines), each repeated flags.repeat times:
//   phys_fsync    a write(2) of one put-sized record followed by fdatasync, in a growing file
//                 (prealloc=0) and in a preallocated, synced file (prealloc=1): the latency
//                 floor of one durable put;
//   phys_seqwrite kPhysWriteMb MiB in 1 MiB write(2)s, then fdatasync: sequential bandwidth;
//   phys_seqread  that file read back in 1 MiB read(2)s after evicting it from the page
//                 cache: the floor for replaying a log from a cold cache.
// The raw logs with group commit by thread count are part of the durable workload
// (write_workloads.cc), interleaved with the engines.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "workload.h"

namespace cairn_bench {
namespace {

constexpr size_t kChunkBytes = 1u << 20;
constexpr int kFsyncOps = 1000;

bool SeqWriteRead(const PeerFlags& flags, uint64_t mb, double* write_mbs, double* read_mbs,
                  bool* cold) {
  std::string path = flags.dir + "/seq";
  std::string chunk(kChunkBytes, 'x');
  for (size_t i = 0; i < chunk.size(); i++) chunk[i] = static_cast<char>(i * 131 + (i >> 9));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  auto start = Clock::now();
  for (uint64_t i = 0; i < mb; i++) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
      ::close(fd);
      return false;
    }
  }
  bool ok = ::fdatasync(fd) == 0;
  *write_mbs = static_cast<double>(mb << 20) / 1e6 / Seconds(Clock::now() - start);
  ::close(fd);
  *cold = DropPageCache();
  if (!*cold) EvictDir(flags.dir);
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  start = Clock::now();
  uint64_t total = 0;
  ssize_t n;
  while ((n = ::read(fd, chunk.data(), chunk.size())) > 0) total += static_cast<uint64_t>(n);
  *read_mbs = static_cast<double>(total) / 1e6 / Seconds(Clock::now() - start);
  ::close(fd);
  return ok && n == 0 && total == (mb << 20);
}

}  // namespace

int PhysicalLimits(const PeerFlags& flags) {
  size_t record = static_cast<size_t>(flags.value_size) + 59;
  int ops = std::min(kFsyncOps, std::max(100, flags.durable_ops));
  for (int run = 1; run <= flags.repeat; run++) {
    for (bool prealloc : {false, true}) {
      Fresh(flags.dir);
      RawLog log(flags.dir + "/raw", static_cast<uint64_t>(ops) * record, record, prealloc);
      std::vector<double> samples;
      double seconds = RunThreads(1, ops, [&](int, int) { log.Append(); }, &samples);
      Summary s = Summarize(std::move(samples));
      Line line("phys_fsync");
      line.Add("engine", prealloc ? "ideal_log" : "raw_log").Add("run", std::to_string(run));
      line.Add("ops_per_sec", ops / seconds, 0).Add("p50_us", s.p50_us).Add("p99_us", s.p99_us);
      line.Add("max_us", s.max_us);
      line.Print();
    }
    Fresh(flags.dir);
    double w = 0, r = 0;
    bool cold = false;
    uint64_t mb = std::max<uint64_t>(64, flags.recovery_mb * 2);
    if (!SeqWriteRead(flags, mb, &w, &r, &cold)) {
      std::perror("sequential bandwidth");
      return 1;
    }
    Line line("phys_seq");
    line.Add("engine", "disk").Add("run", std::to_string(run)).Add("mb", static_cast<double>(mb), 0);
    line.Add("cold", cold ? "1" : "0").Add("write_mb_per_sec", w, 0).Add("read_mb_per_sec", r, 0);
    line.Print();
  }
  return 0;
}

}  // namespace cairn_bench
