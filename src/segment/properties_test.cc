// Proves the properties block round-trips, skips fields from later versions, and rejects
// (with Corruption, never a crash or a huge allocation) every truncation, a missing or
// repeated field, a length that runs past the block, and inconsistent values.
#include "segment/properties.h"

#include <gtest/gtest.h>

#include "segment/segment_testutil.h"
#include "util/coding.h"

namespace cairn::segment {
namespace {

SegmentProperties Sample() {
  SegmentProperties p;
  p.smallest_key = test::IKey("apple", 90);
  p.largest_key = test::IKey("pear", 12, ValueKind::kDelete);
  p.min_sequence = 3;
  p.max_sequence = 1u << 30;
  p.entry_count = 1000;
  p.deletion_count = 17;
  p.min_commit_micros = 1795000000000000;
  p.max_commit_micros = 1795000000999999;
  p.raw_key_bytes = 20000;
  p.raw_value_bytes = 300000;
  p.data_block_count = 40;
  p.data_bytes = 250000;
  p.index_bytes = 900;
  p.filter_bytes = 1282;
  p.compression = Compression::kZstd;
  p.creation_micros = 1795000001000000;
  return p;
}

void ExpectEqual(const SegmentProperties& a, const SegmentProperties& b) {
  EXPECT_EQ(a.smallest_key, b.smallest_key);
  EXPECT_EQ(a.largest_key, b.largest_key);
  EXPECT_EQ(a.min_sequence, b.min_sequence);
  EXPECT_EQ(a.max_sequence, b.max_sequence);
  EXPECT_EQ(a.entry_count, b.entry_count);
  EXPECT_EQ(a.deletion_count, b.deletion_count);
  EXPECT_EQ(a.min_commit_micros, b.min_commit_micros);
  EXPECT_EQ(a.max_commit_micros, b.max_commit_micros);
  EXPECT_EQ(a.raw_key_bytes, b.raw_key_bytes);
  EXPECT_EQ(a.raw_value_bytes, b.raw_value_bytes);
  EXPECT_EQ(a.data_block_count, b.data_block_count);
  EXPECT_EQ(a.data_bytes, b.data_bytes);
  EXPECT_EQ(a.index_bytes, b.index_bytes);
  EXPECT_EQ(a.filter_bytes, b.filter_bytes);
  EXPECT_EQ(a.compression, b.compression);
  EXPECT_EQ(a.creation_micros, b.creation_micros);
}

TEST(SegmentProperties, RoundTrip) {
  std::string encoded;
  EncodeProperties(Sample(), &encoded);
  SegmentProperties decoded;
  ASSERT_TRUE(DecodeProperties(encoded, &decoded).ok());
  ExpectEqual(decoded, Sample());
}

TEST(SegmentProperties, UnknownFieldsAreSkipped) {
  std::string encoded;
  PutVarint32(&encoded, 99);  // a field of a later version, before and after the known ones
  PutLengthPrefixed(&encoded, "future");
  EncodeProperties(Sample(), &encoded);
  PutVarint32(&encoded, 1000);
  PutLengthPrefixed(&encoded, "");
  SegmentProperties decoded;
  ASSERT_TRUE(DecodeProperties(encoded, &decoded).ok());
  ExpectEqual(decoded, Sample());
}

TEST(SegmentProperties, EveryTruncationIsCorruption) {
  std::string encoded;
  EncodeProperties(Sample(), &encoded);
  for (size_t n = 0; n < encoded.size(); n++) {
    SegmentProperties decoded;
    Status s = DecodeProperties(std::string_view(encoded.data(), n), &decoded);
    EXPECT_TRUE(s.IsCorruption()) << n << ": " << s.ToString();
  }
}

TEST(SegmentProperties, MissingRepeatedAndOversizedFields) {
  std::string encoded;
  EncodeProperties(Sample(), &encoded);
  SegmentProperties decoded;
  // Repeated: the whole encoding twice.
  EXPECT_TRUE(DecodeProperties(encoded + encoded, &decoded).IsCorruption());
  // A length far beyond the block: rejected by the bounds check, nothing allocated.
  std::string huge;
  PutVarint32(&huge, 1);
  PutVarint32(&huge, 0xfffffff0u);
  huge.append("abc");
  EXPECT_TRUE(DecodeProperties(huge, &decoded).IsCorruption());
  // Tag 0 and an integer field that is not exactly one varint.
  std::string bad;
  PutVarint32(&bad, 0);
  PutLengthPrefixed(&bad, "");
  EXPECT_TRUE(DecodeProperties(bad + encoded, &decoded).IsCorruption());
  bad.clear();
  PutVarint32(&bad, 3);
  PutLengthPrefixed(&bad, std::string("\x01\x02", 2));
  EXPECT_TRUE(DecodeProperties(bad, &decoded).IsCorruption());
}

TEST(SegmentProperties, InconsistentValuesAreCorruption) {
  auto check = [](void (*mutate)(SegmentProperties*)) {
    SegmentProperties p = Sample();
    mutate(&p);
    // Encode by hand (EncodeProperties asserts consistency): valid fields, bad relations.
    std::string encoded;
    auto key = [&](uint32_t tag, const std::string& k) {
      PutVarint32(&encoded, tag);
      PutLengthPrefixed(&encoded, k);
    };
    auto num = [&](uint32_t tag, uint64_t v) {
      std::string value;
      PutVarint64(&value, v);
      PutVarint32(&encoded, tag);
      PutLengthPrefixed(&encoded, value);
    };
    key(1, p.smallest_key);
    key(2, p.largest_key);
    num(3, p.min_sequence);
    num(4, p.max_sequence);
    num(5, p.entry_count);
    num(6, p.deletion_count);
    num(7, p.min_commit_micros);
    num(8, p.max_commit_micros);
    num(9, p.raw_key_bytes);
    num(10, p.raw_value_bytes);
    num(11, p.data_block_count);
    num(12, p.data_bytes);
    num(13, p.index_bytes);
    num(14, p.filter_bytes);
    num(15, static_cast<uint8_t>(p.compression));
    num(16, p.creation_micros);
    SegmentProperties decoded;
    return DecodeProperties(encoded, &decoded);
  };
  EXPECT_TRUE(check([](SegmentProperties*) {}).ok());
  EXPECT_TRUE(check([](SegmentProperties* p) { p->smallest_key = "short"; }).IsCorruption());
  EXPECT_TRUE(check([](SegmentProperties* p) {
                std::swap(p->smallest_key, p->largest_key);
              }).IsCorruption());
  EXPECT_TRUE(
      check([](SegmentProperties* p) { p->min_sequence = p->max_sequence + 1; }).IsCorruption());
  EXPECT_TRUE(check([](SegmentProperties* p) { p->max_commit_micros = 0; }).IsCorruption());
  EXPECT_TRUE(check([](SegmentProperties* p) { p->entry_count = 0; }).IsCorruption());
  EXPECT_TRUE(check([](SegmentProperties* p) { p->deletion_count = 1001; }).IsCorruption());
  EXPECT_TRUE(check([](SegmentProperties* p) { p->data_block_count = 0; }).IsCorruption());
  EXPECT_TRUE(check([](SegmentProperties* p) {
                p->compression = static_cast<Compression>(7);
              }).IsCorruption());
}

}  // namespace
}  // namespace cairn::segment
