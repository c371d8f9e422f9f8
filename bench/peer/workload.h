// Workloads of peer_bench (docs/benchmarks.md, "Peers"): each runs on every engine named in
// its flags, engines interleaved inside each repetition, and prints one result line per run
// ("mode=W engine=E run=R ...", the convention of bench/bench.h); bench/peer/report.py turns
// them into median tables with ratios. A workload checks what it reads: a wrong value or a
// missing key stops it with an error (exit code 1), so a broken adapter cannot report numbers.
#ifndef CAIRN_BENCH_PEER_WORKLOAD_H_
#define CAIRN_BENCH_PEER_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "../bench.h"
#include "engine.h"

namespace cairn_bench {

struct PeerFlags {
  std::string dir;                    // scratch directory, wiped
  std::vector<std::string> engines;   // in the order they run within a repetition
  int repeat = 3;
  uint64_t num = 1000000;             // keys of the fill and read workloads
  int value_size = 100;               // bytes; keys are 16 bytes (bench.h Key)
  size_t fill_buffer_bytes = 16u << 20;  // write buffer in the fill workloads
  uint64_t reads = 200000;            // Gets / seeks per read workload run
  std::vector<int> threads = {1, 4, 16, 64};
  bool raw_logs = true;               // durable: also run the raw logs (off: for profiling)
  int durable_ops = 2000;             // durable puts per run (at least 4 per thread)
  uint64_t recovery_mb = 128;         // log written before the crash
  uint64_t stall_load_mb = 128;       // bulk load while the latency writer runs
  double stall_rate = 20000;          // latency writer's puts per second
  double stall_before_s = 2;          // seconds measured before the load starts
  double stall_after_s = 0.5;         // the writer keeps going this long after the compaction
  std::string csv_prefix;             // stall: PREFIX-ENGINE.csv per engine (last run)
  uint64_t seed = 1;
};

// Deterministic value of key number i: value_size bytes of incompressible data, so a reader
// can check what it got.
class Values {
 public:
  explicit Values(int value_size);
  std::string_view For(uint64_t i) const;

 private:
  size_t size_;
  std::string buffer_;
};

// The workloads; each returns the process exit code.
int FillWorkloads(const PeerFlags& flags);     // fillseq, fillrandom, overwrite, space
int DurableWorkload(const PeerFlags& flags);   // durable puts by thread count, raw logs
int ReadWorkloads(const PeerFlags& flags);     // readseq, readrandom (2 caches), seekrandom
int RecoveryWorkload(const PeerFlags& flags);  // reopen after a crash with a full log
int StallWorkload(const PeerFlags& flags);     // writer latency during load + compaction
int PhysicalLimits(const PeerFlags& flags);    // fdatasync, sequential bandwidth
// The child process of RecoveryWorkload: fills a log of `mb` MiB, syncs, SIGKILLs itself.
int CrashFill(const std::string& name, const std::string& dir, uint64_t mb);

// Helpers shared by the workload files.
// Opens a fresh engine in `dir` (wiped unless keep) or prints the error and returns nullptr.
std::unique_ptr<Engine> OpenEngine(const std::string& name, const std::string& dir,
                                   const EngineConfig& config, bool keep = false);
// Prints a failed status with its context and returns false.
bool Check(const cairn::Status& st, const std::string& what);
// Bytes of every file under dir, recursively.
uint64_t DirBytes(const std::string& dir);
// Evicts dir's files from the page cache (drop_caches as root, else fadvise DONTNEED).
void EvictDir(const std::string& dir);
// Prints "settings engine=NAME: TEXT" once per engine and process.
void PrintSettings(const Engine& engine);

}  // namespace cairn_bench

#endif  // CAIRN_BENCH_PEER_WORKLOAD_H_
