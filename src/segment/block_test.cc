// Proves the block format round-trips: BlockBuilder's prefix-compressed entries and restart
// points are read back by BlockIter in both directions and by Seek to every key and between
// keys, for restart intervals 1 and 16 and block sizes around every restart boundary; a
// seeded random walk matches a std::map. Also proves malformed blocks (bad restart arrays,
// truncated entries, random bytes) give Corruption and never a crash or an overrun.
#include "segment/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "segment/block_builder.h"
#include "segment/segment_testutil.h"
#include "testutil.h"
#include "util/coding.h"

namespace cairn::segment {
namespace {

using test::IKey;
using test::Model;

std::shared_ptr<const Block> ParseOrDie(std::string_view bytes) {
  OwnedBytes owned = AllocateBytes(bytes.size());
  std::memcpy(owned.data.get(), bytes.data(), bytes.size());
  Result<std::shared_ptr<const Block>> block = Block::Parse(std::move(owned));
  EXPECT_TRUE(block.ok()) << block.status().ToString();
  return block.ok() ? block.value() : nullptr;
}

Status ParseStatus(std::string_view bytes) {
  OwnedBytes owned = AllocateBytes(bytes.size());
  std::memcpy(owned.data.get(), bytes.data(), bytes.size());
  Result<std::shared_ptr<const Block>> block = Block::Parse(std::move(owned));
  return block.status();
}

Model MakeModel(size_t count, size_t value_size) {
  Model model;
  for (size_t i = 0; i < count; i++) {
    // Versions: every third user key has two versions, stored newest first.
    std::string user_key = test::NumberedKey(i / 3 * 3);
    model[IKey(user_key, 100 - i % 3)] = std::string(value_size + i % 7, 'a' + i % 26);
  }
  return model;
}

std::string BuildBlock(const Model& model, int restart_interval) {
  BlockBuilder builder(restart_interval);
  for (const auto& [key, value] : model) {
    builder.Add(key, value);
  }
  return std::string(builder.Finish());
}

void CheckRoundTrip(const Model& model, int restart_interval) {
  SCOPED_TRACE("entries " + std::to_string(model.size()) + " interval " +
               std::to_string(restart_interval));
  const std::string bytes = BuildBlock(model, restart_interval);
  auto block = ParseOrDie(bytes);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->restart_count(), (model.size() + restart_interval - 1) / restart_interval);

  BlockIter it(block.get());
  auto expected = model.begin();
  for (it.SeekToFirst(); it.Valid(); it.Next(), ++expected) {
    ASSERT_NE(expected, model.end());
    ASSERT_EQ(it.key(), expected->first);
    ASSERT_EQ(it.value(), expected->second);
  }
  EXPECT_EQ(expected, model.end());
  ASSERT_TRUE(it.status().ok());

  auto reverse = model.rbegin();
  for (it.SeekToLast(); it.Valid(); it.Prev(), ++reverse) {
    ASSERT_NE(reverse, model.rend());
    ASSERT_EQ(it.key(), reverse->first);
  }
  EXPECT_EQ(reverse, model.rend());

  for (const auto& [key, value] : model) {
    it.Seek(key);
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(it.key(), key);
    // A version newer than any stored lands on the newest stored version of the key.
    it.Seek(IKey(ExtractUserKey(key), 1000));
    ASSERT_TRUE(it.Valid());
    ASSERT_EQ(ExtractUserKey(it.key()), ExtractUserKey(key));
    // Just after the key: the next entry, or nothing.
    it.Seek(IKey(ExtractUserKey(key), 0, ValueKind::kDelete));
    auto next = model.upper_bound(IKey(ExtractUserKey(key), 0, ValueKind::kDelete));
    if (next == model.end()) {
      ASSERT_FALSE(it.Valid());
    } else {
      ASSERT_TRUE(it.Valid());
      ASSERT_EQ(it.key(), next->first);
    }
  }
  it.Seek(IKey("", 5));
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), model.begin()->first);
  it.Seek(IKey("zzzz", 5));
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().ok());
}

TEST(Block, RoundTripAroundRestartBoundaries) {
  for (size_t count : {1, 2, 15, 16, 17, 31, 32, 33, 100, 1000}) {
    for (int interval : {1, 16}) {
      CheckRoundTrip(MakeModel(count, 5), interval);
    }
  }
}

TEST(Block, RoundTripEmptyAndLargeValues) {
  CheckRoundTrip(MakeModel(40, 0), 16);
  CheckRoundTrip(MakeModel(40, 300), 16);  // varints longer than one byte
  Model long_keys;
  for (int i = 0; i < 50; i++) {
    long_keys[IKey(std::string(300, 'k') + test::NumberedKey(i), 7)] = "v";
  }
  CheckRoundTrip(long_keys, 16);  // keys longer than KeyBuffer's inline capacity
}

TEST(Block, PrefixCompressionShrinksSharedKeys) {
  Model model = MakeModel(160, 1);
  size_t raw = 0;
  for (const auto& [key, value] : model) {
    raw += key.size() + value.size();
  }
  EXPECT_LT(BuildBlock(model, 16).size(), raw * 3 / 4);
}

TEST(Block, RandomWalkMatchesModel) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  Model model;
  for (int i = 0; i < 500; i++) {
    model[IKey(test::RandomString(&rng, 1 + rng() % 20), rng() % 1000)] =
        test::RandomString(&rng, rng() % 30);
  }
  const std::string bytes = BuildBlock(model, 16);
  auto block = ParseOrDie(bytes);
  ASSERT_NE(block, nullptr);
  BlockIter it(block.get());
  auto pos = model.end();
  for (int step = 0; step < 5000; step++) {
    switch (rng() % 5) {
      case 0: {
        std::string target = IKey(test::RandomString(&rng, 1 + rng() % 20), rng() % 1000);
        it.Seek(target);
        pos = model.lower_bound(target);
        break;
      }
      case 1:
        it.SeekToFirst();
        pos = model.begin();
        break;
      case 2:
        it.SeekToLast();
        pos = std::prev(model.end());
        break;
      case 3:
        if (pos != model.end()) {
          it.Next();
          ++pos;
        }
        break;
      case 4:
        if (pos != model.end()) {
          it.Prev();
          pos = pos == model.begin() ? model.end() : std::prev(pos);
        }
        break;
    }
    ASSERT_EQ(it.Valid(), pos != model.end()) << "step " << step;
    if (pos != model.end()) {
      ASSERT_EQ(it.key(), pos->first) << "step " << step;
      ASSERT_EQ(it.value(), pos->second) << "step " << step;
    }
  }
}

TEST(Block, MalformedRestartArraysAreCorruption) {
  std::string good = BuildBlock(MakeModel(40, 3), 16);  // 3 restarts
  EXPECT_TRUE(ParseStatus(good).ok());
  EXPECT_TRUE(ParseStatus("").IsCorruption());
  EXPECT_TRUE(ParseStatus(std::string(7, '\0')).IsCorruption());

  std::string bad = good;
  EncodeFixed32(bad.data() + bad.size() - 4, 0);  // no restarts
  EXPECT_TRUE(ParseStatus(bad).IsCorruption());
  EncodeFixed32(bad.data() + bad.size() - 4, 0xffffffff);  // more restarts than bytes
  EXPECT_TRUE(ParseStatus(bad).IsCorruption());
  EncodeFixed32(bad.data() + bad.size() - 4, static_cast<uint32_t>(bad.size() / 4 - 1));
  EXPECT_TRUE(ParseStatus(bad).IsCorruption());  // restart array fills the block: no entries

  const size_t restarts = good.size() - 4 - 3 * 4;
  bad = good;
  EncodeFixed32(bad.data() + restarts, 5);  // first restart not at 0
  EXPECT_TRUE(ParseStatus(bad).IsCorruption());
  bad = good;
  EncodeFixed32(bad.data() + restarts + 8, DecodeFixed32(good.data() + restarts + 4));
  EXPECT_TRUE(ParseStatus(bad).IsCorruption());  // not increasing
  bad = good;
  EncodeFixed32(bad.data() + restarts + 8, static_cast<uint32_t>(restarts));
  EXPECT_TRUE(ParseStatus(bad).IsCorruption());  // past the entries
}

TEST(Block, MalformedEntriesMakeTheIteratorFail) {
  // One entry whose key length runs past the entry area.
  std::string bytes;
  bytes.push_back(0);    // shared
  bytes.push_back(100);  // unshared: more than there is
  bytes.push_back(0);    // value length
  bytes.append("abcdefgh");
  PutFixed32(&bytes, 0);
  PutFixed32(&bytes, 1);
  auto block = ParseOrDie(bytes);
  ASSERT_NE(block, nullptr);
  BlockIter it(block.get());
  it.SeekToFirst();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption()) << it.status().ToString();
  // Sticky until Reset.
  it.SeekToLast();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());

  // A key shorter than an internal key.
  bytes.clear();
  bytes.append({0, 3, 0});
  bytes.append("abc");
  PutFixed32(&bytes, 0);
  PutFixed32(&bytes, 1);
  block = ParseOrDie(bytes);
  it.Reset(block.get());
  it.Seek(IKey("a", 1));
  EXPECT_TRUE(it.status().IsCorruption());

  // A second entry sharing more than the first key has.
  bytes.clear();
  bytes.append({0, 8, 0});
  bytes.append("abcdefgh");
  bytes.append({20, 1, 0});
  bytes.append("x");
  PutFixed32(&bytes, 0);
  PutFixed32(&bytes, 1);
  block = ParseOrDie(bytes);
  it.Reset(block.get());
  it.SeekToFirst();
  ASSERT_TRUE(it.Valid());
  it.Next();
  EXPECT_FALSE(it.Valid());
  EXPECT_TRUE(it.status().IsCorruption());
}

TEST(Block, RandomBytesNeverCrash) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string good = BuildBlock(MakeModel(60, 4), 16);
  for (int round = 0; round < 3000; round++) {
    std::string bytes;
    if (round % 2 == 0) {
      bytes = test::RandomString(&rng, rng() % 200);
      for (char& c : bytes) {
        c = static_cast<char>(rng());
      }
      if (bytes.size() >= 8 && rng() % 2 == 0) {  // a plausible restart array
        EncodeFixed32(bytes.data() + bytes.size() - 4, 1);
        EncodeFixed32(bytes.data() + bytes.size() - 8, 0);
      }
    } else {
      bytes = good;  // a valid block with a few bytes changed
      for (int flips = 1 + rng() % 4; flips > 0; flips--) {
        bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
      }
    }
    OwnedBytes owned = AllocateBytes(bytes.size());
    std::memcpy(owned.data.get(), bytes.data(), bytes.size());
    Result<std::shared_ptr<const Block>> block = Block::Parse(std::move(owned));
    if (!block.ok()) {
      continue;
    }
    BlockIter it(block.value().get());
    int steps = 0;
    for (it.SeekToFirst(); it.Valid() && steps < 1000; it.Next(), steps++) {
    }
    for (it.SeekToLast(); it.Valid() && steps < 2000; it.Prev(), steps++) {
    }
    it.Reset(block.value().get());
    it.Seek(IKey("key000000030", 5));
  }
}

}  // namespace
}  // namespace cairn::segment
