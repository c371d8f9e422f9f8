// Proves MemEnv's torn-write crash (CrashOptions::torn_writes): for every seed the surviving
// file keeps all synced bytes, never holds a byte that was not written (only new bytes, old
// bytes or zeros past the synced length), changes in whole 512-byte units and ends on a unit
// boundary, the synced length or the written length; the same seed always gives the same
// result and different seeds give a real mix. Each test replays one scenario under many
// seeds and checks every outcome byte by byte.
#include <gtest/gtest.h>

#include <set>

#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

constexpr size_t kUnit = 512;
constexpr size_t kSyncedBytes = 1000;   // deliberately not a unit multiple
constexpr size_t kWrittenBytes = 4000;  // synced + unsynced

// Non-zero bytes, distinct between the synced part and the unsynced tail.
std::string Pattern(char first, size_t length) {
  std::string s(length, ' ');
  for (size_t i = 0; i < length; ++i) {
    s[i] = static_cast<char>(first + i % 23);
  }
  return s;
}

const std::string& Written() {
  static const std::string* const written =
      new std::string(Pattern('A', kSyncedBytes) + Pattern('a', kWrittenBytes - kSyncedBytes));
  return *written;
}

// /d/f holds kSyncedBytes synced bytes and the rest of Written() unsynced; then a torn crash.
std::string TornOutcome(uint64_t seed) {
  MemEnv env;
  EXPECT_OK(env.CreateDir("/d"));
  EXPECT_OK(env.SyncDir("/"));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f");
  EXPECT_OK(file.status());
  EXPECT_OK(env.SyncDir("/d"));
  EXPECT_OK(file.value()->Append(std::string_view(Written()).substr(0, kSyncedBytes)));
  EXPECT_OK(file.value()->Sync());
  EXPECT_OK(file.value()->Append(std::string_view(Written()).substr(kSyncedBytes)));
  env.CrashNow();
  file.value().reset();
  env.Restart(CrashOptions{.torn_writes = true, .seed = seed});
  Result<std::string> contents = env.ReadFileContents("/d/f");
  EXPECT_OK(contents.status());
  return contents.ok() ? contents.value() : "";
}

// The content of unit [start, end) if it was not written after the sync.
std::string OldUnit(size_t start, size_t end) {
  std::string unit(end - start, '\0');
  if (start < kSyncedBytes) {
    Written().copy(unit.data(), std::min(end, kSyncedBytes) - start, start);
  }
  return unit;
}

TEST(MemEnvTorn, KeepsAllSyncedBytes) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const std::string out = TornOutcome(seed);
    ASSERT_GE(out.size(), kSyncedBytes) << "seed " << seed;
    EXPECT_EQ(out.substr(0, kSyncedBytes), Written().substr(0, kSyncedBytes)) << "seed " << seed;
  }
}

TEST(MemEnvTorn, NeverKeepsBytesThatWereNeverWritten) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const std::string out = TornOutcome(seed);
    ASSERT_LE(out.size(), kWrittenBytes) << "seed " << seed;
    for (size_t i = kSyncedBytes; i < out.size(); ++i) {
      ASSERT_TRUE(out[i] == Written()[i] || out[i] == '\0') << "seed " << seed << " byte " << i;
    }
  }
}

TEST(MemEnvTorn, ChangesWholeUnitsAndEndsOnAUnitBoundaryOrAKnownLength) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const std::string out = TornOutcome(seed);
    const size_t length = out.size();
    EXPECT_TRUE(length == kSyncedBytes || length == kWrittenBytes || length % kUnit == 0) << length;
    for (size_t start = 0; start < length; start += kUnit) {
      const size_t end = std::min(start + kUnit, length);
      const std::string unit = out.substr(start, end - start);
      EXPECT_TRUE(unit == Written().substr(start, end - start) || unit == OldUnit(start, end))
          << "unit at " << start << " is neither all new nor all old";
    }
  }
}

TEST(MemEnvTorn, IsDeterministicPerSeedAndMixesUnitsAcrossSeeds) {
  std::set<std::string> outcomes;
  std::set<size_t> lengths;
  bool saw_mix = false;  // a file with both a new and an old unit past the synced length
  for (uint64_t seed = 0; seed < 100; ++seed) {
    const std::string out = TornOutcome(seed);
    EXPECT_EQ(TornOutcome(seed), out) << "seed " << seed;
    outcomes.insert(out);
    lengths.insert(out.size());
    bool new_unit = false;
    bool old_unit = false;
    for (size_t start = 1024; start + kUnit <= out.size(); start += kUnit) {
      const std::string unit = out.substr(start, kUnit);
      new_unit |= unit == Written().substr(start, kUnit);
      old_unit |= unit == OldUnit(start, start + kUnit);
    }
    saw_mix |= new_unit && old_unit;
  }
  EXPECT_GT(outcomes.size(), 20u);
  EXPECT_TRUE(saw_mix);
  // Both extremes occur: nothing unsynced survives, and everything does.
  EXPECT_EQ(lengths.count(kSyncedBytes), 1u);
  EXPECT_EQ(lengths.count(kWrittenBytes), 1u);
}

TEST(MemEnvTorn, FullySyncedFileIsUnchanged) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    MemEnv env;
    ASSERT_OK(env.SetFileContentsDurably("/d/f", Written()));
    env.Crash(CrashOptions{.torn_writes = true, .seed = seed});
    Result<std::string> contents = env.ReadFileContents("/d/f");
    ASSERT_OK(contents.status());
    EXPECT_EQ(contents.value(), Written());
  }
}

TEST(MemEnvTorn, UnsyncedDirectoryEntriesAreStillLost) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/d"));
  ASSERT_OK(env.SyncDir("/"));
  Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f");
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append(Written()));
  ASSERT_OK(file.value()->Sync());
  file.value().reset();
  env.Crash(CrashOptions{.torn_writes = true, .seed = 7});
  EXPECT_TRUE(env.ReadFileContents("/d/f").status().IsNotFound());
}

// A synced file is reopened (O_TRUNC) and partly rewritten without a sync. Whether the
// truncation reached the disk is itself a torn outcome, but every byte still comes from the
// old content, the new content, or is zero.
TEST(MemEnvTorn, UnsyncedReopenTruncationKeepsOnlyOldNewOrZeroBytes) {
  const std::string old_bytes(2048, 'X');
  const std::string new_bytes(1024 + 100, 'Y');
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    MemEnv env;
    ASSERT_OK(env.SetFileContentsDurably("/d/f", old_bytes));
    Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/f");
    ASSERT_OK(file.status());
    ASSERT_OK(file.value()->Append(new_bytes));
    file.value().reset();
    env.Crash(CrashOptions{.torn_writes = true, .seed = seed});
    Result<std::string> contents = env.ReadFileContents("/d/f");
    ASSERT_OK(contents.status());
    const std::string& out = contents.value();
    ASSERT_LE(out.size(), old_bytes.size());
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_TRUE(out[i] == 'X' || out[i] == 'Y' || out[i] == '\0') << "seed " << seed;
    }
    outcomes.insert(out);
  }
  EXPECT_EQ(outcomes.count(old_bytes), 1u);  // the truncation can be entirely undone
  EXPECT_EQ(outcomes.count(new_bytes), 1u);  // or entirely kept with all new bytes
}

TEST(MemEnvTorn, HardLinksShareOneTornOutcome) {
  for (uint64_t seed = 0; seed < 30; ++seed) {
    MemEnv env;
    ASSERT_OK(env.CreateDir("/d"));
    ASSERT_OK(env.SyncDir("/"));
    Result<std::unique_ptr<WritableFile>> file = env.NewWritableFile("/d/a");
    ASSERT_OK(file.status());
    ASSERT_OK(env.LinkFile("/d/a", "/d/b"));
    ASSERT_OK(env.SyncDir("/d"));
    ASSERT_OK(file.value()->Append(Written()));
    file.value().reset();
    env.Crash(CrashOptions{.torn_writes = true, .seed = seed});
    Result<std::string> a = env.ReadFileContents("/d/a");
    Result<std::string> b = env.ReadFileContents("/d/b");
    ASSERT_OK(a.status());
    ASSERT_OK(b.status());
    EXPECT_EQ(a.value(), b.value());
  }
}

}  // namespace
}  // namespace cairn
