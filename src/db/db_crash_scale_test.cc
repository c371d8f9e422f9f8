// Crash states at scale (issue: "10,000+ distinct crash states checked per CI run"): many
// random LSM workloads, each crashed at every one of its sync points, once keeping exactly the
// synced bytes and once with torn writes, and checked against the shared crash-workload model
// (crash_workload_testutil.h: acknowledged writes present, nothing unwritten, batches whole,
// the recovered database writable and stable across a clean reopen).
//
// Each workload draws its own shape from its seed: MemTable size (a WAL switch every few
// groups up to a few per sweep), block and segment sizes, level-0 trigger, level-1 budget,
// compression, and operations per thread, so flushes, compactions, trivial moves, manifest
// rollovers, SyncWal and the mid-workload reopen land on different sync points each time.
// A crash state is one (workload seed, sync point, torn or not) triple; every one is distinct.
//
// The work is split into shards (separate tests, so ctest runs them in parallel). Each shard
// runs workloads until it has checked its share of the target, then prints how many states
// it checked. CAIRN_TEST_SCALE scales the target (sanitizer builds run less); CAIRN_TEST_SEED
// fixes the first workload's seed (every failure prints the seed and the crash point).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "db/crash_workload_testutil.h"
#include "testutil.h"

namespace cairn {
namespace {

using namespace crash_test;  // NOLINT: the shared crash-workload model

// Crash states all shards together check at scale 1; the other crash sweeps add ~1,900.
constexpr int kTargetStates = 20000;
constexpr int kShards = 4;
// Workloads per shard are bounded so a broken sweep (one that checks nothing) still ends.
constexpr int kMaxWorkloadsPerShard = 1000;

struct WorkloadShape {
  size_t memtable_size_bytes;
  size_t block_size_bytes;
  size_t target_segment_size_bytes;
  int l0_compaction_trigger;
  uint64_t level1_size_bytes;
  Compression compression;
  int ops_per_thread;

  std::string Describe() const {
    return "memtable " + std::to_string(memtable_size_bytes) + " B, block " +
           std::to_string(block_size_bytes) + " B, segment " +
           std::to_string(target_segment_size_bytes) + " B, l0 trigger " +
           std::to_string(l0_compaction_trigger) + ", level 1 " +
           std::to_string(level1_size_bytes) + " B, " + std::to_string(ops_per_thread) +
           " ops/thread";
  }
};

WorkloadShape DrawShape(uint64_t seed) {
  std::mt19937_64 rng(seed * 0x2545f4914f6cdd1dull + 1);
  WorkloadShape shape;
  shape.memtable_size_bytes = size_t{8 << 10} << (rng() % 4);        // 8..64 KiB
  shape.block_size_bytes = size_t{512} << (rng() % 4);               // 512 B..4 KiB
  shape.target_segment_size_bytes = size_t{4 << 10} << (rng() % 3);  // 4..16 KiB
  shape.l0_compaction_trigger = 2 + static_cast<int>(rng() % 3);
  shape.level1_size_bytes = uint64_t{16 << 10} << (rng() % 3);
  static constexpr Compression kCompressions[] = {Compression::kNone, Compression::kLZ4,
                                                  Compression::kZstd};
  shape.compression = kCompressions[rng() % 3];
  shape.ops_per_thread = 16 + static_cast<int>(rng() % 24);
  return shape;
}

Options ShapeOptions(const WorkloadShape& shape, Env* env) {
  Options options = SweepOptions(env, shape.memtable_size_bytes);
  options.block_size_bytes = shape.block_size_bytes;
  options.target_segment_size_bytes = shape.target_segment_size_bytes;
  options.l0_compaction_trigger = shape.l0_compaction_trigger;
  options.level1_size_bytes = shape.level1_size_bytes;
  options.compression = shape.compression;
  return options;
}

// Sweeps one workload over every sync point; adds what it checked to *stats.
void SweepWorkload(uint64_t seed, LsmSweepStats* stats) {
  const WorkloadShape shape = DrawShape(seed);
  SCOPED_TRACE("workload seed " + std::to_string(seed) + " (" + shape.Describe() + ")");
  auto make_options = [&](Env* env) { return ShapeOptions(shape, env); };
  for (uint64_t point = 0; point < kMaxCrashPoints; point++) {
    bool outlived = false;
    for (bool torn : {false, true}) {
      SCOPED_TRACE("crash point " + std::to_string(point) +
                   (torn ? " with torn writes" : " keeping synced bytes only"));
      bool run_outlived = false;
      CheckLsmCrashPoint(shape.ops_per_thread, seed, point, torn, &run_outlived, stats,
                         make_options);
      if (::testing::Test::HasFailure()) {
        return;
      }
      outlived = outlived || run_outlived;
    }
    if (outlived) {
      return;
    }
  }
  ADD_FAILURE() << "the workload never outlived its crash point";
}

void RunShard(int shard) {
  const uint64_t base_seed = test::TestSeed();
  const int target = std::max(100, static_cast<int>(kTargetStates * TestScale() / kShards));
  SCOPED_TRACE("shard " + std::to_string(shard) + ", base seed " + std::to_string(base_seed) +
               " (replay with CAIRN_TEST_SEED=" + std::to_string(base_seed) + ")");
  LsmSweepStats stats;
  int workloads = 0;
  for (; stats.crashes < target && workloads < kMaxWorkloadsPerShard; workloads++) {
    const uint64_t seed = base_seed + static_cast<uint64_t>(shard) * kMaxWorkloadsPerShard +
                          static_cast<uint64_t>(workloads);
    SweepWorkload(seed, &stats);
    if (::testing::Test::HasFailure()) {
      return;
    }
  }
  EXPECT_GE(stats.crashes, target) << "the sweeps stopped reaching crash states";
  // The states must include the ones the sweep exists for.
  EXPECT_GT(stats.with_segments, stats.crashes / 2);
  EXPECT_GT(stats.in_reopen, 0);
  EXPECT_GT(stats.torn_tails_cut, 0);
  std::printf(
      "[ sweep    ] shard %d: %d crash states checked in %d random workloads (%d reading "
      "segments, %d in the mid-workload reopen, %d torn tails cut)\n",
      shard, stats.crashes, workloads, stats.with_segments, stats.in_reopen,
      stats.torn_tails_cut);
}

TEST(DBCrashScaleTest, RandomLsmWorkloadsSurviveACrashAtEverySyncPointShard0) { RunShard(0); }
TEST(DBCrashScaleTest, RandomLsmWorkloadsSurviveACrashAtEverySyncPointShard1) { RunShard(1); }
TEST(DBCrashScaleTest, RandomLsmWorkloadsSurviveACrashAtEverySyncPointShard2) { RunShard(2); }
TEST(DBCrashScaleTest, RandomLsmWorkloadsSurviveACrashAtEverySyncPointShard3) { RunShard(3); }

}  // namespace
}  // namespace cairn
