// Proves the two-level segment iterator agrees with a std::map model under a seeded random
// mix of Seek, SeekToFirst, SeekToLast, Next and Prev, with many small blocks so that moves
// and direction changes cross block boundaries constantly; and that seeks to every stored
// key, to the gaps between keys and to block separators land where the model says.
#include "segment/segment_iterator.h"

#include <gtest/gtest.h>

#include <random>

#include "segment/segment.h"
#include "segment/segment_testutil.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn::segment {
namespace {

using test::IKey;
using test::Model;

class SegmentIteratorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.CreateDir("/db").ok()); }

  std::shared_ptr<Segment> Build(const Model& model, size_t block_size, BlockCache* cache) {
    Options options;
    options.block_size_bytes = block_size;
    test::BuiltSegment built;
    Status s = test::BuildSegment(&env_, "/db/000003.seg", options, model, &built);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto segment = Segment::Open(&env_, "/db/000003.seg", 3, built.file_size_bytes, cache);
    EXPECT_TRUE(segment.ok()) << segment.status().ToString();
    return segment.ok() ? segment.value() : nullptr;
  }

  MemEnv env_;
};

TEST_F(SegmentIteratorTest, RandomWalkMatchesModel) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  Model model;
  for (int i = 0; i < 4000; i++) {
    const std::string user_key = test::NumberedKey(rng() % 3000);
    model[IKey(user_key, rng() % 50, rng() % 4 == 0 ? ValueKind::kDelete : ValueKind::kPut)] =
        test::RandomString(&rng, rng() % 40);
  }
  for (bool cached : {false, true}) {
    BlockCache cache(64 << 10);  // smaller than the segment: blocks come and go
    auto segment = Build(model, 256 + rng() % 512, cached ? &cache : nullptr);
    ASSERT_NE(segment, nullptr);
    ASSERT_GT(segment->properties().data_block_count, 50u);
    auto it = segment->NewIterator();
    auto pos = model.end();
    for (int step = 0; step < 20000; step++) {
      const int op = static_cast<int>(rng() % 10);
      if (op == 0) {
        const std::string target = IKey(test::NumberedKey(rng() % 3100), rng() % 55);
        it->Seek(target);
        pos = model.lower_bound(target);
      } else if (op == 1) {
        it->SeekToFirst();
        pos = model.begin();
      } else if (op == 2) {
        it->SeekToLast();
        pos = std::prev(model.end());
      } else if (pos != model.end() && op < 6) {
        it->Next();
        ++pos;
      } else if (pos != model.end()) {
        it->Prev();
        pos = pos == model.begin() ? model.end() : std::prev(pos);
      }
      ASSERT_EQ(it->Valid(), pos != model.end()) << "step " << step;
      if (pos != model.end()) {
        ASSERT_EQ(it->key(), pos->first) << "step " << step;
        ASSERT_EQ(it->value(), pos->second) << "step " << step;
      }
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  }
}

TEST_F(SegmentIteratorTest, SeeksLandOnEveryKeyAndGap) {
  Model model;
  for (uint64_t i = 0; i < 3000; i += 3) {
    model[IKey(test::NumberedKey(i), 9)] = "nine";
    model[IKey(test::NumberedKey(i), 4)] = "four";
  }
  auto segment = Build(model, 300, nullptr);
  ASSERT_NE(segment, nullptr);
  auto it = segment->NewIterator();
  for (uint64_t i = 0; i < 3005; i++) {
    for (uint64_t sequence : {10, 9, 5, 4, 0}) {
      const std::string target = IKey(test::NumberedKey(i), sequence);
      it->Seek(target);
      auto expected = model.lower_bound(target);
      ASSERT_EQ(it->Valid(), expected != model.end()) << i << "@" << sequence;
      if (expected != model.end()) {
        ASSERT_EQ(it->key(), expected->first);
        // A direction change right after the seek.
        it->Prev();
        if (expected == model.begin()) {
          ASSERT_FALSE(it->Valid());
        } else {
          ASSERT_TRUE(it->Valid());
          ASSERT_EQ(it->key(), std::prev(expected)->first);
          it->Next();
          ASSERT_EQ(it->key(), expected->first);
        }
      }
    }
  }
  ASSERT_TRUE(it->status().ok());
}

TEST_F(SegmentIteratorTest, SingleEntrySegment) {
  Model model;
  model[IKey("only", 1)] = "one";
  auto segment = Build(model, 4096, nullptr);
  ASSERT_NE(segment, nullptr);
  auto it = segment->NewIterator();
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("only", 2));
  ASSERT_TRUE(it->Valid());
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("only", 0));
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

}  // namespace
}  // namespace cairn::segment
