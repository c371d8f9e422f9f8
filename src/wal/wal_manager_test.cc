// WalManager without a database: the hooks are test doubles that record what the manager asks
// of its database. Proves that every WAL is recorded before it can receive a record and chains
// to its predecessor; that a switch uses the WAL the thread prepared once the active WAL is
// half way, and creates one itself otherwise; that obsolete WALs are pooled (up to the limit,
// never a stale number, never while unhealthy) and recycled; that the thread syncs sync=false
// bytes past the threshold; that a failed preparation makes the database read-only and fails
// every later switch; and that Close finishes the active WAL and reports a poisoned one.
#include "wal/wal_manager.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "record/record_reader.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn::wal {
namespace {

constexpr char kDir[] = "/db";

class WalManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(env_.CreateDir(kDir));
    ASSERT_OK(env_.SyncDir("/"));  // the directory survives a simulated crash
  }

  void TearDown() override {
    if (manager_ != nullptr) {
      manager_->Close().IgnoreError();
    }
  }

  WalManagerOptions DefaultOptions() {
    WalManagerOptions options;
    options.recycle_files = 2;
    options.preallocate_bytes = 64 << 10;
    options.background_sync_bytes = 0;
    options.memtable_size_bytes = 1 << 20;
    options.wal_cap_bytes = 4 << 20;
    return options;
  }

  void Start(WalManagerOptions options, Env* env = nullptr) {
    WalManagerHooks hooks;
    hooks.new_file_number = [this] {
      MutexLock lock(&mu_);
      return ++next_number_;
    };
    hooks.record_wal = [this](uint64_t number) {
      MutexLock lock(&mu_);
      if (!record_error_.ok()) return record_error_;
      recorded_.push_back(number);
      return Status::OK();
    };
    hooks.healthy = [this] {
      MutexLock lock(&mu_);
      return healthy_ && errors_.empty();
    };
    hooks.set_error = [this](const Status& error) {
      MutexLock lock(&mu_);
      errors_.push_back(error);
    };
    hooks.log = [](const std::string&) {};
    record::DbId id{};
    id.fill(7);
    manager_ = std::make_unique<WalManager>(env != nullptr ? env : &env_, kDir, id, options, hooks);
  }

  // Appends one record of `bytes` payload to the active WAL, as the write leader does.
  void Append(size_t bytes, bool sync) {
    record::RecordWriter* wal = manager_->active();
    std::string buffer;
    wal->AppendRecord(record::RecordType::kBatch, ++sequence_, 1, 0, std::string(bytes, 'x'),
                      &buffer);
    ASSERT_OK(wal->Write(buffer));
    if (sync) ASSERT_OK(wal->Sync());
  }

  record::FileHeader HeaderOf(uint64_t number) {
    auto reader = record::RecordReader::Open(&env_, std::string(kDir) + "/" + WalFileName(number));
    EXPECT_OK(reader.status());
    record::FileHeader header;
    EXPECT_OK(reader.value()->ReadHeader(kWalMagic, &header));
    return header;
  }

  std::vector<uint64_t> Recorded() {
    MutexLock lock(&mu_);
    return recorded_;
  }

  template <typename Predicate>
  static bool Eventually(Predicate done) {
    for (int i = 0; i < 20000 && !done(); i++) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return done();
  }

  MemEnv env_;
  std::unique_ptr<WalManager> manager_;
  Mutex mu_;
  uint64_t next_number_ GUARDED_BY(mu_) = 10;
  std::vector<uint64_t> recorded_ GUARDED_BY(mu_);
  std::vector<Status> errors_ GUARDED_BY(mu_);
  Status record_error_ GUARDED_BY(mu_);
  bool healthy_ GUARDED_BY(mu_) = true;
  uint64_t sequence_ = 0;
};

TEST_F(WalManagerTest, TheFirstWalIsRecordedZeroFilledAndChained) {
  Start(DefaultOptions());
  ASSERT_OK(manager_->OpenFirst(/*prev_number=*/5));
  const uint64_t number = manager_->active()->file_number();
  EXPECT_EQ(Recorded(), std::vector<uint64_t>{number});
  EXPECT_EQ(HeaderOf(number).prev_file_number, 5u);
  EXPECT_EQ(manager_->counters().preallocated, 1u);
  // The zeros are in place: the file is its preallocated size before any record.
  auto size = env_.GetFileSize(std::string(kDir) + "/" + WalFileName(number));
  ASSERT_OK(size.status());
  EXPECT_EQ(size.value(), 64u << 10);
}

TEST_F(WalManagerTest, ASwitchWithNothingPreparedCreatesTheNextWalAndReportsTheOld) {
  Start(DefaultOptions());
  ASSERT_OK(manager_->OpenFirst(0));
  const uint64_t first = manager_->active()->file_number();
  Append(100, /*sync=*/false);
  const uint64_t written = manager_->active()->written_offset();
  uint64_t old_number = 0, old_bytes = 0;
  ASSERT_OK(manager_->Switch(&old_number, &old_bytes));
  EXPECT_EQ(old_number, first);
  EXPECT_EQ(old_bytes, written);
  const uint64_t second = manager_->active()->file_number();
  EXPECT_GT(second, first);
  EXPECT_EQ(HeaderOf(second).prev_file_number, first);
  EXPECT_EQ(Recorded(), (std::vector<uint64_t>{first, second}));
  EXPECT_EQ(manager_->counters().prepared, 0u);
  // The old WAL was finished: it ends at its last record, durably (zeros cut away).
  auto size = env_.GetFileSize(std::string(kDir) + "/" + WalFileName(first));
  ASSERT_OK(size.status());
  EXPECT_EQ(size.value(), written);
}

TEST_F(WalManagerTest, HalfWayToASwitchTheThreadPreparesTheNextWal) {
  Start(DefaultOptions());
  ASSERT_OK(manager_->OpenFirst(0));
  manager_->StartThread();
  const uint64_t first = manager_->active()->file_number();
  Append(100, false);
  manager_->AfterCommit(false, /*memtable_data_bytes=*/100);  // far from half: nothing
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Recorded().size(), 1u);
  manager_->AfterCommit(false, /*memtable_data_bytes=*/600 << 10);  // past half of 1 MiB
  ASSERT_TRUE(Eventually([&] { return manager_->counters().prepared == 1; }));
  // Recorded before the switch, so before any record in it is acknowledged.
  ASSERT_EQ(Recorded().size(), 2u);
  const uint64_t prepared = Recorded()[1];
  uint64_t old_number = 0, old_bytes = 0;
  ASSERT_OK(manager_->Switch(&old_number, &old_bytes));
  EXPECT_EQ(manager_->active()->file_number(), prepared);
  EXPECT_EQ(HeaderOf(prepared).prev_file_number, first);
  EXPECT_EQ(Recorded().size(), 2u);  // the switch created nothing
}

TEST_F(WalManagerTest, ObsoleteWalsArePooledUpToTheLimitAndRecycled) {
  Start(DefaultOptions());  // recycle_files = 2
  ASSERT_OK(manager_->OpenFirst(0));
  // Three obsolete WAL files on disk (as the collector would offer them, in number order).
  for (uint64_t n : {1, 2, 3}) {
    ASSERT_OK(env_.SetFileContentsDurably(std::string(kDir) + "/" + WalFileName(n),
                                          std::string(4096, 'o')));
  }
  EXPECT_TRUE(manager_->OfferObsoleteWal(1));
  EXPECT_TRUE(manager_->OfferObsoleteWal(1));  // kept already
  EXPECT_TRUE(manager_->OfferObsoleteWal(2));
  EXPECT_FALSE(manager_->OfferObsoleteWal(3));  // the pool is full: delete it
  uint64_t old_number = 0, old_bytes = 0;
  ASSERT_OK(manager_->Switch(&old_number, &old_bytes));
  EXPECT_EQ(manager_->counters().recycled, 1u);
  auto exists = env_.FileExists(std::string(kDir) + "/" + WalFileName(1));
  ASSERT_OK(exists.status());
  EXPECT_FALSE(exists.value());  // renamed to the new WAL
  // A stale listing that still names the reused file must not pool it again.
  EXPECT_FALSE(manager_->OfferObsoleteWal(1));
  {
    MutexLock lock(&mu_);
    healthy_ = false;
  }
  EXPECT_TRUE(manager_->OfferObsoleteWal(2));  // still pooled
  ASSERT_OK(env_.SetFileContentsDurably(std::string(kDir) + "/" + WalFileName(4), "o"));
  EXPECT_FALSE(manager_->OfferObsoleteWal(4));  // nothing new is pooled while unhealthy
}

TEST_F(WalManagerTest, TheThreadSyncsUnsyncedBytesPastTheThreshold) {
  WalManagerOptions options = DefaultOptions();
  options.background_sync_bytes = 1000;
  Start(options);
  ASSERT_OK(manager_->OpenFirst(0));
  manager_->StartThread();
  Append(500, false);
  manager_->AfterCommit(false, 500);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(manager_->counters().background_syncs, 0u);
  Append(800, false);
  manager_->AfterCommit(false, 1300);
  ASSERT_TRUE(Eventually([&] { return manager_->active()->unsynced_bytes() == 0; }));
  EXPECT_EQ(manager_->counters().background_syncs, 1u);
}

TEST_F(WalManagerTest, AFailedPreparationMakesTheDatabaseReadOnlyAndEverySwitchFail) {
  Start(DefaultOptions());
  ASSERT_OK(manager_->OpenFirst(0));
  manager_->StartThread();
  {
    MutexLock lock(&mu_);
    record_error_ = Status::IOError("manifest append failed");
  }
  manager_->AfterCommit(false, 600 << 10);
  ASSERT_TRUE(Eventually([&] {
    MutexLock lock(&mu_);
    return !errors_.empty();
  }));
  {
    MutexLock lock(&mu_);
    EXPECT_NE(errors_[0].ToString().find("preparing the next WAL"), std::string::npos);
    record_error_ = Status::OK();  // even once the manifest works again
  }
  uint64_t old_number = 0, old_bytes = 0;
  Status s = manager_->Switch(&old_number, &old_bytes);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(Recorded().size(), 1u);  // no WAL may follow the one in doubt
}

TEST_F(WalManagerTest, CloseEndsTheActiveWalDurablyAtItsLastRecord) {
  Start(DefaultOptions());
  ASSERT_OK(manager_->OpenFirst(0));
  Append(100, false);
  const uint64_t written = manager_->active()->written_offset();
  const std::string path = std::string(kDir) + "/" + WalFileName(manager_->active()->file_number());
  ASSERT_OK(manager_->Close());
  ASSERT_OK(manager_->Close());  // idempotent
  auto size = env_.GetFileSize(path);
  ASSERT_OK(size.status());
  EXPECT_EQ(size.value(), written);  // synced and cut at its last record
  env_.Crash();
  auto durable = env_.GetFileSize(path);
  ASSERT_OK(durable.status());
  EXPECT_EQ(durable.value(), written);
}

TEST_F(WalManagerTest, CloseReturnsTheErrorOfAWalThatFailedEarlier) {
  FaultEnv faults(&env_);
  Start(DefaultOptions(), &faults);
  ASSERT_OK(manager_->OpenFirst(0));
  faults.FailKinds(kFaultWrite);
  record::RecordWriter* wal = manager_->active();
  std::string buffer;
  wal->AppendRecord(record::RecordType::kBatch, 1, 1, 0, "x", &buffer);
  EXPECT_FALSE(wal->Write(buffer).ok());
  faults.ClearFaults();
  Status s = manager_->Close();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  manager_.reset();  // before `faults` goes out of scope
}

}  // namespace
}  // namespace cairn::wal
