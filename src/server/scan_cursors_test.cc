// Proves ScanCursors hands out distinct non-zero numbers, finds their keys, and stays within
// its entry and byte bounds by forgetting the oldest cursors first.
#include "server/scan_cursors.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

TEST(ScanCursors, CursorsAreDistinctNonZeroAndFindTheirKey) {
  ScanCursors cursors(10, 1000, UINT64_MAX);  // wraps past 0 at once
  uint64_t a = cursors.Add("alpha");
  uint64_t b = cursors.Add("beta");
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
  std::string key;
  ASSERT_TRUE(cursors.Lookup(a, &key));
  EXPECT_EQ(key, "alpha");
  ASSERT_TRUE(cursors.Lookup(b, &key));
  EXPECT_EQ(key, "beta");
  EXPECT_FALSE(cursors.Lookup(12345, &key));
}

TEST(ScanCursors, OldestAreForgottenAtTheEntryBound) {
  ScanCursors cursors(3, 1000, 100);
  uint64_t first = cursors.Add("k1");
  for (int i = 0; i < 3; i++) {
    cursors.Add("k");
  }
  std::string key;
  EXPECT_FALSE(cursors.Lookup(first, &key));
  EXPECT_EQ(cursors.size(), 3u);
}

TEST(ScanCursors, OldestAreForgottenAtTheByteBound) {
  ScanCursors cursors(100, 10, 100);
  uint64_t first = cursors.Add("123456");
  uint64_t second = cursors.Add("abcdef");  // 12 bytes > 10: the first goes
  std::string key;
  EXPECT_FALSE(cursors.Lookup(first, &key));
  EXPECT_TRUE(cursors.Lookup(second, &key));
  EXPECT_LE(cursors.bytes(), 10u);
}

}  // namespace
}  // namespace cairn::server
