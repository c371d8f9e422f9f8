// Proves WriteBatch encodes operations in order, rejects oversized keys and values without
// encoding them, and that the payload parser (shared with WAL replay) accepts exactly the
// well-formed payloads with the declared count and never applies part of a bad one.
#include "cairn/write_batch.h"

#include <gtest/gtest.h>

#include "db/batch_payload.h"
#include "memtable/memtable.h"
#include "testutil.h"

namespace cairn {
namespace {

struct Recorder : WriteBatch::Handler {
  std::string log;
  void Put(std::string_view key, std::string_view value) override {
    log += "P(" + std::string(key) + "," + std::string(value) + ")";
  }
  void Delete(std::string_view key) override { log += "D(" + std::string(key) + ")"; }
};

TEST(WriteBatch, IteratesInOrder) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Delete("b");
  batch.Put("", "");
  EXPECT_EQ(batch.Count(), 3u);
  Recorder recorder;
  ASSERT_OK(batch.Iterate(&recorder));
  EXPECT_EQ(recorder.log, "P(a,1)D(b)P(,)");
  batch.Clear();
  EXPECT_EQ(batch.Count(), 0u);
  EXPECT_EQ(batch.ApproximateSizeBytes(), 0u);
}

TEST(WriteBatch, OversizedOperationsAreRejected) {
  WriteBatch batch;
  batch.Put(std::string(64 * 1024 + 1, 'k'), "v");
  EXPECT_TRUE(batch.Validate().IsInvalidArgument());
  EXPECT_EQ(batch.Count(), 0u);
  batch.Clear();
  EXPECT_OK(batch.Validate());
  batch.Delete(std::string(64 * 1024 + 1, 'k'));
  EXPECT_TRUE(batch.Validate().IsInvalidArgument());
}

TEST(WriteBatch, SetRepChecksStructureAndCount) {
  WriteBatch source;
  source.Put("key", "value");
  source.Delete("gone");
  WriteBatch copy;
  ASSERT_OK(copy.SetRep(source.rep(), 2));
  Recorder recorder;
  ASSERT_OK(copy.Iterate(&recorder));
  EXPECT_EQ(recorder.log, "P(key,value)D(gone)");
  EXPECT_TRUE(copy.SetRep(source.rep(), 3).IsCorruption());
  // Every truncation of a valid payload is rejected as a whole.
  for (size_t length = 1; length < source.rep().size(); length++) {
    EXPECT_FALSE(ParseBatchPayload(source.rep().substr(0, length), 2, nullptr).ok()) << length;
  }
  std::string unknown_kind = source.rep();
  unknown_kind[0] = 9;
  EXPECT_TRUE(ParseBatchPayload(unknown_kind, 2, nullptr).IsCorruption());
}

TEST(BatchPayload, BadPayloadIsNeverPartlyApplied) {
  WriteBatch batch;
  batch.Put("first", "1");
  batch.Put("second", "2");
  std::string damaged = batch.rep();
  damaged.resize(damaged.size() - 1);  // the second value is cut short
  MemTable table;
  EXPECT_TRUE(InsertBatchPayload(damaged, 2, 10, &table).IsCorruption());
  EXPECT_EQ(table.entry_count(), 0u);
  ASSERT_OK(InsertBatchPayload(batch.rep(), 2, 10, &table));
  std::string value;
  EXPECT_EQ(table.Get("second", 11, &value), MemTable::Lookup::kFound);
  EXPECT_EQ(value, "2");
  EXPECT_EQ(table.Get("second", 10, &value), MemTable::Lookup::kNotPresent);
}

}  // namespace
}  // namespace cairn
