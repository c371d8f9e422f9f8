// Proves `VerifyDatabase` (what `cairn verify` runs) reads every file without changing any,
// reports a clean database as clean, names file and offset for damaged records, a broken log
// chain and a missing IDENTITY, and only notes (does not report) a torn tail in the newest log.
#include "db/verify.h"

#include <gtest/gtest.h>

#include "cairn/db.h"
#include "env/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

constexpr char kDir[] = "/db";

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.env = &env_;
    options.memtable_size_bytes = 4096;  // several logs
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    for (int i = 0; i < 200; i++) {
      ASSERT_OK(db->Put(WriteOptions(), "key" + std::to_string(i), std::string(50, 'v')));
    }
  }

  std::vector<std::string> Logs() {
    std::vector<std::string> logs;
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      if (name.size() == 10 && name.substr(6) == ".wal") logs.push_back(name);
    }
    std::sort(logs.begin(), logs.end());
    return logs;
  }

  VerifyReport Verify() {
    VerifyReport report;
    EXPECT_OK(VerifyDatabase(&env_, kDir, &report));
    return report;
  }

  MemEnv env_;
};

TEST_F(VerifyTest, CleanDatabaseHasNoProblems) {
  VerifyReport report = Verify();
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.records_checked, 200u);
  EXPECT_GT(Logs().size(), 2u);
}

TEST_F(VerifyTest, FlippedByteInAnOlderLogIsReportedWithFileAndOffset) {
  std::string log = Logs()[1];  // Logs()[0] holds no record: a 4 KiB MemTable fills at once
  ASSERT_OK(env_.CorruptByte(std::string(kDir) + "/" + log, 100, 0x20));
  auto before = env_.ReadFileContents(std::string(kDir) + "/" + log).value();
  VerifyReport report = Verify();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find(log + " offset"), std::string::npos) << report.problems[0];
  EXPECT_EQ(env_.ReadFileContents(std::string(kDir) + "/" + log).value(), before);
}

TEST_F(VerifyTest, MissingLogBreaksTheChain) {
  std::vector<std::string> logs = Logs();
  ASSERT_OK(env_.RemoveFile(std::string(kDir) + "/" + logs[1]));
  VerifyReport report = Verify();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find(logs[2] + " offset 0: its predecessor"), std::string::npos)
      << report.problems[0];
}

TEST_F(VerifyTest, MissingIdentityIsReported) {
  ASSERT_OK(env_.RemoveFile(std::string(kDir) + "/IDENTITY"));
  VerifyReport report = Verify();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find("IDENTITY"), std::string::npos);
}

TEST_F(VerifyTest, TornTailOfNewestLogIsOnlyANote) {
  std::string newest = std::string(kDir) + "/" + Logs().back();
  auto size = env_.GetFileSize(newest);
  ASSERT_OK(size.status());
  ASSERT_GT(size.value(), 60u);
  ASSERT_OK(env_.TruncateFile(newest, size.value() - 3));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.problems.empty());
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_NE(report.notes[0].find("torn tail"), std::string::npos);
}

}  // namespace
}  // namespace cairn
