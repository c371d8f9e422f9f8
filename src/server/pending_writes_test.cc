// Proves PendingWrites shows commands their own uncommitted writes (puts and deletes over
// what the database holds), commits them in one atomic write, refuses oversized values up
// front, and that a failed commit leaves none of them visible.
#include "server/pending_writes.h"

#include <gtest/gtest.h>

#include "env/fault_env.h"
#include "env/mem_env.h"
#include "testutil.h"
#include "util/constants.h"

namespace cairn::server {
namespace {

TEST(PendingWrites, ReadsSeePendingPutsAndDeletesThenCommitApplies) {
  MemEnv env;
  Options options;
  options.env = &env;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, "/db", &db));
  ASSERT_OK(db->Put(WriteOptions(), "old", "1"));
  PendingWrites pending(db.get());
  std::string value;
  ASSERT_OK(pending.Get("old", &value));
  EXPECT_EQ(value, "1");
  pending.Put("new", "2");
  pending.Delete("old");
  EXPECT_TRUE(pending.Get("old", &value).IsNotFound());
  ASSERT_OK(pending.Get("new", &value));
  EXPECT_EQ(value, "2");
  EXPECT_TRUE(db->Get(ReadOptions(), "new", &value).IsNotFound());  // not committed yet
  pending.Put("new", "3");  // a later write of the same key wins
  ASSERT_OK(pending.Commit());
  EXPECT_TRUE(pending.empty());
  ASSERT_OK(db->Get(ReadOptions(), "new", &value));
  EXPECT_EQ(value, "3");
  EXPECT_TRUE(db->Get(ReadOptions(), "old", &value).IsNotFound());
}

TEST(PendingWrites, OversizedPutsAreRefusedBeforeTheyArePending) {
  EXPECT_TRUE(PendingWrites::CheckPut(std::string(kMaxKeySizeBytes + 1, 'k'), "v")
                  .IsInvalidArgument());
  EXPECT_TRUE(PendingWrites::CheckPut("k", std::string(kMaxValueSizeBytes + 1, 'v'))
                  .IsInvalidArgument());
  EXPECT_TRUE(PendingWrites::CheckPut("k", "v").ok());
}

TEST(PendingWrites, FailedCommitLeavesNothingVisible) {
  MemEnv mem;
  FaultEnv env(&mem);
  Options options;
  options.env = &env;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, "/db", &db));
  PendingWrites pending(db.get());
  pending.Put("a", "1");
  pending.Put("b", "2");
  env.FailPath(".wal", kFaultWrite);
  EXPECT_FALSE(pending.Commit().ok());
  env.ClearFaults();
  std::string value;
  EXPECT_TRUE(pending.Get("a", &value).IsNotFound());
  EXPECT_TRUE(db->Get(ReadOptions(), "b", &value).IsNotFound());
}

}  // namespace
}  // namespace cairn::server
