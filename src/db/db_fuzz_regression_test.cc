// Regression tests for the recovery bugs the fuzzers found (docs/fuzzing.md, "Findings"),
// through the public API on MemEnv. Bugs 3 and 4 (compaction fed a checksummed segment entry
// of unknown kind, or keys out of order) are replayed by their reproducers in
// fuzz/corpus/segment/, which every fuzz run and CI's fuzz stage execute first.
//   Bug 1: a WAL the manifest records, whose header was emptied afterwards, was removed as
//          "died at creation": the open hid the damage and every later open failed.
//   Bug 2: a salvage that quarantined a whole recorded WAL left the manifest listing it, so
//          the salvaged database never opened again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cairn/db.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn {
namespace {

constexpr char kDir[] = "/db";

class DBFuzzRegressionTest : public ::testing::Test {
 protected:
  DBFuzzRegressionTest() { options_.env = &env_; }

  // A database whose newest WAL (recorded in the manifest, holding an acknowledged write)
  // is then emptied durably, as lost or damaged storage would leave it.
  std::string MakeDatabaseWithAnEmptiedWal() {
    {
      std::unique_ptr<DB> db;
      EXPECT_OK(DB::Open(options_, kDir, &db));
      EXPECT_OK(db->Put(WriteOptions(), "acknowledged", "1"));
    }
    std::string newest;
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      FileType type;
      uint64_t number;
      if (ParseFileName(name, &type, &number) && type == FileType::kWal) {
        newest = name;  // listed in order: the last is the newest
      }
    }
    EXPECT_FALSE(newest.empty());
    // Empty every WAL, so the one holding the write is damaged whichever it is.
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      FileType type;
      uint64_t number;
      if (ParseFileName(name, &type, &number) && type == FileType::kWal) {
        EXPECT_OK(env_.SetFileContentsDurably(std::string(kDir) + "/" + name, ""));
      }
    }
    return newest;
  }

  // The directory's data and metadata files (the lock and the info log aside).
  std::vector<std::string> DataFiles() {
    std::vector<std::string> files;
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      if (name != "LOCK" && name.rfind("LOG", 0) != 0) files.push_back(name);
    }
    return files;
  }

  MemEnv env_;
  Options options_;
};

TEST_F(DBFuzzRegressionTest, Bug1RecordedWalWithAnEmptiedHeaderIsCorruptionAndChangesNothing) {
  const std::string wal = MakeDatabaseWithAnEmptiedWal();
  const std::vector<std::string> before = DataFiles();
  std::unique_ptr<DB> db;
  Status opened = DB::Open(options_, kDir, &db);
  EXPECT_TRUE(opened.IsCorruption()) << opened.ToString();
  EXPECT_EQ(DataFiles(), before) << "a refused open changed the directory";
  // And it stays refused (not OK once, then "missing" forever).
  opened = DB::Open(options_, kDir, &db);
  EXPECT_TRUE(opened.IsCorruption()) << opened.ToString();
}

TEST_F(DBFuzzRegressionTest, Bug2SalvageThatQuarantinesAWholeWalLeavesADatabaseThatOpensAgain) {
  MakeDatabaseWithAnEmptiedWal();
  options_.wal_recovery = WalRecovery::kSalvage;
  {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options_, kDir, &db));
    std::string lost;
    ASSERT_TRUE(db->GetProperty("cairn.recovery.lost", &lost));
    EXPECT_FALSE(lost.empty()) << "salvage must report what it set aside";
    ASSERT_OK(db->Put(WriteOptions(), "after-salvage", "2"));
  }
  options_.wal_recovery = WalRecovery::kStrict;
  for (int reopen = 0; reopen < 2; reopen++) {
    SCOPED_TRACE("reopen " + std::to_string(reopen));
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options_, kDir, &db));
    std::string value;
    ASSERT_OK(db->Get(ReadOptions(), "after-salvage", &value));
    EXPECT_EQ(value, "2");
  }
  bool quarantined = false;
  for (const std::string& name : env_.GetChildren(kDir).value()) {
    quarantined = quarantined || name.find(".corrupt") != std::string::npos;
  }
  EXPECT_TRUE(quarantined) << "salvage must keep the damaged WAL aside, never delete it";
}

}  // namespace
}  // namespace cairn
