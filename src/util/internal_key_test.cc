// Proves the inlined key comparisons order keys exactly as bytewise std::string_view::compare
// (unsigned bytes, shorter prefix first) on both sides of the inline/memcmp length limit, and
// that internal keys order by user key, then newest sequence first.
#include "util/internal_key.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace cairn {
namespace {

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

std::string RandomKey(std::mt19937_64* rng, size_t length, int alphabet) {
  std::string key(length, '\0');
  for (char& c : key) {
    // A small alphabet makes long common prefixes (and equal keys) likely; 256 covers the
    // bytes above 0x7f, which must compare as unsigned.
    c = static_cast<char>((*rng)() % static_cast<uint64_t>(alphabet));
  }
  return key;
}

TEST(InternalKey, CompareUserKeysMatchesBytewiseOrder) {
  std::mt19937_64 rng(20261122);
  for (int round = 0; round < 200000; round++) {
    const int alphabet = round % 3 == 0 ? 2 : 256;
    const size_t max_length = 2 * kInlineCompareLimit + 10;
    std::string a = RandomKey(&rng, rng() % max_length, alphabet);
    std::string b;
    switch (rng() % 3) {
      case 0:  // unrelated
        b = RandomKey(&rng, rng() % max_length, alphabet);
        break;
      case 1:  // a prefix of a, or a itself
        b = a.substr(0, rng() % (a.size() + 1));
        break;
      default:  // a with one byte changed
        b = a;
        if (!b.empty()) {
          b[rng() % b.size()] = static_cast<char>(rng());
        }
        break;
    }
    ASSERT_EQ(CompareUserKeys(a, b), Sign(std::string_view(a).compare(b)))
        << "a size " << a.size() << " b size " << b.size();
    ASSERT_EQ(CompareUserKeys(b, a), Sign(std::string_view(b).compare(a)));
  }
}

TEST(InternalKey, BytesAboveSevenBitsSortAfterLowerOnes) {
  EXPECT_LT(CompareUserKeys(std::string(9, '\x01'), std::string(9, '\xff')), 0);
  EXPECT_GT(CompareUserKeys(std::string("abcdefgh\x80"), std::string("abcdefgh\x7f")), 0);
  EXPECT_LT(CompareUserKeys("", std::string(1, '\0')), 0);
  EXPECT_EQ(CompareUserKeys("", ""), 0);
}

TEST(InternalKey, InternalKeysOrderByUserKeyThenNewestFirst) {
  auto key = [](std::string_view user_key, uint64_t sequence, ValueKind kind) {
    std::string out;
    AppendInternalKey(&out, user_key, sequence, kind);
    return out;
  };
  EXPECT_LT(CompareInternalKeys(key("a", 1, ValueKind::kPut), key("b", 9, ValueKind::kPut)), 0);
  EXPECT_LT(CompareInternalKeys(key("a", 9, ValueKind::kPut), key("a", 1, ValueKind::kPut)), 0);
  EXPECT_LT(CompareInternalKeys(key("a", 5, ValueKind::kPut), key("a", 5, ValueKind::kDelete)),
            0);
  EXPECT_EQ(CompareInternalKeys(key("a", 5, ValueKind::kPut), key("a", 5, ValueKind::kPut)), 0);
  // A user key that is a prefix of another sorts first whatever the sequences.
  EXPECT_LT(CompareInternalKeys(key("ab", 1, ValueKind::kPut), key("abc", 9, ValueKind::kPut)),
            0);
}

}  // namespace
}  // namespace cairn
