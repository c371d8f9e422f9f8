// Proves damage to a segment file is always reported, never skipped and never a crash:
// a flipped byte in a data block, the index, the filter, the properties or the footer, and
// a truncated file, each give Corruption naming the file and the offset of the damaged
// block (at Open for metadata, at the read for data blocks, and from VerifyAllBlocks in
// every case); a sweep over every byte of a small segment finds each flip; an iterator stops
// at a bad block with a sticky error instead of stepping over it; files of random bytes and
// hand-made files with huge length fields are rejected before anything that size is
// allocated.
#include <gtest/gtest.h>

#include <random>

#include "segment/block_builder.h"
#include "segment/block_reader.h"
#include "segment/segment.h"
#include "segment/segment_testutil.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/coding.h"

namespace cairn::segment {
namespace {

using test::IKey;
using test::Model;

constexpr char kPath[] = "/db/000012.seg";
constexpr char kName[] = "segment 000012.seg offset ";

class SegmentCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.CreateDir("/db").ok());
    for (uint64_t i = 0; i < 2000; i++) {
      model_[IKey(test::NumberedKey(i), 100 + i)] = "value-" + std::to_string(i);
    }
    Options options;
    options.block_size_bytes = 1024;
    options.compression = Compression::kLZ4;
    test::BuiltSegment built;
    ASSERT_TRUE(test::BuildSegment(&env_, kPath, options, model_, &built).ok());
    size_ = built.file_size_bytes;
    Result<std::string> contents = env_.ReadFileContents(kPath);
    ASSERT_TRUE(contents.ok());
    original_ = contents.value();
    const std::string_view tail(original_.data() + original_.size() - kFooterSize, kFooterSize);
    ASSERT_TRUE(DecodeFooter("x", tail, size_, &footer_, &footer_offset_).ok());
  }

  Result<std::shared_ptr<Segment>> Open(BlockCache* cache = nullptr) {
    return Segment::Open(&env_, kPath, 12, size_, cache);
  }

  void Restore() { ASSERT_TRUE(env_.SetFileContentsDurably(kPath, original_).ok()); }

  // Expects `s` to be Corruption naming the file and `offset`.
  static void ExpectNamed(const Status& s, uint64_t offset) {
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    const std::string expected = kName + std::to_string(offset) + ":";
    EXPECT_NE(s.message().find(expected), std::string::npos)
        << s.message() << " (expected " << expected << ")";
  }

  // Reads every key; returns the first error. Never returns a wrong value silently.
  Status ReadAll(const Segment& segment) {
    for (const auto& [key, value] : model_) {
      GetResult result;
      std::string found;
      Status s = segment.Get(ExtractUserKey(key), kMaxSequenceNumber, &result, &found);
      if (!s.ok()) {
        return s;
      }
      EXPECT_EQ(result, GetResult::kFound);
      EXPECT_EQ(found, value);
    }
    return Status::OK();
  }

  MemEnv env_;
  Model model_;
  std::string original_;
  uint64_t size_ = 0;
  Footer footer_;
  uint64_t footer_offset_ = 0;
};

TEST_F(SegmentCorruptionTest, FlippedByteInDataBlock) {
  // The third data block: find its offset from the index.
  auto good = Open();
  ASSERT_TRUE(good.ok());
  ASSERT_GT(good.value()->properties().data_block_count, 10u);
  {
    auto it = good.value()->NewIterator();
    uint64_t count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      count++;
    }
    ASSERT_EQ(count, model_.size());
  }
  // The third data block's handle, from the index.
  OwnedBytes index;
  auto file = env_.NewReadableFile(kPath);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(ReadBlock(*file.value(), "x", footer_.index, footer_offset_, &index).ok());
  auto index_block = Block::Parse(std::move(index));
  ASSERT_TRUE(index_block.ok());
  BlockIter index_it(index_block.value().get());
  std::vector<BlockHandle> handles;
  for (index_it.SeekToFirst(); index_it.Valid(); index_it.Next()) {
    std::string_view value = index_it.value();
    BlockHandle handle;
    ASSERT_TRUE(DecodeBlockHandle(&value, &handle));
    handles.push_back(handle);
  }
  const BlockHandle bad = handles[2];

  ASSERT_TRUE(env_.CorruptByte(kPath, bad.offset + bad.size_bytes / 2, 0x10).ok());
  auto segment = Open();
  ASSERT_TRUE(segment.ok()) << "data blocks are not read at open";
  ExpectNamed(ReadAll(*segment.value()), bad.offset);
  EXPECT_NE(ReadAll(*segment.value()).message().find("block checksum mismatch"), std::string::npos);

  // Forward iteration yields the first two blocks, then stops with the error.
  auto it = segment.value()->NewIterator();
  uint64_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen++;
  }
  ExpectNamed(it->status(), bad.offset);
  EXPECT_GT(seen, 0u);
  EXPECT_LT(seen, model_.size());
  // Sticky: seeking elsewhere does not clear it.
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  ExpectNamed(it->status(), bad.offset);

  // Backward iteration stops at the same block.
  auto back = segment.value()->NewIterator();
  seen = 0;
  for (back->SeekToLast(); back->Valid(); back->Prev()) {
    seen++;
  }
  ExpectNamed(back->status(), bad.offset);
  EXPECT_LT(seen, model_.size());

  uint64_t blocks = 0;
  ExpectNamed(segment.value()->VerifyAllBlocks(&blocks), bad.offset);
}

TEST_F(SegmentCorruptionTest, DamageUnderACachedBlockIsFoundByVerify) {
  BlockCache cache(1 << 20);
  auto segment = Open(&cache);
  ASSERT_TRUE(segment.ok());
  ASSERT_TRUE(ReadAll(*segment.value()).ok());  // every data block now cached
  ASSERT_TRUE(env_.CorruptByte(kPath, 5, 0x01).ok());
  uint64_t blocks = 0;
  ExpectNamed(segment.value()->VerifyAllBlocks(&blocks), 0);
}

TEST_F(SegmentCorruptionTest, FlippedByteInEachMetadataBlockFailsOpen) {
  struct Case {
    const char* what;
    uint64_t offset;  // where to flip
    uint64_t named;   // the offset the error must name
  };
  const std::vector<Case> cases = {
      {"index", footer_.index.offset + 3, footer_.index.offset},
      {"index trailer", footer_.index.offset + footer_.index.size_bytes + 2, footer_.index.offset},
      {"filter", footer_.filter.offset + 17, footer_.filter.offset},
      {"properties", footer_.properties.offset + 1, footer_.properties.offset},
      {"footer handles", footer_offset_ + 9, footer_offset_},
      {"footer crc", footer_offset_ + 57, footer_offset_},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Restore();
    ASSERT_TRUE(env_.CorruptByte(kPath, c.offset, 0x04).ok());
    auto segment = Open();
    ExpectNamed(segment.status(), c.named);
  }
  // The magic: not a segment at all.
  Restore();
  ASSERT_TRUE(env_.CorruptByte(kPath, size_ - 1, 0x20).ok());
  ExpectNamed(Open().status(), size_ - 8);
}

TEST_F(SegmentCorruptionTest, TruncationIsCorruption) {
  for (uint64_t cut : {uint64_t{0}, uint64_t{1}, uint64_t{19}, uint64_t{100}, size_ / 2,
                       footer_offset_, size_ - 1}) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ASSERT_TRUE(env_.SetFileContentsDurably(kPath, original_.substr(0, cut)).ok());
    // Opened with the size the manifest recorded: the size check names the file.
    auto segment = Open();
    ASSERT_TRUE(segment.status().IsCorruption()) << segment.status().ToString();
    EXPECT_NE(segment.status().message().find("000012.seg"), std::string::npos);
    EXPECT_NE(segment.status().message().find("truncated"), std::string::npos);
    // Opened with the new size (as a tool that does not know better would): the footer
    // check fails.
    auto blind = Segment::Open(&env_, kPath, 12, cut, nullptr);
    ASSERT_TRUE(blind.status().IsCorruption()) << blind.status().ToString();
    EXPECT_NE(blind.status().message().find(kName), std::string::npos);
  }
}

TEST_F(SegmentCorruptionTest, EveryByteFlipIsDetected) {
  // A small segment, so that every byte can be tried: 60 entries in a few blocks.
  Model small;
  for (uint64_t i = 0; i < 60; i++) {
    small[IKey(test::NumberedKey(i), 5 + i, i % 7 == 0 ? ValueKind::kDelete : ValueKind::kPut)] =
        i % 7 == 0 ? "" : "v" + std::to_string(i);
  }
  for (Compression compression : {Compression::kNone, Compression::kZstd}) {
    Options options;
    options.block_size_bytes = 256;
    options.compression = compression;
    test::BuiltSegment built;
    ASSERT_TRUE(test::BuildSegment(&env_, "/db/000013.seg", options, small, &built).ok());
    const std::string clean = env_.ReadFileContents("/db/000013.seg").value();
    for (uint64_t offset = 0; offset < clean.size(); offset++) {
      ASSERT_TRUE(env_.SetFileContentsDurably("/db/000013.seg", clean).ok());
      ASSERT_TRUE(env_.CorruptByte("/db/000013.seg", offset, 0x01).ok());
      auto segment = Segment::Open(&env_, "/db/000013.seg", 13, built.file_size_bytes, nullptr);
      if (!segment.ok()) {
        ASSERT_TRUE(segment.status().IsCorruption()) << segment.status().ToString();
        continue;
      }
      uint64_t blocks = 0;
      Status verify = segment.value()->VerifyAllBlocks(&blocks);
      ASSERT_TRUE(verify.IsCorruption()) << "undetected flip at " << offset;
      // Reads see either the right answer or an error.
      for (const auto& [key, value] : small) {
        GetResult result;
        std::string found;
        Status s = segment.value()->Get(ExtractUserKey(key), 1000, &result, &found);
        if (s.ok()) {
          ASSERT_EQ(result,
                    ExtractKind(key) == ValueKind::kPut ? GetResult::kFound : GetResult::kDeleted);
          if (result == GetResult::kFound) {
            ASSERT_EQ(found, value);
          }
        } else {
          ASSERT_TRUE(s.IsCorruption());
        }
      }
    }
  }
}

TEST_F(SegmentCorruptionTest, RandomBytesAreNotASegment) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 300; round++) {
    std::string bytes(rng() % 5000, '\0');
    for (char& c : bytes) {
      c = static_cast<char>(rng());
    }
    if (round % 3 == 0 && bytes.size() >= 8) {  // get past the magic check
      bytes.replace(bytes.size() - 8, 8, "CAIRNSEG");
    }
    ASSERT_TRUE(env_.SetFileContentsDurably("/db/000014.seg", bytes).ok());
    auto segment = Segment::Open(&env_, "/db/000014.seg", 14, bytes.size(), nullptr);
    ASSERT_FALSE(segment.ok());
    ASSERT_TRUE(segment.status().IsCorruption()) << segment.status().ToString();
  }
}

// Hand-assembles a one-block segment whose data block has the given stored bytes and
// compression type (with a correct CRC) and whose index entry has the given handle.
std::string AssembleSegment(std::string_view stored, Compression type, BlockHandle handle) {
  std::string file;
  AppendBlockWithTrailer(stored, type, &file);
  Footer footer;
  BlockBuilder index(1);
  std::string encoded_handle;
  EncodeBlockHandle(handle, &encoded_handle);
  index.Add(IKey("k", 1), encoded_handle);
  std::string_view index_bytes = index.Finish();
  footer.index = {file.size(), index_bytes.size()};
  AppendBlockWithTrailer(index_bytes, Compression::kNone, &file);
  SegmentProperties properties;
  properties.smallest_key = properties.largest_key = IKey("k", 1);
  properties.min_sequence = properties.max_sequence = 1;
  properties.entry_count = 1;
  properties.data_block_count = 1;
  properties.min_commit_micros = properties.max_commit_micros = 1;
  std::string encoded_properties;
  EncodeProperties(properties, &encoded_properties);
  footer.properties = {file.size(), encoded_properties.size()};
  AppendBlockWithTrailer(encoded_properties, Compression::kNone, &file);
  EncodeFooter(footer, &file);
  return file;
}

TEST_F(SegmentCorruptionTest, HugeLengthFieldsAreRejectedBeforeAllocation) {
  // A well-formed file first, to show the assembler is right.
  BlockBuilder data(16);
  data.Add(IKey("k", 1), "value");
  const std::string raw(data.Finish());
  std::string file = AssembleSegment(raw, Compression::kNone, {0, raw.size()});
  ASSERT_TRUE(env_.SetFileContentsDurably("/db/000015.seg", file).ok());
  auto segment = Segment::Open(&env_, "/db/000015.seg", 15, file.size(), nullptr);
  ASSERT_TRUE(segment.ok()) << segment.status().ToString();
  GetResult result;
  std::string value;
  ASSERT_TRUE(segment.value()->Get("k", 5, &result, &value).ok());
  EXPECT_EQ(value, "value");

  // A compressed block declaring 4 GiB of raw bytes, under a valid CRC: the read fails on
  // the size check, before allocating.
  for (Compression type : {Compression::kLZ4, Compression::kZstd}) {
    std::string stored;
    PutVarint32(&stored, 0xfffffff0u);
    stored.append("tiny");
    file = AssembleSegment(stored, type, {0, stored.size()});
    ASSERT_TRUE(env_.SetFileContentsDurably("/db/000015.seg", file).ok());
    segment = Segment::Open(&env_, "/db/000015.seg", 15, file.size(), nullptr);
    ASSERT_TRUE(segment.ok());
    Status s = segment.value()->Get("k", 5, &result, &value);
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.message().find("segment 000015.seg offset 0:"), std::string::npos);
    EXPECT_NE(s.message().find("out of range"), std::string::npos) << s.ToString();
  }

  // An index entry claiming a 1 TiB block, or one past the data: rejected at open.
  for (BlockHandle bad :
       {BlockHandle{0, 1ull << 40}, BlockHandle{0, raw.size() + 1}, BlockHandle{UINT64_MAX, 5}}) {
    file = AssembleSegment(raw, Compression::kNone, bad);
    ASSERT_TRUE(env_.SetFileContentsDurably("/db/000015.seg", file).ok());
    segment = Segment::Open(&env_, "/db/000015.seg", 15, file.size(), nullptr);
    ASSERT_TRUE(segment.status().IsCorruption()) << segment.status().ToString();
    EXPECT_NE(segment.status().message().find("segment 000015.seg offset "), std::string::npos);
  }
}

}  // namespace
}  // namespace cairn::segment
