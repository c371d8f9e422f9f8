// Proves the write-pressure rule: no delay below the thresholds, a delay that grows smoothly
// (monotonically, without jumps) with MemTable memory and level-0 files, capped below the
// hard stop, and a hard stop only at the memory limit.
#include "db/write_pressure.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

Options TestOptions() {
  Options options;
  options.max_memtable_memory_bytes = 1000;
  options.l0_slowdown_files = 8;
  options.l0_slowdown_full_files = 24;
  return options;
}

TEST(WritePressure, NoDelayBelowThresholds) {
  Options options = TestOptions();
  EXPECT_EQ(WriteDelayMicros({500, 7}, options), 0u);
  EXPECT_EQ(WriteDelayMicros({0, 0}, options), 0u);
  EXPECT_FALSE(MustStopWrites({999, 100}, options));
}

TEST(WritePressure, DelayGrowsSmoothlyWithMemory) {
  Options options = TestOptions();
  uint64_t previous = 0;
  for (size_t bytes = 500; bytes < 1000; bytes += 10) {
    uint64_t delay = WriteDelayMicros({bytes, 0}, options);
    EXPECT_GE(delay, previous);
    EXPECT_LE(delay - previous, kMaxWriteDelayMicros / 40) << bytes;  // no jumps
    previous = delay;
  }
  EXPECT_GT(previous, kMaxWriteDelayMicros * 9 / 10);
  EXPECT_TRUE(MustStopWrites({1000, 0}, options));
}

TEST(WritePressure, LevelZeroFilesSlowButNeverStop) {
  Options options = TestOptions();
  EXPECT_EQ(WriteDelayMicros({0, 8}, options), 0u);
  EXPECT_EQ(WriteDelayMicros({0, 16}, options), kMaxWriteDelayMicros / 2);
  EXPECT_EQ(WriteDelayMicros({0, 24}, options), kMaxWriteDelayMicros);
  EXPECT_EQ(WriteDelayMicros({0, 500}, options), kMaxWriteDelayMicros);
  EXPECT_FALSE(MustStopWrites({0, 500}, options));
}

}  // namespace
}  // namespace cairn
