// Proves Env::ReuseWritableFile, the primitive of WAL recycling, in every Env:
//   - PosixEnv and MemEnv open an existing file for writing from offset 0 without truncating
//     it: writes overwrite in place, the size grows only past the old end; a missing file is
//     NotFound;
//   - MemEnv's crash model: an overwrite that was not synced keeps the old bytes (exact
//     model), or per 512-byte unit either the old or the new bytes (torn model, both seen
//     across seeds, never anything else); a synced overwrite survives;
//   - FaultEnv forwards the call and injects open/write/sync failures on the reused file.
#include <gtest/gtest.h>

#include <set>

#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

constexpr size_t kUnit = 512;

std::string ReadAll(Env* env, const std::string& path) {
  auto file = env->NewReadableFile(path);
  EXPECT_OK(file.status());
  if (!file.ok()) return "<error>";
  std::string scratch(1 << 16, '\0');
  std::string_view result;
  EXPECT_OK(file.value()->Read(0, scratch.size(), scratch.data(), &result));
  return std::string(result);
}

void WriteSynced(Env* env, const std::string& path, std::string_view data) {
  auto file = env->NewWritableFile(path);
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append(data));
  ASSERT_OK(file.value()->Sync());
  ASSERT_OK(file.value()->Close());
}

// The shared contract, run against any Env.
void CheckOverwritesInPlace(Env* env, const std::string& dir) {
  const std::string path = dir + "/f";
  ASSERT_NO_FATAL_FAILURE(WriteSynced(env, path, "0123456789"));
  auto file = env->ReuseWritableFile(path);
  ASSERT_OK(file.status());
  ASSERT_OK(file.value()->Append("ab"));
  ASSERT_OK(file.value()->Append("cd"));
  EXPECT_EQ(ReadAll(env, path), "abcd456789");
  EXPECT_EQ(env->GetFileSize(path).value(), 10u) << "reuse must not truncate";
  ASSERT_OK(file.value()->Append("efghijklm"));  // crosses the old end
  EXPECT_EQ(ReadAll(env, path), "abcdefghijklm");
  ASSERT_OK(file.value()->Sync());
  ASSERT_OK(file.value()->Close());
  EXPECT_TRUE(env->ReuseWritableFile(dir + "/missing").status().IsNotFound());
}

TEST(EnvReuseTest, PosixOverwritesFromOffsetZeroWithoutTruncating) {
  test::TempDir dir;
  ASSERT_NO_FATAL_FAILURE(CheckOverwritesInPlace(Env::Default(), dir.path()));
}

TEST(EnvReuseTest, MemEnvOverwritesFromOffsetZeroWithoutTruncating) {
  MemEnv env;
  ASSERT_OK(env.CreateDir("/d"));
  ASSERT_NO_FATAL_FAILURE(CheckOverwritesInPlace(&env, "/d"));
}

class MemEnvReuseCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(env_.CreateDir("/d"));
    ASSERT_OK(env_.SyncDir("/"));
    ASSERT_NO_FATAL_FAILURE(WriteSynced(&env_, kPath, std::string(4 * kUnit, 'o')));
    ASSERT_OK(env_.SyncDir("/d"));
  }

  // Overwrites the first `units` units with 'n' (unsynced, unless `sync`).
  void Overwrite(size_t units, bool sync) {
    auto file = env_.ReuseWritableFile(kPath);
    ASSERT_OK(file.status());
    ASSERT_OK(file.value()->Append(std::string(units * kUnit, 'n')));
    if (sync) ASSERT_OK(file.value()->Sync());
  }

  static constexpr char kPath[] = "/d/f";
  MemEnv env_;
};

TEST_F(MemEnvReuseCrashTest, UnsyncedOverwriteKeepsTheOldBytesInTheExactModel) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(3, /*sync=*/false));
  env_.Crash();
  EXPECT_EQ(env_.ReadFileContents(kPath).value(), std::string(4 * kUnit, 'o'));
}

TEST_F(MemEnvReuseCrashTest, SyncedOverwriteSurvivesACrash) {
  ASSERT_NO_FATAL_FAILURE(Overwrite(3, /*sync=*/true));
  env_.Crash(CrashOptions{/*torn_writes=*/true, 7});
  EXPECT_EQ(env_.ReadFileContents(kPath).value(),
            std::string(3 * kUnit, 'n') + std::string(kUnit, 'o'));
}

TEST(MemEnvReuseTornTest, UnsyncedOverwriteKeepsOldOrNewPerUnitInTheTornModel) {
  std::set<std::string> outcomes;
  for (uint64_t seed = 0; seed < 64; seed++) {
    MemEnv env;
    ASSERT_OK(env.CreateDir("/d"));
    ASSERT_OK(env.SyncDir("/"));
    ASSERT_NO_FATAL_FAILURE(WriteSynced(&env, "/d/f", std::string(4 * kUnit, 'o')));
    ASSERT_OK(env.SyncDir("/d"));
    auto file = env.ReuseWritableFile("/d/f");
    ASSERT_OK(file.status());
    ASSERT_OK(file.value()->Append(std::string(3 * kUnit, 'n')));
    env.Crash(CrashOptions{/*torn_writes=*/true, seed});
    std::string after = env.ReadFileContents("/d/f").value();
    ASSERT_EQ(after.size(), 4 * kUnit) << "seed " << seed << ": an overwrite never shrinks";
    std::string pattern;
    for (size_t unit = 0; unit < 4; unit++) {
      std::string bytes = after.substr(unit * kUnit, kUnit);
      bool old_unit = bytes == std::string(kUnit, 'o');
      bool new_unit = bytes == std::string(kUnit, 'n');
      ASSERT_TRUE(old_unit || (new_unit && unit < 3)) << "seed " << seed << " unit " << unit;
      pattern += new_unit ? 'n' : 'o';
    }
    outcomes.insert(pattern);
  }
  EXPECT_GT(outcomes.size(), 4u) << "the torn model should mix old and new units";
  EXPECT_TRUE(outcomes.count("oooo") && outcomes.count("nnno"));
}

TEST(FaultEnvReuseTest, ForwardsReuseAndInjectsFailuresOnTheReusedFile) {
  MemEnv mem;
  ASSERT_OK(mem.CreateDir("/d"));
  ASSERT_NO_FATAL_FAILURE(WriteSynced(&mem, "/d/f", "0123456789"));
  FaultEnv faults(&mem);
  faults.FailKinds(kFaultOpen);
  EXPECT_TRUE(faults.ReuseWritableFile("/d/f").status().IsIOError());
  faults.ClearFaults();
  auto file = faults.ReuseWritableFile("/d/f");
  ASSERT_OK(file.status());
  faults.FailKinds(kFaultWrite);
  EXPECT_TRUE(file.value()->Append("xy").IsIOError());
  EXPECT_EQ(mem.ReadFileContents("/d/f").value(), "0123456789") << "a failed append writes nothing";
  faults.FailKinds(kFaultSync);
  faults.ClearFaults();
  ASSERT_OK(file.value()->Append("xy"));
  faults.FailKinds(kFaultSync);
  EXPECT_TRUE(file.value()->Sync().IsIOError());
  faults.ClearFaults();
  EXPECT_EQ(mem.ReadFileContents("/d/f").value(), "xy23456789");
  EXPECT_TRUE(faults.ReuseWritableFile("/d/missing").status().IsNotFound());
}

}  // namespace
}  // namespace cairn
