// Proves PendingWrites shows commands their own uncommitted writes (puts and deletes over
// what the database holds), commits them in one atomic write, refuses oversized values up
// front, that a failed commit leaves none of them visible, and that after Abandon (the engine
// failed) neither pending writes nor committed-but-unsynced ones can be read, while keys
// covered by a sync still can.
#include "server/pending_writes.h"

#include <gtest/gtest.h>

#include "server/limits.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
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
  PendingWrites pending(db.get(), /*track_unsynced=*/true);
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
  ASSERT_OK(pending.Commit(1));
  EXPECT_TRUE(pending.empty());
  ASSERT_OK(db->Get(ReadOptions(), "new", &value));
  EXPECT_EQ(value, "3");
  EXPECT_TRUE(db->Get(ReadOptions(), "old", &value).IsNotFound());
}

TEST(PendingWrites, OversizedPutsAreRefusedBeforeTheyArePending) {
  EXPECT_TRUE(
      PendingWrites::CheckPut(std::string(kMaxKeySizeBytes + 1, 'k'), "v").IsInvalidArgument());
  EXPECT_TRUE(
      PendingWrites::CheckPut("k", std::string(kMaxValueSizeBytes + 1, 'v')).IsInvalidArgument());
  EXPECT_TRUE(PendingWrites::CheckPut("k", "v").ok());
}

TEST(PendingWrites, FailedCommitLeavesNothingVisible) {
  MemEnv mem;
  FaultEnv env(&mem);
  Options options;
  options.env = &env;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, "/db", &db));
  PendingWrites pending(db.get(), /*track_unsynced=*/true);
  pending.Put("a", "1");
  pending.Put("b", "2");
  env.FailPath(".wal", kFaultWrite);
  EXPECT_FALSE(pending.Commit(1).ok());
  env.ClearFaults();
  std::string value;
  EXPECT_TRUE(pending.Get("a", &value).IsNotFound());
  EXPECT_TRUE(db->Get(ReadOptions(), "b", &value).IsNotFound());
}

TEST(PendingWrites, AfterAbandonOnlyKeysKnownToBeDurableCanBeRead) {
  MemEnv env;
  Options options;
  options.env = &env;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, "/db", &db));
  ASSERT_OK(db->Put(WriteOptions(), "untouched", "0"));
  PendingWrites pending(db.get(), /*track_unsynced=*/true);
  pending.Put("synced", "1");
  ASSERT_OK(pending.Commit(1));
  pending.ForgetSynced(1);  // a sync covered write 1
  pending.Put("unsynced", "2");
  ASSERT_OK(pending.Commit(2));
  pending.Put("untouched", "3");  // pending only: never reaches the engine
  ASSERT_OK(pending.CheckEveryKeyKnown());
  pending.Abandon();
  EXPECT_TRUE(pending.empty());
  std::string value;
  ASSERT_OK(pending.Get("synced", &value));
  EXPECT_EQ(value, "1");
  ASSERT_OK(pending.Get("untouched", &value));
  EXPECT_EQ(value, "0");  // the durable value, not the dropped pending one
  Status unknown = pending.Get("unsynced", &value);
  EXPECT_TRUE(unknown.IsOutcomeUnknown()) << unknown.ToString();
  EXPECT_TRUE(pending.CheckEveryKeyKnown().IsOutcomeUnknown());
  EXPECT_TRUE(pending.Get("absent", &value).IsNotFound());
}

TEST(PendingWrites, UnsyncedCommitsStayBoundedAndAreForgottenOnceSynced) {
  MemEnv env;
  Options options;
  options.env = &env;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, "/db", &db));
  PendingWrites pending(db.get(), /*track_unsynced=*/true);
  const uint64_t commits = kMaxUnsyncedCommits * 3;
  for (uint64_t i = 1; i <= commits; i++) {
    pending.Put("k" + std::to_string(i), "v");
    ASSERT_OK(pending.Commit(i));
  }
  pending.ForgetSynced(commits - 1);
  pending.Abandon();
  std::string value;
  // Merged commits wait for the newest tag merged into them: still unknown, conservatively.
  EXPECT_TRUE(pending.Get("k" + std::to_string(commits), &value).IsOutcomeUnknown());
  EXPECT_TRUE(pending.Get("k" + std::to_string(commits - 1), &value).IsOutcomeUnknown());
  ASSERT_OK(pending.Get("k1", &value));
}

}  // namespace
}  // namespace cairn::server
