// Proves the block cache keeps within its byte budget by CLOCK eviction (a block used since
// the hand last passed survives, an unused one goes), finds every block through its
// open-addressing index across growth and deletions (against a model), counts hits and misses,
// keeps an evicted block valid for whoever still holds it, replaces a block cached twice, refuses
// blocks larger than a shard, drops a file's blocks on EraseFile, and survives many threads
// inserting and looking up at once. And that many threads reading one segment concurrently (Get and
// iterators, through a small shared cache) all see exactly the right data.
#include "segment/block_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "segment/block_builder.h"
#include "segment/segment.h"
#include "segment/segment_testutil.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn::segment {
namespace {

// A valid block of about `size` bytes whose single value identifies it.
std::shared_ptr<const Block> MakeBlock(size_t size, uint64_t id) {
  BlockBuilder builder(16);
  const size_t value_size = size > 40 ? size - 40 : 1;
  std::string value(value_size, 'v');
  std::memcpy(value.data(), &id, std::min(sizeof(id), value.size()));
  builder.Add(test::IKey("k", 1), value);
  std::string_view raw = builder.Finish();
  OwnedBytes bytes = AllocateBytes(raw.size());
  std::memcpy(bytes.data.get(), raw.data(), raw.size());
  return Block::Parse(std::move(bytes)).value();
}

uint64_t BlockId(const Block& block) {
  BlockIter it(&block);
  it.SeekToFirst();
  uint64_t id = 0;
  std::memcpy(&id, it.value().data(), sizeof(id));
  return id;
}

TEST(BlockCache, EvictsBlocksNotUsedSinceTheClockHandPassedByBytes) {
  // One shard, so the CLOCK order is global and exact: blocks are inserted unreferenced, a
  // hit sets the bit, the hand starts at the first slot.
  const size_t block_charge = MakeBlock(1000, 0)->size_bytes() + BlockCache::kEntryOverheadBytes;
  BlockCache cache(10 * block_charge + 100, /*shard_bits=*/0);
  std::vector<std::shared_ptr<const Block>> blocks;
  for (uint64_t i = 0; i < 10; i++) {
    blocks.push_back(MakeBlock(1000, i));
    ASSERT_EQ(blocks.back()->size_bytes() + BlockCache::kEntryOverheadBytes, block_charge);
    cache.Insert(1, i * 4096, blocks.back());
  }
  EXPECT_EQ(cache.entry_count(), 10u);
  EXPECT_EQ(cache.usage_bytes(), 10 * block_charge);
  // Touch block 0: the hand spares it (clearing its bit) and evicts block 1.
  ASSERT_NE(cache.Lookup(1, 0), nullptr);
  cache.Insert(1, 10 * 4096, MakeBlock(1000, 10));
  EXPECT_EQ(cache.entry_count(), 10u);
  EXPECT_LE(cache.usage_bytes(), cache.capacity_bytes());
  EXPECT_EQ(cache.Lookup(1, 1 * 4096), nullptr);
  EXPECT_NE(cache.Lookup(1, 0), nullptr);
  EXPECT_NE(cache.Lookup(1, 10 * 4096), nullptr);
  // A big block pushes out several small ones.
  cache.Insert(2, 0, MakeBlock(5000, 99));
  EXPECT_LE(cache.usage_bytes(), cache.capacity_bytes());
  EXPECT_LE(cache.entry_count(), 6u);
  EXPECT_NE(cache.Lookup(2, 0), nullptr);
}

TEST(BlockCache, IndexFindsEveryBlockAcrossGrowthAndDeletionsLikeAModel) {
  // A budget no test fills, one shard: only EraseFile removes entries, so the cache must
  // behave exactly like a map while its index grows and backward-shift deletions run.
  BlockCache cache(size_t{1} << 40, /*shard_bits=*/0);
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> model;
  std::mt19937_64 rng(test::TestSeed());
  uint64_t next_id = 0;
  for (int round = 0; round < 20000; round++) {
    const uint64_t file = rng() % 8;
    const uint64_t offset = (rng() % 512) * 4096;
    const uint64_t op = rng() % 10;
    if (op < 5) {
      cache.Insert(file, offset, MakeBlock(100, next_id));
      model[{file, offset}] = next_id++;
    } else if (op < 9) {
      auto found = cache.Lookup(file, offset);
      auto want = model.find({file, offset});
      ASSERT_EQ(found != nullptr, want != model.end()) << file << "/" << offset;
      if (found != nullptr) {
        ASSERT_EQ(BlockId(*found), want->second);
      }
    } else if (rng() % 50 == 0) {
      cache.EraseFile(file);
      std::erase_if(model, [&](const auto& entry) { return entry.first.first == file; });
    }
    ASSERT_EQ(cache.entry_count(), model.size());
  }
  for (const auto& [key, id] : model) {
    auto found = cache.Lookup(key.first, key.second);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(BlockId(*found), id);
  }
}

TEST(BlockCache, CountsHitsAndMisses) {
  BlockCache cache(1 << 20);
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  cache.Insert(1, 0, MakeBlock(100, 5));
  auto found = cache.Lookup(1, 0);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(BlockId(*found), 5u);
  EXPECT_EQ(cache.Lookup(1, 8), nullptr);
  EXPECT_EQ(cache.Lookup(2, 0), nullptr);
  EXPECT_EQ(cache.hit_count(), 1u);
  EXPECT_EQ(cache.miss_count(), 3u);
}

TEST(BlockCache, EvictedBlockStaysValidWhileHeld) {
  BlockCache cache(2000, /*shard_bits=*/0);
  cache.Insert(1, 0, MakeBlock(1000, 7));
  std::shared_ptr<const Block> held = cache.Lookup(1, 0);
  ASSERT_NE(held, nullptr);
  cache.Insert(1, 100, MakeBlock(1500, 8));  // evicts block 7
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  EXPECT_EQ(BlockId(*held), 7u);  // still readable (ASan would flag a use after free)
}

TEST(BlockCache, ReplaceOversizeEraseAndDisabled) {
  BlockCache cache(64 << 10, /*shard_bits=*/2);
  cache.Insert(1, 0, MakeBlock(100, 1));
  cache.Insert(1, 0, MakeBlock(200, 2));  // replaces
  EXPECT_EQ(cache.entry_count(), 1u);
  EXPECT_EQ(BlockId(*cache.Lookup(1, 0)), 2u);
  EXPECT_EQ(cache.usage_bytes(),
            cache.Lookup(1, 0)->size_bytes() + BlockCache::kEntryOverheadBytes);

  cache.Insert(1, 4096, MakeBlock(20 << 10, 3));  // larger than a 16 KiB shard: not kept
  EXPECT_EQ(cache.Lookup(1, 4096), nullptr);

  for (uint64_t file = 1; file <= 3; file++) {
    for (uint64_t block = 0; block < 10; block++) {
      cache.Insert(file, block * 512 + 8192, MakeBlock(100, file));
    }
  }
  const size_t before = cache.entry_count();
  cache.EraseFile(2);
  EXPECT_EQ(cache.entry_count(), before - 10);
  for (uint64_t block = 0; block < 10; block++) {
    EXPECT_EQ(cache.Lookup(2, block * 512 + 8192), nullptr);
    EXPECT_NE(cache.Lookup(3, block * 512 + 8192), nullptr);
  }

  BlockCache disabled(0);
  disabled.Insert(1, 0, MakeBlock(100, 1));
  EXPECT_EQ(disabled.Lookup(1, 0), nullptr);
  EXPECT_EQ(disabled.usage_bytes(), 0u);
}

TEST(BlockCache, ConcurrentInsertAndLookup) {
  BlockCache cache(200 << 10);
  std::vector<std::shared_ptr<const Block>> blocks;
  for (uint64_t i = 0; i < 256; i++) {
    blocks.push_back(MakeBlock(1000 + i, i));
  }
  std::atomic<bool> wrong{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int op = 0; op < 20000; op++) {
        const uint64_t i = rng() % blocks.size();
        if (auto found = cache.Lookup(i % 3, i * 4096)) {
          if (BlockId(*found) != i) {
            wrong = true;
          }
        } else {
          cache.Insert(i % 3, i * 4096, blocks[i]);
        }
        if (op % 5000 == 0 && t == 0) {
          cache.EraseFile(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_FALSE(wrong);
  EXPECT_LE(cache.usage_bytes(), cache.capacity_bytes());
  EXPECT_EQ(cache.hit_count() + cache.miss_count(), 8u * 20000);
  EXPECT_GT(cache.hit_count(), 0u);
}

TEST(SegmentConcurrency, ManyThreadsReadOneSegment) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/db").ok());
  test::Model model;
  for (uint64_t i = 0; i < 20000; i++) {
    model[test::IKey(test::NumberedKey(i), 1 + i % 5)] = "value" + std::to_string(i * 31);
  }
  Options options;
  options.block_size_bytes = 2048;
  test::BuiltSegment built;
  ASSERT_TRUE(test::BuildSegment(&env, "/db/000001.seg", options, model, &built).ok());
  BlockCache cache(64 << 10);  // far smaller than the data: constant eviction
  auto opened = Segment::Open(&env, "/db/000001.seg", 1, built.file_size_bytes, &cache);
  ASSERT_TRUE(opened.ok());
  std::shared_ptr<const Segment> segment = opened.value();

  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(seed + t);
      if (t % 2 == 0) {
        for (int op = 0; op < 5000; op++) {
          const uint64_t i = rng() % 20000;
          GetResult result;
          std::string value;
          if (!segment->Get(test::NumberedKey(i), kMaxSequenceNumber, &result, &value).ok() ||
              result != GetResult::kFound || value != "value" + std::to_string(i * 31)) {
            failures++;
          }
        }
      } else {
        for (int round = 0; round < 3; round++) {
          auto it = segment->NewIterator();
          auto expected = model.begin();
          for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
            if (expected == model.end() || it->key() != expected->first ||
                it->value() != expected->second) {
              failures++;
              break;
            }
          }
          if (!it->status().ok() || expected != model.end()) {
            failures++;
          }
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(cache.hit_count(), 0u);
  EXPECT_GT(cache.miss_count(), 0u);
  EXPECT_LE(cache.usage_bytes(), cache.capacity_bytes());
}

}  // namespace
}  // namespace cairn::segment
