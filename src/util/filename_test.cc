// Proves file names round-trip through ParseFileName and that names which are not exactly
// Cairn's (short numbers, other suffixes, other temporaries) are not claimed, so Cairn never
// touches a user's file by mistake.
#include "util/filename.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(FileName, WalNamesRoundTrip) {
  for (uint64_t number : {1ull, 42ull, 999999ull, 1000000ull, 123456789012ull}) {
    FileType type;
    uint64_t parsed = 0;
    ASSERT_TRUE(ParseFileName(WalFileName(number), &type, &parsed)) << WalFileName(number);
    EXPECT_EQ(type, FileType::kWal);
    EXPECT_EQ(parsed, number);
  }
  EXPECT_EQ(WalFileName(7), "000007.wal");
}

TEST(FileName, SegmentNamesRoundTrip) {
  for (uint64_t number : {1ull, 12ull, 999999ull, 1000000ull, 123456789012ull}) {
    FileType type;
    uint64_t parsed = 0;
    ASSERT_TRUE(ParseFileName(SegmentFileName(number), &type, &parsed)) << SegmentFileName(number);
    EXPECT_EQ(type, FileType::kSegment);
    EXPECT_EQ(parsed, number);
  }
  EXPECT_EQ(SegmentFileName(12), "000012.seg");
  FileType type;
  uint64_t number;
  for (const char* name : {"12.seg", "000000.seg", "000001.SEG", "000001.seg.tmp", "x000001.seg",
                           ".seg", "00000a.seg"}) {
    EXPECT_FALSE(ParseFileName(name, &type, &number)) << name;
  }
}

TEST(FileName, ManifestNamesAndCurrentRoundTrip) {
  for (uint64_t number : {1ull, 5ull, 999999ull, 1000000ull, 123456789012ull}) {
    FileType type;
    uint64_t parsed = 0;
    ASSERT_TRUE(ParseFileName(ManifestFileName(number), &type, &parsed))
        << ManifestFileName(number);
    EXPECT_EQ(type, FileType::kManifest);
    EXPECT_EQ(parsed, number);
  }
  EXPECT_EQ(ManifestFileName(5), "000005.manifest");
  FileType type;
  uint64_t number = 99;
  ASSERT_TRUE(ParseFileName("CURRENT", &type, &number));
  EXPECT_EQ(type, FileType::kCurrent);
  EXPECT_EQ(number, 0u);
  ASSERT_TRUE(ParseFileName("CURRENT.tmp", &type, &number));
  EXPECT_EQ(type, FileType::kTemp);
  for (const char* name : {"5.manifest", "000000.manifest", "000005.MANIFEST",
                           "000005.manifest.tmp", "MANIFEST-000005", ".manifest", "current",
                           "CURRENT.old", "CURRENT2", "000005.manifest.corrupt"}) {
    EXPECT_FALSE(ParseFileName(name, &type, &number)) << name;
  }
}

TEST(FileName, FixedNamesAndQuarantine) {
  FileType type;
  uint64_t number = 99;
  ASSERT_TRUE(ParseFileName("IDENTITY", &type, &number));
  EXPECT_EQ(type, FileType::kIdentity);
  EXPECT_EQ(number, 0u);
  ASSERT_TRUE(ParseFileName("LOCK", &type, &number));
  EXPECT_EQ(type, FileType::kLock);
  ASSERT_TRUE(ParseFileName("LOG", &type, &number));
  EXPECT_EQ(type, FileType::kInfoLog);
  ASSERT_TRUE(ParseFileName("LOG.old", &type, &number));
  EXPECT_EQ(type, FileType::kInfoLogOld);
  ASSERT_TRUE(ParseFileName("IDENTITY.tmp", &type, &number));
  EXPECT_EQ(type, FileType::kTemp);
  ASSERT_TRUE(ParseFileName("000012.wal.corrupt", &type, &number));
  EXPECT_EQ(type, FileType::kQuarantined);
  EXPECT_EQ(number, 12u);
  ASSERT_TRUE(ParseFileName(WalFileName(34) + ".tmp", &type, &number));  // a blank new WAL
  EXPECT_EQ(type, FileType::kTemp);
  EXPECT_EQ(number, 34u);
  for (const char* name : {"12.wal.tmp", "000000.wal.tmp", "x00012.wal.tmp", ".wal.tmp"}) {
    EXPECT_FALSE(ParseFileName(name, &type, &number)) << name;
  }
}

TEST(FileName, ForeignNamesAreNotClaimed) {
  FileType type;
  uint64_t number;
  for (const char* name : {"12.wal", "00001.wal", "000001.WAL", "000001.wal.bak", "x000001.wal",
                           "000000.wal", "notes.txt", "LOG.older", "data.tmp", "00000a.wal",
                           "99999999999999999999.wal", "", ".wal", "IDENTITY2"}) {
    EXPECT_FALSE(ParseFileName(name, &type, &number)) << name;
  }
}

// The table's pattern for each type, with NNNNNN as a number and NAME as a published file,
// parses back to that type: the table describes the names the parser accepts.
TEST(FileTypeTable, EveryRowsPatternParsesToItsType) {
  for (const FileTypeInfo& info : kFileTypes) {
    std::string name(info.pattern);
    if (size_t at = name.find("NNNNNN"); at != std::string::npos) {
      name.replace(at, 6, "000042");
    }
    if (size_t at = name.find("NAME"); at != std::string::npos) {
      name.replace(at, 4, "CURRENT");
    }
    FileType type;
    uint64_t number = 0;
    ASSERT_TRUE(ParseFileName(name, &type, &number)) << name;
    EXPECT_EQ(type, info.type) << name;
    EXPECT_EQ(number, info.numbered ? 42u : 0u) << name;
  }
}

// The decisions the engine relies on: only files whose loss loses records count as data (a
// directory with them but no IDENTITY is refused, never re-created), only the collector
// deletes data, quarantined WALs are never deleted, and only WALs are recycled.
TEST(FileTypeTable, DataFilesAreDeletedOnlyByTheCollectorOrNever) {
  for (const FileTypeInfo& info : kFileTypes) {
    if (info.holds_data) {
      EXPECT_TRUE(info.deleter == FileDeleter::kCollector || info.deleter == FileDeleter::kNever)
          << info.pattern;
      EXPECT_TRUE(info.numbered) << info.pattern;
    }
    EXPECT_EQ(info.recyclable, info.type == FileType::kWal) << info.pattern;
  }
  EXPECT_EQ(InfoOf(FileType::kQuarantined).deleter, FileDeleter::kNever);
  EXPECT_EQ(InfoOf(FileType::kIdentity).deleter, FileDeleter::kNever);
  EXPECT_EQ(InfoOf(FileType::kTemp).deleter, FileDeleter::kOpenCleanup);
  EXPECT_TRUE(InfoOf(FileType::kWal).holds_data);
  EXPECT_TRUE(InfoOf(FileType::kSegment).holds_data);
  EXPECT_FALSE(InfoOf(FileType::kManifest).holds_data);  // created before IDENTITY
}

}  // namespace
}  // namespace cairn
