// Proves DB::SyncWal: writes made with sync = false become durable when a later SyncWal
// returns OK (they survive a MemEnv power loss), the same writes without it do not (so the
// check can fail), concurrent sync requests and writers share fdatasyncs, and a failed sync
// reports "outcome unknown", turns the database read-only and loses nothing acknowledged.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

constexpr char kDir[] = "/db";

WriteOptions Unsynced() {
  WriteOptions options;
  options.sync = false;
  return options;
}

uint64_t Property(DB* db, std::string_view name) {
  std::string value;
  EXPECT_TRUE(db->GetProperty(name, &value));
  return std::stoull(value);
}

int CountPresent(DB* db, int keys) {
  int present = 0;
  for (int i = 0; i < keys; i++) {
    std::string value;
    Status s = db->Get(ReadOptions(), "k" + std::to_string(i), &value);
    if (s.ok()) {
      EXPECT_EQ(value, "v" + std::to_string(i));
      present++;
    } else {
      EXPECT_TRUE(s.IsNotFound()) << s.ToString();
    }
  }
  return present;
}

// Writes `keys` unsynced puts, optionally calls SyncWal, then cuts the power.
int SurvivorsOfAPowerLoss(bool sync_wal) {
  MemEnv env;
  Options options;
  options.env = &env;
  constexpr int kKeys = 200;
  {
    std::unique_ptr<DB> db;
    EXPECT_OK(DB::Open(options, kDir, &db));
    for (int i = 0; i < kKeys; i++) {
      EXPECT_OK(db->Put(Unsynced(), "k" + std::to_string(i), "v" + std::to_string(i)));
    }
    if (sync_wal) {
      EXPECT_OK(db->SyncWal());
    }
    env.CrashNow();  // the DB's close cannot sync anything any more
  }
  env.Restart();
  std::unique_ptr<DB> db;
  EXPECT_OK(DB::Open(options, kDir, &db));
  return CountPresent(db.get(), kKeys);
}

TEST(DBSyncWalTest, UnsyncedWritesSurviveAPowerLossOnceSyncWalReturned) {
  EXPECT_EQ(SurvivorsOfAPowerLoss(/*sync_wal=*/true), 200);
}

TEST(DBSyncWalTest, WithoutSyncWalUnsyncedWritesAreLostInAPowerLoss) {
  // The control: MemEnv keeps only synced bytes, so the test above can fail.
  EXPECT_EQ(SurvivorsOfAPowerLoss(/*sync_wal=*/false), 0);
}

TEST(DBSyncWalTest, SyncWalCoversWritesInOlderWals) {
  MemEnv env;
  Options options;
  options.env = &env;
  options.memtable_size_bytes = 4 << 10;  // many MemTable (and WAL) switches
  constexpr int kKeys = 500;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    for (int i = 0; i < kKeys; i++) {
      ASSERT_OK(db->Put(Unsynced(), "k" + std::to_string(i), "v" + std::to_string(i)));
    }
    ASSERT_OK(db->SyncWal());
    env.CrashNow();
  }
  env.Restart();
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(CountPresent(db.get(), kKeys), kKeys);
}

TEST(DBSyncWalTest, ConcurrentSyncRequestsAndWritersShareFsyncs) {
  // The real file system: fdatasync takes long enough for requests to queue behind it.
  test::TempDir dir;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(Options(), dir.path(), &db));
  constexpr int kThreads = 8;
  constexpr int kRounds = 50;
  uint64_t syncs_before = Property(db.get(), "cairn.wal.syncs");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; r++) {
        std::string key = "t" + std::to_string(t) + "." + std::to_string(r);
        EXPECT_OK(db->Put(Unsynced(), key, "v"));
        EXPECT_OK(db->SyncWal());
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  uint64_t syncs = Property(db.get(), "cairn.wal.syncs") - syncs_before;
  EXPECT_GT(syncs, 0u);
  EXPECT_LT(syncs, uint64_t{kThreads * kRounds}) << "sync requests never shared an fdatasync";
  // Sync requests are not writes.
  EXPECT_EQ(Property(db.get(), "cairn.wal.writes"), uint64_t{kThreads * kRounds});
}

TEST(DBSyncWalTest, FailedSyncIsOutcomeUnknownThenReadOnlyAndReopenKeepsAcknowledged) {
  MemEnv mem;
  FaultEnv env(&mem);
  Options options;
  options.env = &env;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    ASSERT_OK(db->Put(WriteOptions(), "durable", "1"));
    ASSERT_OK(db->Put(Unsynced(), "pending", "2"));
    env.FailPath(".wal", kFaultSync);
    Status s = db->SyncWal();
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_TRUE(s.IsOutcomeUnknown()) << s.ToString();
    Status again = db->SyncWal();
    EXPECT_TRUE(again.IsReadOnly()) << again.ToString();
    EXPECT_TRUE(db->Put(WriteOptions(), "later", "3").IsReadOnly());
    std::string value;
    EXPECT_OK(db->Get(ReadOptions(), "durable", &value));  // reads keep working
    env.ClearFaults();
  }
  mem.Crash();
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "durable", &value));
  EXPECT_EQ(value, "1");
  EXPECT_TRUE(db->Get(ReadOptions(), "later", &value).IsNotFound());
}

}  // namespace
}  // namespace cairn
