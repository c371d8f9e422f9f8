// Proves the WAL writer and reader agree on the format, and that the reader survives any
// input: every truncation point, every flipped byte, lengths past their bounds, and random
// bytes all end in a clean end or a reported damage offset, never a crash or a huge
// allocation. Files live in a MemEnv and are damaged with its test helpers.
#include <gtest/gtest.h>

#include <random>

#include "record/record_codec.h"
#include "record/record_reader.h"
#include "record/record_writer.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/coding.h"
#include "util/constants.h"
#include "util/crc32c.h"
#include "wal/wal_format.h"

namespace cairn::wal {
namespace {

constexpr char kDir[] = "/db";
constexpr char kPath[] = "/db/000001.wal";

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(env_.CreateDir(kDir)); }

  record::FileHeader Header(uint64_t number = 1) {
    record::FileHeader header;
    header.magic = kWalMagic;
    header.file_number = number;
    header.db_id.fill(7);
    return header;
  }

  // Writes `payloads` as one record each, in groups of `per_sync`, syncing after each group.
  void WriteWal(const std::vector<std::string>& payloads, size_t per_sync) {
    auto writer = record::RecordWriter::Create(&env_, kDir, kPath, Header());
    ASSERT_OK(writer.status());
    uint64_t seq = 1;
    std::string buffer;
    for (size_t i = 0; i < payloads.size(); i++) {
      writer.value()->AppendRecord(record::RecordType::kBatch, seq, 1, 1000 + seq, payloads[i],
                                   &buffer);
      seq++;
      if ((i + 1) % per_sync == 0 || i + 1 == payloads.size()) {
        ASSERT_OK(writer.value()->Write(buffer));
        buffer.clear();
        ASSERT_OK(writer.value()->Sync());
      }
    }
    ASSERT_OK(writer.value()->Close());
  }

  // Reads every record; returns them and how reading ended.
  struct ReadAll {
    std::vector<record::Record> records;
    std::vector<std::string> payloads;
    record::RecordReader::Outcome end = record::RecordReader::Outcome::kEnd;
    uint64_t damage_offset = 0;
    bool truncation = false;
    Status header;
  };
  ReadAll Read() {
    ReadAll result;
    auto reader = record::RecordReader::Open(&env_, kPath);
    EXPECT_OK(reader.status());
    record::FileHeader header;
    result.header = reader.value()->ReadHeader(kWalMagic, &header);
    if (!result.header.ok()) {
      return result;
    }
    for (;;) {
      record::Record record;
      record::RecordReader::Outcome outcome;
      EXPECT_OK(reader.value()->Next(&record, &outcome));
      if (outcome != record::RecordReader::Outcome::kRecord) {
        result.end = outcome;
        result.damage_offset = reader.value()->damage_offset();
        result.truncation = reader.value()->damage_is_truncation();
        return result;
      }
      result.records.push_back(record);
      result.payloads.emplace_back(record.payload);
    }
  }

  MemEnv env_;
};

TEST_F(WalTest, RecordsRoundTripWithSyncedOffsets) {
  WriteWal({"alpha", "", std::string(100000, 'x'), "omega"}, 2);
  ReadAll all = Read();
  ASSERT_OK(all.header);
  ASSERT_EQ(all.end, record::RecordReader::Outcome::kEnd);
  ASSERT_EQ(all.records.size(), 4u);
  EXPECT_EQ(all.payloads[0], "alpha");
  EXPECT_EQ(all.payloads[1], "");
  EXPECT_EQ(all.payloads[2], std::string(100000, 'x'));
  EXPECT_EQ(all.records[3].first_seq, 4u);
  EXPECT_EQ(all.records[3].commit_micros, 1004u);
  // Group 1 was written when only the header was durable; group 2 after group 1's sync.
  EXPECT_EQ(all.records[0].synced_offset, record::kFileHeaderSize);
  EXPECT_EQ(all.records[1].synced_offset, record::kFileHeaderSize);
  EXPECT_EQ(all.records[2].synced_offset, all.records[1].end_offset());
  EXPECT_EQ(all.records[3].synced_offset, all.records[1].end_offset());
}

TEST_F(WalTest, EveryTruncationEndsCleanlyOrAtARecordBoundary) {
  WriteWal({"one", "two two", "three three three"}, 1);
  auto full = env_.ReadFileContents(kPath);
  ASSERT_OK(full.status());
  ReadAll reference = Read();
  for (size_t length = 0; length <= full.value().size(); length++) {
    SCOPED_TRACE(length);
    ASSERT_OK(env_.SetFileContentsDurably(kPath, full.value().substr(0, length)));
    ReadAll all = Read();
    if (length < record::kFileHeaderSize) {
      EXPECT_TRUE(all.header.IsCorruption());
      continue;
    }
    ASSERT_OK(all.header);
    size_t complete = 0;
    while (complete < reference.records.size() &&
           reference.records[complete].end_offset() <= length) {
      complete++;
    }
    EXPECT_EQ(all.records.size(), complete);
    bool at_boundary = length == record::kFileHeaderSize ||
                       (complete > 0 && reference.records[complete - 1].end_offset() == length);
    if (at_boundary) {
      EXPECT_EQ(all.end, record::RecordReader::Outcome::kEnd);
    } else {
      EXPECT_EQ(all.end, record::RecordReader::Outcome::kDamage);
      EXPECT_TRUE(all.truncation);
      EXPECT_EQ(all.damage_offset, complete == 0 ? record::kFileHeaderSize
                                                 : reference.records[complete - 1].end_offset());
    }
  }
}

TEST_F(WalTest, EveryFlippedByteIsDetected) {
  WriteWal({"first record", "second record"}, 1);
  auto full = env_.ReadFileContents(kPath);
  ASSERT_OK(full.status());
  ReadAll reference = Read();
  for (size_t offset = 0; offset < full.value().size(); offset++) {
    SCOPED_TRACE(offset);
    std::string damaged = full.value();
    damaged[offset] = static_cast<char>(damaged[offset] ^ 0x10);
    ASSERT_OK(env_.SetFileContentsDurably(kPath, damaged));
    ReadAll all = Read();
    if (offset < record::kFileHeaderSize) {
      EXPECT_FALSE(all.header.ok());
      continue;
    }
    ASSERT_OK(all.header);
    EXPECT_EQ(all.end, record::RecordReader::Outcome::kDamage);
    size_t damaged_record = offset < reference.records[0].end_offset() ? 0 : 1;
    EXPECT_EQ(all.records.size(), damaged_record);
    EXPECT_EQ(all.damage_offset, reference.records[damaged_record].offset);
  }
}

TEST_F(WalTest, OversizedLengthIsRejectedBeforeAllocating) {
  WriteWal({"payload"}, 1);
  auto full = env_.ReadFileContents(kPath);
  ASSERT_OK(full.status());
  for (uint32_t length : {0xffffffffu, 0x7fffffffu, 1000000u}) {
    std::string damaged = full.value();
    EncodeFixed32(damaged.data() + record::kFileHeaderSize + 4, length);
    ASSERT_OK(env_.SetFileContentsDurably(kPath, damaged));
    ReadAll all = Read();
    ASSERT_OK(all.header);
    EXPECT_EQ(all.end, record::RecordReader::Outcome::kDamage);
    EXPECT_EQ(all.damage_offset, record::kFileHeaderSize);
  }
}

TEST_F(WalTest, HeaderChecksRejectForeignAndNewerFiles) {
  WriteWal({"x"}, 1);
  auto full = env_.ReadFileContents(kPath);
  ASSERT_OK(full.status());
  std::string wrong_magic = full.value();
  wrong_magic[0] = 'X';
  ASSERT_OK(env_.SetFileContentsDurably(kPath, wrong_magic));
  EXPECT_TRUE(Read().header.IsCorruption());

  // A newer version with a valid checksum is NotSupported, not Corruption.
  std::string newer = full.value();
  EncodeFixed32(newer.data() + 8, record::kFormatVersion + 1);
  EncodeFixed32(newer.data() + record::kFileHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(newer.data(), record::kFileHeaderCrcOffset)));
  ASSERT_OK(env_.SetFileContentsDurably(kPath, newer));
  EXPECT_TRUE(Read().header.IsNotSupported());
}

TEST_F(WalTest, RandomInputNeverCrashes) {
  uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::string header;
  record::EncodeFileHeader(Header(), &header);
  for (int round = 0; round < 300; round++) {
    std::string body(rng() % 2000, '\0');
    for (char& c : body) {
      c = static_cast<char>(rng());
    }
    // Half the rounds plant plausible record headers so deeper checks are reached.
    if (round % 2 == 0 && body.size() > record::kRecordHeaderSize) {
      std::string record;
      record::EncodeRecord(record::RecordType::kBatch, 1, 1, record::kFileHeaderSize, 7, "abc",
                           record::RecordLocation{record::RecordChecksumSeed(Header().db_id, 1),
                                                  record::kFileHeaderSize},
                           &record);
      body.replace(0, std::min(record.size(), body.size()), record.substr(0, body.size()));
      EncodeFixed32(body.data() + 4, static_cast<uint32_t>(rng() % 4000));
    }
    ASSERT_OK(env_.SetFileContentsDurably(kPath, (round % 3 == 0 ? "" : header) + body));
    ReadAll all = Read();
    (void)all;
    auto reader = record::RecordReader::Open(&env_, kPath);
    ASSERT_OK(reader.status());
    record::DamageScan scan;
    ASSERT_OK(reader.value()->ScanAfterDamage(0, &scan));
  }
}

// Fuzz bug 6 (docs/fuzzing.md): a checksummed batch record with an empty sequence range at a
// first_seq past 2^56 was accepted and set the recovered database's last sequence past the
// limit (an assertion when the next manifest edit was written). Such records, and batches
// starting at sequence 0, are invalid records: damage, never replayed.
TEST_F(WalTest, Bug6BatchRecordWithAnEmptyOrOutOfRangeSequenceIsDamage) {
  struct Case {
    uint64_t first_seq;
    uint32_t seq_count;
  };
  for (Case c :
       {Case{5ull << 56, 0}, Case{7, 0}, Case{0, 1}, Case{cairn::kMaxSequenceNumber + 1, 1}}) {
    SCOPED_TRACE("first_seq " + std::to_string(c.first_seq) + " count " +
                 std::to_string(c.seq_count));
    std::string file;
    record::EncodeFileHeader(Header(), &file);
    record::EncodeRecord(record::RecordType::kBatch, c.first_seq, c.seq_count,
                         record::kFileHeaderSize, 7, "",
                         record::RecordLocation{record::RecordChecksumSeed(Header().db_id, 1),
                                                record::kFileHeaderSize},
                         &file);
    ASSERT_OK(env_.SetFileContentsDurably(kPath, file));
    ReadAll all = Read();
    ASSERT_OK(all.header);
    EXPECT_TRUE(all.records.empty());
    EXPECT_EQ(all.end, record::RecordReader::Outcome::kDamage);
    EXPECT_EQ(all.damage_offset, record::kFileHeaderSize);
  }
}

TEST_F(WalTest, ScanAfterDamageFindsLaterRecordsAndTheirSyncedOffsets) {
  WriteWal({"a", "b", "c"}, 1);
  ReadAll reference = Read();
  ASSERT_OK(env_.CorruptByte(kPath, reference.records[0].offset + record::kRecordHeaderSize, 0x01));
  auto reader = record::RecordReader::Open(&env_, kPath);
  ASSERT_OK(reader.status());
  record::FileHeader header;
  ASSERT_OK(reader.value()->ReadHeader(kWalMagic, &header));  // records are bound to the file
  record::DamageScan scan;
  ASSERT_OK(reader.value()->ScanAfterDamage(reference.records[0].offset, &scan));
  EXPECT_EQ(scan.intact_records_after, 2u);
  EXPECT_EQ(scan.max_synced_offset_after, reference.records[2].synced_offset);
  EXPECT_GT(scan.max_synced_offset_after, reference.records[0].offset);
  EXPECT_EQ(scan.min_seq_after, 2u);
  EXPECT_EQ(scan.max_seq_after, 3u);
}

// The framing has no default magic (record/record_format.h): a header that names no kind of
// file is refused before anything is created, instead of writing a header of the wrong size.
TEST_F(WalTest, HeaderWithoutMagicIsRefusedBeforeAnyFileIsCreated) {
  record::FileHeader header = Header();
  header.magic = {};
  auto writer = record::RecordWriter::Create(&env_, kDir, kPath, header);
  EXPECT_TRUE(writer.status().IsInvalidArgument()) << writer.status().ToString();
  auto exists = env_.FileExists(kPath);
  ASSERT_OK(exists.status());
  EXPECT_FALSE(exists.value());
}

TEST_F(WalTest, FailedSyncPoisonsTheWriter) {
  auto writer = record::RecordWriter::Create(&env_, kDir, kPath, Header());
  ASSERT_OK(writer.status());
  std::string buffer;
  writer.value()->AppendRecord(record::RecordType::kBatch, 1, 1, 0, "x", &buffer);
  ASSERT_OK(writer.value()->Write(buffer));
  env_.CrashNow();
  EXPECT_FALSE(writer.value()->Sync().ok());
  EXPECT_TRUE(writer.value()->poisoned());
  env_.Restart();
  // Even with the file system back, the writer never retries.
  EXPECT_FALSE(writer.value()->Sync().ok());
  EXPECT_FALSE(writer.value()->Write(buffer).ok());
}

}  // namespace
}  // namespace cairn::wal
