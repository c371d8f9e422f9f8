// Proves a segment round-trips through SegmentBuilder and Segment on MemEnv: every entry
// comes back through Get (at many sequence numbers, with several versions per key and
// tombstones) and through iteration in both directions, for each compression type, with and
// without a Bloom filter, with values larger than a block; properties are exact; the
// builder's contract (order, limits, commit-time range, sticky write errors, buffered
// writes) holds.
#include "segment/segment.h"

#include <gtest/gtest.h>

#include <random>

#include "segment/segment_builder.h"
#include "segment/segment_testutil.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn::segment {
namespace {

using test::IKey;
using test::Model;

class SegmentTest : public ::testing::Test {
 protected:
  SegmentTest() : cache_(1 << 20) {
    options_.block_size_bytes = 1024;
    EXPECT_TRUE(env_.CreateDir("/db").ok());
  }

  std::shared_ptr<Segment> BuildAndOpen(const Model& model, uint64_t number = 7) {
    const std::string path = "/db/" + SegmentFileName(number);
    test::BuiltSegment built;
    Status s = test::BuildSegment(&env_, path, options_, model, &built);
    EXPECT_TRUE(s.ok()) << s.ToString();
    built_ = built;
    Result<std::shared_ptr<Segment>> segment =
        Segment::Open(&env_, path, number, built.file_size_bytes, &cache_);
    EXPECT_TRUE(segment.ok()) << segment.status().ToString();
    return segment.ok() ? segment.value() : nullptr;
  }

  // A model with `keys` user keys, each with 1-3 versions (some tombstones).
  static Model VersionedModel(uint64_t keys, size_t value_size) {
    Model model;
    for (uint64_t i = 0; i < keys; i++) {
      const std::string user_key = test::NumberedKey(i);
      const int versions = 1 + static_cast<int>(i % 3);
      for (int v = 0; v < versions; v++) {
        const uint64_t sequence = 10 + i * 4 + static_cast<uint64_t>(v);
        const bool tombstone = v == 1 && i % 2 == 0;
        model[IKey(user_key, sequence, tombstone ? ValueKind::kDelete : ValueKind::kPut)] =
            tombstone ? "" : std::string(value_size, static_cast<char>('a' + (i + v) % 26));
      }
    }
    return model;
  }

  // Checks Get against the model for every user key at every interesting sequence.
  static void CheckGets(const Segment& segment, const Model& model) {
    std::map<std::string, std::vector<std::pair<uint64_t, const std::string*>>> versions;
    std::map<std::string, std::vector<ValueKind>> kinds;
    for (const auto& [key, value] : model) {
      versions[std::string(ExtractUserKey(key))].push_back({ExtractSequence(key), &value});
      kinds[std::string(ExtractUserKey(key))].push_back(ExtractKind(key));
    }
    for (const auto& [user_key, list] : versions) {
      // list is newest first. Read just below, at and above each version.
      for (size_t v = 0; v <= list.size(); v++) {
        const uint64_t sequence = v < list.size() ? list[v].first : list.back().first - 1;
        GetResult result;
        std::string value = "unchanged";
        ASSERT_TRUE(segment.Get(user_key, sequence, &result, &value).ok());
        if (v == list.size()) {
          ASSERT_EQ(result, GetResult::kNotPresent) << user_key << "@" << sequence;
          ASSERT_EQ(value, "unchanged");
        } else if (kinds[user_key][v] == ValueKind::kDelete) {
          ASSERT_EQ(result, GetResult::kDeleted) << user_key << "@" << sequence;
        } else {
          ASSERT_EQ(result, GetResult::kFound) << user_key << "@" << sequence;
          ASSERT_EQ(value, *list[v].second);
        }
      }
      GetResult result;
      std::string value;
      ASSERT_TRUE(segment.Get(user_key, kMaxSequenceNumber, &result, &value).ok());
      ASSERT_NE(result, GetResult::kNotPresent);
    }
  }

  static void CheckIteration(const Segment& segment, const Model& model) {
    auto it = segment.NewIterator();
    auto expected = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
      ASSERT_NE(expected, model.end());
      ASSERT_EQ(it->key(), expected->first);
      ASSERT_EQ(it->value(), expected->second);
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(expected, model.end());
    auto reverse = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++reverse) {
      ASSERT_NE(reverse, model.rend());
      ASSERT_EQ(it->key(), reverse->first);
      ASSERT_EQ(it->value(), reverse->second);
    }
    ASSERT_TRUE(it->status().ok());
    ASSERT_EQ(reverse, model.rend());
  }

  MemEnv env_;
  Options options_;
  BlockCache cache_;
  test::BuiltSegment built_;
};

TEST_F(SegmentTest, RoundTripEachCompression) {
  const Model model = VersionedModel(6000, 40);
  for (Compression compression : {Compression::kNone, Compression::kLZ4, Compression::kZstd}) {
    SCOPED_TRACE(CompressionName(compression));
    options_.compression = compression;
    auto segment = BuildAndOpen(model, 10 + static_cast<uint64_t>(compression));
    ASSERT_NE(segment, nullptr);
    CheckGets(*segment, model);
    CheckIteration(*segment, model);
    const SegmentProperties& p = segment->properties();
    EXPECT_EQ(p.compression, compression);
    EXPECT_EQ(p.entry_count, model.size());
    std::printf("%s: %zu entries, %llu data blocks, file %llu bytes (raw %llu)\n",
                CompressionName(compression), model.size(),
                static_cast<unsigned long long>(p.data_block_count),
                static_cast<unsigned long long>(segment->file_size_bytes()),
                static_cast<unsigned long long>(p.raw_key_bytes + p.raw_value_bytes));
    uint64_t blocks = 0;
    ASSERT_TRUE(segment->VerifyAllBlocks(&blocks).ok());
    EXPECT_EQ(blocks, p.data_block_count + 3);
  }
}

TEST_F(SegmentTest, PropertiesAreExact) {
  Model model;
  model[IKey("b", 50)] = "vb";
  model[IKey("b", 40, ValueKind::kDelete)] = "";
  model[IKey("c", 7)] = "vvc";
  model[IKey("a", 99)] = "x";
  auto segment = BuildAndOpen(model);
  ASSERT_NE(segment, nullptr);
  const SegmentProperties& p = segment->properties();
  EXPECT_EQ(p.smallest_key, IKey("a", 99));
  EXPECT_EQ(p.largest_key, IKey("c", 7));
  EXPECT_EQ(p.min_sequence, 7u);
  EXPECT_EQ(p.max_sequence, 99u);
  EXPECT_EQ(p.entry_count, 4u);
  EXPECT_EQ(p.deletion_count, 1u);
  EXPECT_EQ(p.min_commit_micros, 1000u);
  EXPECT_EQ(p.max_commit_micros, 2000u);
  EXPECT_EQ(p.raw_key_bytes, 4u * 9);
  EXPECT_EQ(p.raw_value_bytes, 6u);
  EXPECT_EQ(p.data_block_count, 1u);
  EXPECT_GT(p.index_bytes, 0u);
  EXPECT_GT(p.filter_bytes, 0u);
  EXPECT_GT(p.creation_micros, 0u);
  EXPECT_EQ(p.data_bytes + p.index_bytes + p.filter_bytes + kFooterSize + kBlockTrailerSize <
                segment->file_size_bytes(),
            true);
  EXPECT_EQ(built_.properties.entry_count, 4u);
  EXPECT_EQ(built_.properties.largest_key, p.largest_key);
}

TEST_F(SegmentTest, AbsentKeysAndFilterlessSegments) {
  Model model;
  for (uint64_t i = 0; i < 2000; i += 2) {
    model[IKey(test::NumberedKey(i), 5)] = "v";
  }
  for (int bits : {10, 0}) {
    options_.bloom_bits_per_key = bits;
    auto segment = BuildAndOpen(model, 20 + static_cast<uint64_t>(bits));
    ASSERT_NE(segment, nullptr);
    EXPECT_EQ(segment->properties().filter_bytes == 0, bits == 0);
    for (uint64_t i = 1; i < 2000; i += 2) {  // odd keys: between stored keys
      GetResult result;
      std::string value;
      ASSERT_TRUE(segment->Get(test::NumberedKey(i), 100, &result, &value).ok());
      ASSERT_EQ(result, GetResult::kNotPresent);
    }
    for (const char* outside : {"", "a", "zzz", "key"}) {
      GetResult result;
      std::string value;
      ASSERT_TRUE(segment->Get(outside, 100, &result, &value).ok());
      EXPECT_EQ(result, GetResult::kNotPresent);
    }
    CheckGets(*segment, model);
  }
}

TEST_F(SegmentTest, ManyVersionsOfOneKeySpanBlocks) {
  // 3000 versions of one user key cross many data blocks: Get at any sequence must find the
  // newest version at or below it, wherever the block boundary falls.
  Model model;
  for (uint64_t seq = 1; seq <= 3000; seq++) {
    model[IKey("hot", seq * 2, seq % 10 == 0 ? ValueKind::kDelete : ValueKind::kPut)] =
        seq % 10 == 0 ? "" : "value" + std::to_string(seq);
  }
  model[IKey("cold", 1)] = "c";
  model[IKey("zebra", 1)] = "z";
  auto segment = BuildAndOpen(model);
  ASSERT_NE(segment, nullptr);
  EXPECT_GT(segment->properties().data_block_count, 20u);
  for (uint64_t read = 0; read <= 6002; read++) {
    GetResult result;
    std::string value;
    ASSERT_TRUE(segment->Get("hot", read, &result, &value).ok());
    const uint64_t newest = std::min<uint64_t>(read / 2, 3000);
    if (newest == 0) {
      ASSERT_EQ(result, GetResult::kNotPresent) << read;
    } else if (newest % 10 == 0) {
      ASSERT_EQ(result, GetResult::kDeleted) << read;
    } else {
      ASSERT_EQ(result, GetResult::kFound) << read;
      ASSERT_EQ(value, "value" + std::to_string(newest)) << read;
    }
  }
  CheckIteration(*segment, model);
}

TEST_F(SegmentTest, ValuesLargerThanABlock) {
  std::mt19937_64 rng(5);
  Model model;
  for (int i = 0; i < 30; i++) {
    model[IKey(test::NumberedKey(i), 3)] = test::RandomString(&rng, i % 3 == 0 ? 70000 : 10);
  }
  for (Compression compression : {Compression::kNone, Compression::kLZ4, Compression::kZstd}) {
    options_.compression = compression;
    auto segment = BuildAndOpen(model, 30 + static_cast<uint64_t>(compression));
    ASSERT_NE(segment, nullptr);
    CheckGets(*segment, model);
    CheckIteration(*segment, model);
  }
}

TEST_F(SegmentTest, LargeSegmentWithDefaultOptions) {
  options_ = Options();
  Model model;
  std::mt19937_64 rng(11);
  for (uint64_t i = 0; i < 100000; i++) {
    model[IKey(test::NumberedKey(i * 7), 1 + i)] = test::RandomString(&rng, 20 + rng() % 60);
  }
  auto segment = BuildAndOpen(model);
  ASSERT_NE(segment, nullptr);
  auto it = segment->NewIterator();
  size_t count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    count++;
  }
  EXPECT_EQ(count, model.size());
  for (const auto& [key, value] : model) {
    GetResult result;
    std::string found;
    ASSERT_TRUE(segment->Get(ExtractUserKey(key), kMaxSequenceNumber, &result, &found).ok());
    ASSERT_EQ(result, GetResult::kFound);
    ASSERT_EQ(found, value);
  }
  std::printf("100000 entries, 8 KiB blocks, lz4: %llu data blocks, %llu bytes\n",
              static_cast<unsigned long long>(segment->properties().data_block_count),
              static_cast<unsigned long long>(segment->file_size_bytes()));
}

TEST_F(SegmentTest, BuilderRejectsBadInput) {
  auto builder = SegmentBuilder::Open(&env_, "/db/000099.seg", options_);
  ASSERT_TRUE(builder.ok());
  SegmentBuilder& b = *builder.value();
  EXPECT_TRUE(b.Add("short", "v").IsInvalidArgument());
  EXPECT_TRUE(b.Add(IKey(std::string(kMaxKeySizeBytes + 1, 'k'), 1), "v").IsInvalidArgument());
  std::string bad_kind = IKey("k", 1);
  bad_kind[bad_kind.size() - 8] = 7;
  EXPECT_TRUE(b.Add(bad_kind, "v").IsInvalidArgument());
  ASSERT_TRUE(b.Add(IKey("b", 5), "v").ok());
#ifdef NDEBUG
  EXPECT_TRUE(b.Add(IKey("a", 9), "v").IsInvalidArgument());  // smaller user key
  EXPECT_TRUE(b.Add(IKey("b", 5), "v").IsInvalidArgument());  // equal
  EXPECT_TRUE(b.Add(IKey("b", 6), "v").IsInvalidArgument());  // newer version after older
#else
  EXPECT_DEATH(b.Add(IKey("a", 9), "v").IgnoreError(), "out of order");
#endif
  EXPECT_EQ(b.entry_count(), 1u);
  SegmentProperties properties;
  uint64_t size = 0;
  // No commit-time range: a segment must never claim a range it was not told.
  EXPECT_TRUE(b.Finish(&properties, &size).IsInvalidArgument());
  b.Abandon();

  auto empty = SegmentBuilder::Open(&env_, "/db/000098.seg", options_);
  ASSERT_TRUE(empty.ok());
  empty.value()->WidenCommitTimeRange(1, 2);
  EXPECT_TRUE(empty.value()->Finish(&properties, &size).IsInvalidArgument());
}

TEST_F(SegmentTest, CommitTimeRangeWidens) {
  auto builder = SegmentBuilder::Open(&env_, "/db/000050.seg", options_);
  ASSERT_TRUE(builder.ok());
  SegmentBuilder& b = *builder.value();
  ASSERT_TRUE(b.Add(IKey("k", 1), "v").ok());
  b.WidenCommitTimeRange(500, 600);
  b.WidenCommitTimeRange(100, 200);
  b.WidenCommitTimeRange(550, 900);
  SegmentProperties properties;
  uint64_t size = 0;
  ASSERT_TRUE(b.Finish(&properties, &size).ok());
  EXPECT_EQ(properties.min_commit_micros, 100u);
  EXPECT_EQ(properties.max_commit_micros, 900u);
  auto segment = Segment::Open(&env_, "/db/000050.seg", 50, size, nullptr);
  ASSERT_TRUE(segment.ok());
  EXPECT_EQ(segment.value()->properties().min_commit_micros, 100u);
  EXPECT_EQ(segment.value()->properties().max_commit_micros, 900u);
}

TEST_F(SegmentTest, WritesAreBufferedAndErrorsAreSticky) {
  FaultEnv fault(&env_);
  Model model = VersionedModel(20000, 100);  // about 4 MiB raw
  options_.compression = Compression::kNone;
  const uint64_t before = fault.operation_count();
  test::BuiltSegment built;
  ASSERT_TRUE(test::BuildSegment(&fault, "/db/000060.seg", options_, model, &built).ok());
  const uint64_t operations = fault.operation_count() - before;
  // open + ~1 MiB chunks + sync + close; not one write per 1 KiB block.
  EXPECT_LT(operations, 3 + built.file_size_bytes / (1 << 20) + 4) << operations;

  // The first failed write is returned, and every later call returns it too.
  for (uint32_t kind : {kFaultWrite, kFaultSync, kFaultClose}) {
    fault.FailKinds(kind);
    auto builder = SegmentBuilder::Open(&fault, "/db/000061.seg", options_);
    ASSERT_TRUE(builder.ok());
    SegmentBuilder& b = *builder.value();
    Status first;
    for (const auto& [key, value] : model) {
      first = b.Add(key, value);
      if (!first.ok()) {
        break;
      }
    }
    if (kind == kFaultWrite) {
      ASSERT_TRUE(first.IsIOError()) << first.ToString();
      EXPECT_TRUE(b.Add(IKey("zzzz", 1), "v").IsIOError());
    } else {
      ASSERT_TRUE(first.ok());
    }
    b.WidenCommitTimeRange(1, 2);
    SegmentProperties properties;
    uint64_t size = 0;
    EXPECT_TRUE(b.Finish(&properties, &size).IsIOError());
    b.Abandon();
    fault.ClearFaults();
  }
}

TEST_F(SegmentTest, IteratorKeepsItsSegmentAlive) {
  Model model = VersionedModel(500, 8);
  auto segment = BuildAndOpen(model);
  ASSERT_NE(segment, nullptr);
  auto it = segment->NewIterator();
  segment.reset();
  size_t count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    count++;
  }
  EXPECT_EQ(count, model.size());
}

TEST_F(SegmentTest, ReadsGoThroughTheBlockCache) {
  Model model = VersionedModel(2000, 16);
  auto segment = BuildAndOpen(model);
  ASSERT_NE(segment, nullptr);
  EXPECT_EQ(cache_.entry_count(), 0u);  // Open reads no data block
  // A scan that asks not to fill the cache leaves it empty.
  auto scan = segment->NewIterator(/*fill_cache=*/false);
  for (scan->SeekToFirst(); scan->Valid(); scan->Next()) {
  }
  EXPECT_EQ(cache_.entry_count(), 0u);
  // Gets fill it; repeating them hits.
  GetResult result;
  std::string value;
  ASSERT_TRUE(segment->Get(test::NumberedKey(7), kMaxSequenceNumber, &result, &value).ok());
  EXPECT_EQ(cache_.entry_count(), 1u);
  const uint64_t hits = cache_.hit_count();
  ASSERT_TRUE(segment->Get(test::NumberedKey(7), kMaxSequenceNumber, &result, &value).ok());
  EXPECT_EQ(cache_.hit_count(), hits + 1);
  // A full scan caches every block, within the budget.
  auto it = segment->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  EXPECT_EQ(cache_.entry_count(), segment->properties().data_block_count);
  EXPECT_LE(cache_.usage_bytes(), cache_.capacity_bytes());
}

TEST_F(SegmentTest, OpenErrors) {
  auto missing = Segment::Open(&env_, "/db/000404.seg", 404, 100, nullptr);
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  Model model = VersionedModel(100, 8);
  auto segment = BuildAndOpen(model, 8);
  ASSERT_NE(segment, nullptr);
  auto wrong_size = Segment::Open(&env_, "/db/000008.seg", 8, built_.file_size_bytes + 1, nullptr);
  ASSERT_TRUE(wrong_size.status().IsCorruption());
  EXPECT_NE(wrong_size.status().message().find("000008.seg"), std::string::npos);
}

}  // namespace
}  // namespace cairn::segment
