// Proves CURRENT's contract: it round-trips the manifest number in its readable text form; a
// missing CURRENT is NotFound (for the caller to judge) while every other defect -- each
// flipped byte, each truncation, garbage, an oversized file, a name that is not a manifest --
// is Corruption, and only a well-checksummed higher version is NotSupported; and publishing
// a new CURRENT, crashed at every sync point of PublishFile on a MemEnv (with and without
// torn writes), always leaves the old pointer or the new one, never a broken file.
#include "manifest/current_file.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "manifest/manifest_format.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/crc32c.h"

namespace cairn::manifest {
namespace {

constexpr char kDir[] = "/db";
constexpr char kCurrent[] = "/db/CURRENT";

class CurrentFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(env_.CreateDir(kDir)); }
  MemEnv env_;
};

// A CURRENT with a correct checksum over arbitrary lines.
std::string WithCrc(const std::string& body) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "crc32c %08x\n", crc32c::Value(body));
  return body + buf;
}

TEST_F(CurrentFileTest, RoundTripsAsReadableText) {
  const std::string text = EncodeCurrent(12);
  EXPECT_TRUE(text.starts_with("cairn-current v1\nmanifest 000012.manifest\ncrc32c "));
  EXPECT_EQ(text, WithCrc("cairn-current v1\nmanifest 000012.manifest\n"));
  for (uint64_t number : {1ull, 12ull, 1234567ull, 123456789012345ull}) {
    ASSERT_OK(WriteCurrent(&env_, kDir, number));
    uint64_t read = 0;
    ASSERT_OK(ReadCurrent(&env_, kDir, &read));
    EXPECT_EQ(read, number);
  }
  EXPECT_FALSE(env_.FileExists("/db/CURRENT.tmp").value());
}

TEST_F(CurrentFileTest, MissingIsNotFound) {
  uint64_t number = 0;
  EXPECT_TRUE(ReadCurrent(&env_, kDir, &number).IsNotFound());
  // A leftover temporary is not a CURRENT.
  ASSERT_OK(env_.SetFileContentsDurably("/db/CURRENT.tmp", EncodeCurrent(3)));
  EXPECT_TRUE(ReadCurrent(&env_, kDir, &number).IsNotFound());
}

TEST_F(CurrentFileTest, EveryFlippedByteAndTruncationIsCorruption) {
  const std::string good = EncodeCurrent(12);
  uint64_t number = 0;
  for (size_t i = 0; i < good.size(); i++) {
    for (uint8_t mask : {0x01, 0x20, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      Status s = DecodeCurrent(bad, &number);
      EXPECT_TRUE(s.IsCorruption()) << i << ": " << s.ToString();
    }
  }
  for (size_t n = 0; n < good.size(); n++) {
    Status s = DecodeCurrent(good.substr(0, n), &number);
    EXPECT_TRUE(s.IsCorruption()) << n << ": " << s.ToString();
  }
  ASSERT_OK(env_.SetFileContentsDurably(kCurrent, good.substr(0, good.size() - 3)));
  Status s = ReadCurrent(&env_, kDir, &number);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(kCurrent), std::string::npos) << s.ToString();
}

TEST_F(CurrentFileTest, GarbageAndWrongContentAreCorruption) {
  uint64_t number = 0;
  const std::string cases[] = {
      "",
      "\n",
      "000012.manifest\n",
      std::string(kMaxCurrentFileBytes + 1, 'x'),
      WithCrc("cairn-current v1\nmanifest 000012.wal\n"),
      WithCrc("cairn-current v1\nmanifest 12.manifest\n"),
      WithCrc("cairn-current v1\nmanifest 000000.manifest\n"),
      WithCrc("cairn-current v1\nmanifest 000012.manifest\nextra\n"),
      WithCrc("cairn-current v1\nmanifest 000012.manifest"),
      WithCrc("cairn-current v0\nmanifest 000012.manifest\n"),
      WithCrc("cairn-current v\nmanifest 000012.manifest\n"),
      WithCrc("CAIRN-CURRENT v1\nmanifest 000012.manifest\n"),
      WithCrc("cairn-current v1\n"),
      EncodeCurrent(12) + "\n",
      "cairn-current v1\nmanifest 000012.manifest\ncrc32c 0000000g\n",
      "cairn-current v1\nmanifest 000012.manifest\ncrc32c 1234567\n",
  };
  for (const std::string& contents : cases) {
    Status s = DecodeCurrent(contents, &number);
    EXPECT_TRUE(s.IsCorruption()) << contents << ": " << s.ToString();
  }
  ASSERT_OK(env_.SetFileContentsDurably(kCurrent, std::string(100000, '\0')));
  EXPECT_TRUE(ReadCurrent(&env_, kDir, &number).IsCorruption());
}

TEST_F(CurrentFileTest, HigherVersionIsNotSupported) {
  uint64_t number = 0;
  Status s = DecodeCurrent(WithCrc("cairn-current v2\nmanifest 000012.manifest\n"), &number);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
}

TEST_F(CurrentFileTest, CrashWhilePublishingLeavesOldOrNew) {
  for (bool torn : {false, true}) {
    for (uint64_t point = 0;; point++) {
      SCOPED_TRACE("torn " + std::to_string(torn) + " sync point " + std::to_string(point));
      MemEnv env;
      ASSERT_OK(env.CreateDir(kDir));
      ASSERT_OK(env.SyncDir("/"));
      ASSERT_OK(env.SyncDir(kDir));
      ASSERT_OK(WriteCurrent(&env, kDir, 7));
      env.ScheduleCrashAtSyncPoint(env.sync_point_count() + point);
      Status s = WriteCurrent(&env, kDir, 8);
      const bool crashed = env.crashed();
      if (crashed) {
        EXPECT_FALSE(s.ok());
        env.Restart(CrashOptions{torn, point});
      } else {
        ASSERT_OK(s);
      }
      uint64_t number = 0;
      ASSERT_OK(ReadCurrent(&env, kDir, &number));
      EXPECT_TRUE(number == 7 || number == 8) << number;
      if (!crashed) {
        EXPECT_EQ(number, 8u);
        break;
      }
    }
  }
}

}  // namespace
}  // namespace cairn::manifest
