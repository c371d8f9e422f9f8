// Proves the integer codings round-trip at their boundaries and that every decoder rejects
// truncated and overlong input instead of reading past it.
#include "util/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace cairn {
namespace {

TEST(Coding, FixedRoundTrip) {
  std::string buf;
  PutFixed32(&buf, 0xdeadbeef);
  PutFixed64(&buf, 0x0123456789abcdefull);
  ASSERT_EQ(buf.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(buf[0]), 0xef);  // little-endian
  std::string_view in(buf);
  uint32_t a = 0;
  uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(a, 0xdeadbeefu);
  EXPECT_EQ(b, 0x0123456789abcdefull);
  EXPECT_FALSE(GetFixed32(&in, &a));
}

TEST(Coding, VarintRoundTripAtBoundaries) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 16383, 16384, (1ull << 32) - 1, 1ull << 32,
                                  std::numeric_limits<uint64_t>::max()};
  for (int shift = 0; shift < 64; shift++) {
    values.push_back(1ull << shift);
    values.push_back((1ull << shift) - 1);
  }
  std::string buf;
  for (uint64_t v : values) {
    PutVarint64(&buf, v);
  }
  std::string_view in(buf);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(VarintLength(v), [&] { std::string s; PutVarint64(&s, v); return static_cast<int>(s.size()); }());
  }
  EXPECT_TRUE(in.empty());
}

TEST(Coding, TruncatedVarintIsRejected) {
  std::string buf;
  PutVarint64(&buf, 1ull << 40);
  for (size_t len = 0; len < buf.size(); len++) {
    std::string_view in(buf.data(), len);
    uint64_t v = 0;
    EXPECT_FALSE(GetVarint64(&in, &v)) << len;
  }
}

TEST(Coding, OverlongVarintIsRejected) {
  std::string eleven(11, '\x80');
  std::string_view in(eleven);
  uint64_t v = 0;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string too_big;
  PutVarint64(&too_big, 1ull << 33);
  std::string_view in32(too_big);
  uint32_t v32 = 0;
  EXPECT_FALSE(GetVarint32(&in32, &v32));
}

TEST(Coding, LengthPrefixedRejectsLengthPastInput) {
  std::string buf;
  PutLengthPrefixed(&buf, "hello");
  std::string_view in(buf);
  std::string_view value;
  ASSERT_TRUE(GetLengthPrefixed(&in, &value));
  EXPECT_EQ(value, "hello");
  std::string_view truncated(buf.data(), buf.size() - 1);
  EXPECT_FALSE(GetLengthPrefixed(&truncated, &value));
}

}  // namespace
}  // namespace cairn
