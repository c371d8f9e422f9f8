// Proves the MemTable keeps every version and answers reads at any sequence, that its
// iterator walks internal keys in order both ways, and that the skiplist stays consistent for
// readers while one writer inserts concurrently (run under TSan in CI), whether inserts
// append (the shortcut past the last node) or land in the middle.
#include "memtable/memtable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "testutil.h"

namespace cairn {
namespace {

TEST(MemTable, GetSeesTheNewestVersionAtOrBelowTheSequence) {
  MemTable table;
  table.Add(1, ValueKind::kPut, "k", "v1");
  table.Add(5, ValueKind::kPut, "k", "v5");
  table.Add(7, ValueKind::kDelete, "k", "");
  table.Add(9, ValueKind::kPut, "k", "v9");
  std::string value;
  EXPECT_EQ(table.Get("k", 0, &value), MemTable::Lookup::kNotPresent);
  EXPECT_EQ(table.Get("k", 1, &value), MemTable::Lookup::kFound);
  EXPECT_EQ(value, "v1");
  EXPECT_EQ(table.Get("k", 6, &value), MemTable::Lookup::kFound);
  EXPECT_EQ(value, "v5");
  EXPECT_EQ(table.Get("k", 8, &value), MemTable::Lookup::kDeleted);
  EXPECT_EQ(table.Get("k", 100, &value), MemTable::Lookup::kFound);
  EXPECT_EQ(value, "v9");
  EXPECT_EQ(table.Get("j", 100, &value), MemTable::Lookup::kNotPresent);
  EXPECT_EQ(table.Get("kk", 100, &value), MemTable::Lookup::kNotPresent);
  EXPECT_EQ(table.entry_count(), 4u);
}

TEST(MemTable, IteratorOrdersByKeyThenNewestFirst) {
  MemTable table;
  table.Add(3, ValueKind::kPut, "b", "b3");
  table.Add(1, ValueKind::kPut, "a", "a1");
  table.Add(4, ValueKind::kPut, "a", "a4");
  table.Add(2, ValueKind::kPut, "c", "c2");
  auto it = table.NewIterator();
  std::vector<std::pair<std::string, uint64_t>> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen.emplace_back(std::string(ExtractUserKey(it->key())), ExtractSequence(it->key()));
  }
  std::vector<std::pair<std::string, uint64_t>> expected = {{"a", 4}, {"a", 1}, {"b", 3}, {"c", 2}};
  EXPECT_EQ(seen, expected);
  std::vector<std::pair<std::string, uint64_t>> backward;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    backward.emplace_back(std::string(ExtractUserKey(it->key())), ExtractSequence(it->key()));
  }
  std::reverse(backward.begin(), backward.end());
  EXPECT_EQ(backward, expected);
}

TEST(MemTable, LargeValuesAndEmptyKeys) {
  MemTable table;
  std::string big(1 << 20, 'z');
  table.Add(1, ValueKind::kPut, "", "empty key");
  table.Add(2, ValueKind::kPut, "big", big);
  std::string value;
  ASSERT_EQ(table.Get("", 10, &value), MemTable::Lookup::kFound);
  EXPECT_EQ(value, "empty key");
  ASSERT_EQ(table.Get("big", 10, &value), MemTable::Lookup::kFound);
  EXPECT_EQ(value, big);
  EXPECT_GE(table.ApproximateMemoryUsage(), big.size());
}

TEST(MemTable, ReadersSeeAConsistentListWhileOneWriterInserts) {
  MemTable table;
  constexpr uint64_t kEntries = 20000;
  std::atomic<uint64_t> published{0};
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (uint64_t seq = 1; seq <= kEntries; seq++) {
      char key[32];
      std::snprintf(key, sizeof(key), "key%08llu", static_cast<unsigned long long>(seq * 7919 % kEntries));
      table.Add(seq, ValueKind::kPut, key, std::to_string(seq));
      published.store(seq, std::memory_order_release);
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([&] {
      while (published.load(std::memory_order_acquire) < kEntries && !failed) {
        uint64_t visible = published.load(std::memory_order_acquire);
        auto it = table.NewIterator();
        uint64_t count = 0;
        std::string previous;
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          std::string current(it->key());
          if (!previous.empty() && CompareInternalKeys(previous, current) >= 0) {
            failed = true;
          }
          previous = current;
          count++;
        }
        if (count < visible) {
          failed = true;  // an entry published before the scan started is missing
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(table.entry_count(), kEntries);
}

// Inserts at the end take a shortcut (no search, the last node of each level); inserts
// elsewhere search. Mixing the two in every pattern must keep every level ordered: checked
// against a std::map by a full scan both ways and by seeks to every key and between keys.
TEST(MemTable, AscendingDescendingAndMixedInsertsKeepTheListOrdered) {
  std::mt19937_64 rng(test::TestSeed());
  for (int pattern = 0; pattern < 4; pattern++) {
    SCOPED_TRACE("pattern " + std::to_string(pattern));
    MemTable table;
    std::map<std::string, std::string> model;  // user key -> value (one version per key)
    constexpr int kKeys = 3000;
    for (int i = 0; i < kKeys; i++) {
      int k = 0;
      switch (pattern) {
        case 0: k = i; break;                                         // ascending
        case 1: k = kKeys - i; break;                                 // descending
        case 2: k = i % 2 == 0 ? i : static_cast<int>(rng() % kKeys); break;  // mixed
        default: k = static_cast<int>(rng() % (10 * kKeys)); break;   // random
      }
      char key[16];
      std::snprintf(key, sizeof(key), "k%08d", k);
      if (model.count(key) > 0) continue;
      model[key] = std::to_string(i);
      table.Add(static_cast<uint64_t>(i + 1), ValueKind::kPut, key, model[key]);
    }
    auto it = table.NewIterator();
    auto expected = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
      ASSERT_NE(expected, model.end());
      ASSERT_EQ(ExtractUserKey(it->key()), expected->first);
      ASSERT_EQ(it->value(), expected->second);
    }
    ASSERT_EQ(expected, model.end());
    auto backward = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++backward) {
      ASSERT_NE(backward, model.rend());
      ASSERT_EQ(ExtractUserKey(it->key()), backward->first);
    }
    ASSERT_EQ(backward, model.rend());
    for (const auto& [key, value] : model) {
      std::string got;
      ASSERT_EQ(table.Get(key, kMaxSequenceNumber, &got), MemTable::Lookup::kFound) << key;
      ASSERT_EQ(got, value);
      ASSERT_EQ(table.Get(key + "+", kMaxSequenceNumber, &got), MemTable::Lookup::kNotPresent);
    }
  }
}

}  // namespace
}  // namespace cairn
