// Proves `VerifyDatabase` (what `cairn verify` runs) reads every file of a closed database —
// IDENTITY, CURRENT, the manifest, every live segment block and the live WAL — without
// changing any; reports a clean database as clean; names the file and offset of a damaged
// segment block or WAL record; reports a missing segment, CURRENT or IDENTITY; and only notes
// (does not report) a torn tail in the newest WAL, a leftover temporary or a quarantined WAL.
#include "db/verify.h"

#include <gtest/gtest.h>

#include "cairn/db.h"
#include "record/record_reader.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"
#include "wal/wal_format.h"

namespace cairn {
namespace {

constexpr char kDir[] = "/db";

class VerifyTest : public ::testing::Test {
 protected:
  // 200 keys flushed into segments, then 20 more synced writes left in the WAL; closed.
  void SetUp() override {
    Options options;
    options.env = &env_;
    options.compression = Compression::kNone;  // so a flipped byte is in the stored bytes
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    for (int i = 0; i < 200; i++) {
      ASSERT_OK(db->Put(WriteOptions(), "key" + std::to_string(i), std::string(50, 'v')));
    }
    ASSERT_OK(db->Flush());
    for (int i = 0; i < 20; i++) {
      ASSERT_OK(db->Put(WriteOptions(), "late" + std::to_string(i), std::string(30, 'w')));
    }
  }

  std::vector<std::string> Files(FileType wanted) {
    std::vector<std::string> names;
    for (const std::string& name : env_.GetChildren(kDir).value()) {
      FileType type;
      uint64_t number;
      if (ParseFileName(name, &type, &number) && type == wanted) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string Path(const std::string& name) { return std::string(kDir) + "/" + name; }

  // The newest WAL that holds a record. (The newest WAL file of all is the next one,
  // prepared ahead of the switch: it holds a header and, if recycled, an old life.)
  std::string NewestWalWithRecords() {
    std::string found;
    for (const std::string& name : Files(FileType::kWal)) {
      auto reader = record::RecordReader::Open(&env_, Path(name));
      record::FileHeader header;
      record::Record record;
      record::RecordReader::Outcome outcome = record::RecordReader::Outcome::kEnd;
      if (reader.ok() && reader.value()->ReadHeader(wal::kWalMagic, &header).ok() &&
          reader.value()->Next(&record, &outcome).ok() &&
          outcome == record::RecordReader::Outcome::kRecord) {
        found = name;
      }
    }
    return found;
  }

  VerifyReport Verify() {
    VerifyReport report;
    EXPECT_OK(VerifyDatabase(&env_, kDir, &report));
    return report;
  }

  MemEnv env_;
};

TEST_F(VerifyTest, CleanDatabaseHasNoProblems) {
  ASSERT_FALSE(Files(FileType::kSegment).empty());
  VerifyReport report = Verify();
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  EXPECT_EQ(report.records_checked, 220u);  // 200 segment entries and 20 WAL records
}

TEST_F(VerifyTest, FlippedByteInASegmentBlockIsReportedWithFileAndOffset) {
  std::string segment = Files(FileType::kSegment).front();
  ASSERT_OK(env_.CorruptByte(Path(segment), 100, 0x20));
  auto before = env_.ReadFileContents(Path(segment)).value();
  VerifyReport report = Verify();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find(segment + " offset 0"), std::string::npos)
      << report.problems[0];
  EXPECT_EQ(env_.ReadFileContents(Path(segment)).value(), before);  // nothing changed
}

TEST_F(VerifyTest, FlippedByteInAnAcknowledgedWalRecordIsReported) {
  std::string wal = NewestWalWithRecords();
  ASSERT_OK(env_.CorruptByte(Path(wal), 100, 0x20));  // the first record; later ones synced it
  VerifyReport report = Verify();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find(wal + " offset 56"), std::string::npos) << report.problems[0];
}

TEST_F(VerifyTest, MissingSegmentIsReported) {
  std::string segment = Files(FileType::kSegment).front();
  ASSERT_OK(env_.RemoveFile(Path(segment)));
  VerifyReport report = Verify();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find(segment), std::string::npos) << report.problems[0];
}

TEST_F(VerifyTest, MissingCurrentIsReported) {
  ASSERT_OK(env_.RemoveFile(Path("CURRENT")));
  VerifyReport report = Verify();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find("CURRENT"), std::string::npos);
}

TEST_F(VerifyTest, MissingIdentityIsReported) {
  ASSERT_OK(env_.RemoveFile(Path("IDENTITY")));
  VerifyReport report = Verify();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_NE(report.problems[0].find("IDENTITY"), std::string::npos);
}

TEST_F(VerifyTest, TornTailOfNewestLogIsOnlyANote) {
  std::string newest = Path(NewestWalWithRecords());
  auto size = env_.GetFileSize(newest);
  ASSERT_OK(size.status());
  ASSERT_OK(env_.TruncateFile(newest, size.value() - 3));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_NE(report.notes[0].find("torn tail"), std::string::npos);
}

TEST_F(VerifyTest, LeftoverTemporaryAndQuarantinedWalAreNotedNotReported) {
  ASSERT_OK(env_.SetFileContentsDurably(Path("000099.wal.tmp"), std::string(64, '\0')));
  ASSERT_OK(env_.SetFileContentsDurably(Path("000007.wal.corrupt"), "damaged"));
  VerifyReport report = Verify();
  EXPECT_TRUE(report.problems.empty()) << report.problems[0];
  std::string notes;
  for (const std::string& note : report.notes) notes += note + "\n";
  EXPECT_NE(notes.find("000099.wal.tmp: left by an interrupted"), std::string::npos) << notes;
  EXPECT_NE(notes.find("000007.wal.corrupt: a WAL set aside by salvage"), std::string::npos)
      << notes;
}

}  // namespace
}  // namespace cairn
