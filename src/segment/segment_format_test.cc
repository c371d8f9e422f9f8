// Proves the footer round-trips and that DecodeFooter rejects every damaged byte (magic,
// size, CRC), reports a newer format version as NotSupported, and rejects handles outside
// the file, all before anything is allocated; that block compression round-trips and its
// declared raw size is bounded before allocation; and that index separators sort between
// their neighbours.
#include "segment/segment_format.h"

#include <gtest/gtest.h>

#include <random>

#include "segment/block_reader.h"
#include "segment/compression.h"
#include "segment/segment_builder.h"
#include "segment/segment_testutil.h"
#include "testutil.h"
#include "util/coding.h"
#include "util/constants.h"
#include "util/crc32c.h"

namespace cairn::segment {
namespace {

Footer SampleFooter() {
  Footer footer;
  footer.filter = {1000, 200};
  footer.index = {1205, 300};
  footer.properties = {1510, 150};
  return footer;
}

// A file of `data_bytes` bytes of blocks followed by the footer; returns the tail to decode.
std::string FileWithFooter(const Footer& footer, uint64_t* file_size) {
  std::string tail;
  EncodeFooter(footer, &tail);
  *file_size = 1665 + kFooterSize;
  return tail;
}

TEST(SegmentFooter, RoundTrip) {
  uint64_t file_size = 0;
  std::string tail = FileWithFooter(SampleFooter(), &file_size);
  ASSERT_EQ(tail.size(), kFooterSize);
  Footer decoded;
  uint64_t footer_offset = 0;
  ASSERT_TRUE(DecodeFooter("000001.seg", tail, file_size, &decoded, &footer_offset).ok());
  EXPECT_EQ(footer_offset, 1665u);
  EXPECT_EQ(decoded.index.offset, 1205u);
  EXPECT_EQ(decoded.index.size_bytes, 300u);
  EXPECT_EQ(decoded.filter.offset, 1000u);
  EXPECT_EQ(decoded.properties.size_bytes, 150u);
  EXPECT_EQ(tail.substr(kFooterSize - 8), "CAIRNSEG");
}

TEST(SegmentFooter, EveryFlippedByteIsCorruption) {
  uint64_t file_size = 0;
  const std::string good = FileWithFooter(SampleFooter(), &file_size);
  for (size_t i = 0; i < good.size(); i++) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string tail = good;
      tail[i] = static_cast<char>(tail[i] ^ mask);
      Footer decoded;
      uint64_t footer_offset = 0;
      Status s = DecodeFooter("000012.seg", tail, file_size, &decoded, &footer_offset);
      ASSERT_TRUE(s.IsCorruption()) << "byte " << i << ": " << s.ToString();
      EXPECT_NE(s.message().find("segment 000012.seg offset "), std::string::npos) << s.message();
    }
  }
}

TEST(SegmentFooter, NewerVersionIsNotSupported) {
  uint64_t file_size = 0;
  std::string tail = FileWithFooter(SampleFooter(), &file_size);
  EncodeFixed32(tail.data() + 52, 2);
  EncodeFixed32(tail.data() + kFooterCrcOffset, crc32c::Mask(crc32c::Value(tail.data(), 56)));
  Footer decoded;
  uint64_t footer_offset = 0;
  Status s = DecodeFooter("000012.seg", tail, file_size, &decoded, &footer_offset);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EncodeFixed32(tail.data() + 52, 0);  // version 0 never existed
  EncodeFixed32(tail.data() + kFooterCrcOffset, crc32c::Mask(crc32c::Value(tail.data(), 56)));
  EXPECT_TRUE(DecodeFooter("000012.seg", tail, file_size, &decoded, &footer_offset).IsCorruption());
}

TEST(SegmentFooter, HandlesOutsideTheFileAreRejected) {
  uint64_t file_size = 0;
  for (int which = 0; which < 3; which++) {
    for (BlockHandle bad :
         {BlockHandle{1665, 1}, BlockHandle{1600, 61}, BlockHandle{UINT64_MAX - 2, 10},
          BlockHandle{0, UINT64_MAX}, BlockHandle{0, kSegmentMaxReadableBlockBytes + 1}}) {
      Footer footer = SampleFooter();
      (which == 0 ? footer.index : which == 1 ? footer.filter : footer.properties) = bad;
      std::string tail = FileWithFooter(footer, &file_size);
      Footer decoded;
      uint64_t footer_offset = 0;
      Status s = DecodeFooter("x.seg", tail, file_size, &decoded, &footer_offset);
      EXPECT_TRUE(s.IsCorruption()) << which << " " << bad.offset << "+" << bad.size_bytes;
    }
  }
  // Only the filter may be absent.
  Footer footer = SampleFooter();
  footer.filter = {};
  std::string tail = FileWithFooter(footer, &file_size);
  Footer decoded;
  uint64_t footer_offset = 0;
  EXPECT_TRUE(DecodeFooter("x.seg", tail, file_size, &decoded, &footer_offset).ok());
  footer.index = {};
  tail = FileWithFooter(footer, &file_size);
  EXPECT_TRUE(DecodeFooter("x.seg", tail, file_size, &decoded, &footer_offset).IsCorruption());
}

TEST(SegmentFooter, ShortFilesAndHugeFooterSizes) {
  Footer decoded;
  uint64_t footer_offset = 0;
  EXPECT_TRUE(DecodeFooter("x.seg", "", 0, &decoded, &footer_offset).IsCorruption());
  EXPECT_TRUE(DecodeFooter("x.seg", "CAIRNSEG", 8, &decoded, &footer_offset).IsCorruption());
  // A footer_size field larger than the file.
  std::string tail(12, '\0');
  EncodeFixed32(tail.data(), 0x7fffffff);
  tail.append("CAIRNSEG");
  EXPECT_TRUE(DecodeFooter("x.seg", tail, tail.size(), &decoded, &footer_offset).IsCorruption());
}

TEST(BlockCompression, RoundTripsAndStoresRawWhenNotWorthIt) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::string compressible;
  for (int i = 0; i < 400; i++) {
    compressible += test::NumberedKey(i) + "value-value-value";
  }
  std::string random(8000, '\0');
  for (char& c : random) {
    c = static_cast<char>(rng());
  }
  for (Compression type : {Compression::kLZ4, Compression::kZstd}) {
    Compressor compressor(type);
    std::string stored;
    ASSERT_TRUE(compressor.Compress(compressible, &stored));
    EXPECT_LT(stored.size(), compressible.size() / 2);
    OwnedBytes raw;
    ASSERT_TRUE(Decompress(type, stored, kSegmentMaxReadableBlockBytes, &raw).ok());
    EXPECT_EQ(raw.view(), compressible);
    // The declared size is checked against the limit before allocating.
    EXPECT_TRUE(Decompress(type, stored, compressible.size() - 1, &raw).IsCorruption());
    // A lying raw size, a truncated stream, garbage: Corruption.
    std::string lying = stored;
    lying[0] = static_cast<char>(lying[0] ^ 1);
    EXPECT_TRUE(Decompress(type, lying, kSegmentMaxReadableBlockBytes, &raw).IsCorruption());
    EXPECT_TRUE(Decompress(type, stored.substr(0, stored.size() / 2), kSegmentMaxReadableBlockBytes, &raw)
                    .IsCorruption());
    EXPECT_TRUE(Decompress(type, "", kSegmentMaxReadableBlockBytes, &raw).IsCorruption());
    std::string huge;
    PutVarint32(&huge, 0xffffffffu);
    EXPECT_TRUE(Decompress(type, huge + "x", kSegmentMaxReadableBlockBytes, &raw).IsCorruption());
    // Incompressible data is stored raw.
    EXPECT_FALSE(compressor.Compress(random, &stored));
  }
  Compressor none(Compression::kNone);
  std::string stored;
  EXPECT_FALSE(none.Compress(compressible, &stored));
}

TEST(IndexSeparator, SortsBetweenNeighbours) {
  using test::IKey;
  struct Case {
    std::string a, b, expect_user;
  };
  for (const Case& c : std::vector<Case>{{"abc", "abz", "abd"},
                                         {"abc", "abd", "abc"},   // nothing fits between
                                         {"ab", "abcdef", "ab"},  // a prefix of b
                                         {"a\xff", "b", "a\xff"},
                                         {"key1", "key3", "key2"},
                                         {"", "b", ""},
                                         {"same", "same", "same"}}) {
    std::string last = IKey(c.a, 10);
    std::string next = IKey(c.b, c.a == c.b ? 5 : 10);
    std::string separator;
    IndexSeparator(last, next, &separator);
    EXPECT_LE(CompareInternalKeys(last, separator), 0) << c.a << " " << c.b;
    EXPECT_LT(CompareInternalKeys(separator, next), 0) << c.a << " " << c.b;
    EXPECT_EQ(ExtractUserKey(separator), c.expect_user) << c.a << " " << c.b;
  }
}

TEST(BlockTrailer, ChecksumCoversBytesAndType) {
  std::string file;
  AppendBlockWithTrailer("hello block", Compression::kNone, &file);
  ASSERT_EQ(file.size(), 11 + kBlockTrailerSize);
  const uint32_t crc = crc32c::Unmask(DecodeFixed32(file.data() + 12));
  EXPECT_EQ(crc, crc32c::Value(std::string("hello block\0", 12)));
}

}  // namespace
}  // namespace cairn::segment
