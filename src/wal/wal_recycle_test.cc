// Proves how recovery classifies what follows the records of a recycled or prepared WAL
// (docs/format-wal.md, "Recycled files"; docs/durability.md §3, decision table):
//   - a recycled file's previous life is never replayed, even when its records carry higher
//     sequence numbers than the new life's (they would resurrect overwritten or deleted keys),
//     and is cut at open like a torn tail;
//   - damage inside the new life that a later record proves synced is still Corruption;
//   - a WAL followed only by a prepared WAL that never received a record is judged as the
//     newest: its torn tail (or previous life) is cut, its unsynced records made durable;
//     followed by a WAL that holds a record, its damage stays Corruption;
//   - WalWriter::Finish cuts a recycled file's previous life so a finished WAL ends at its
//     last record.
// WALs are written in a MemEnv with the real writer; "old lives" are real WALs of other
// file numbers, overwritten in place with WalWriter::Reuse.
#include <gtest/gtest.h>

#include "record/record_reader.h"
#include "record/record_writer.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"
#include "wal/wal_format.h"
#include "wal/wal_recovery.h"

namespace cairn::wal {
namespace {

constexpr char kDir[] = "/db";

class WalRecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(env_.CreateDir(kDir));
    ASSERT_OK(env_.SyncDir("/"));
    db_id_.fill(7);
  }

  static std::string Path(uint64_t number) { return std::string(kDir) + "/" + WalFileName(number); }

  record::FileHeader Header(uint64_t number, uint64_t prev) const {
    record::FileHeader header;
    header.magic = kWalMagic;
    header.file_number = number;
    header.prev_file_number = prev;
    header.db_id = db_id_;
    return header;
  }

  // Appends one record per sequence number in `seqs` as one write; syncs if asked.
  static void WriteRecords(record::RecordWriter* writer, const std::vector<uint64_t>& seqs,
                           bool sync) {
    std::string buffer;
    for (uint64_t seq : seqs) {
      writer->AppendRecord(record::RecordType::kBatch, seq, 1, 1000, "value-" + std::to_string(seq),
                           &buffer);
    }
    ASSERT_OK(writer->Write(buffer));
    if (sync) {
      ASSERT_OK(writer->Sync());
    }
  }

  // A complete, synced WAL `number` holding one record per sequence number in `seqs`, each
  // synced on its own (so every record claims the previous ones durable).
  void MakeOldLife(uint64_t number, uint64_t first_seq, int records) {
    auto writer = record::RecordWriter::Create(&env_, kDir, Path(number), Header(number, 0));
    ASSERT_OK(writer.status());
    for (int i = 0; i < records; i++) {
      ASSERT_NO_FATAL_FAILURE(WriteRecords(writer.value().get(), {first_seq + i}, true));
    }
    ASSERT_OK(writer.value()->Close());
  }

  std::unique_ptr<record::RecordWriter> Reuse(uint64_t pooled, uint64_t number, uint64_t prev) {
    auto writer =
        record::RecordWriter::Reuse(&env_, kDir, Path(pooled), Path(number), Header(number, prev));
    EXPECT_OK(writer.status());
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  std::unique_ptr<record::RecordWriter> Create(uint64_t number, uint64_t prev) {
    auto writer = record::RecordWriter::Create(&env_, kDir, Path(number), Header(number, prev));
    EXPECT_OK(writer.status());
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  Status Recover(const std::vector<uint64_t>& numbers, uint64_t first_prev_bound = 1) {
    std::vector<WalFile> wals;
    for (uint64_t number : numbers) {
      wals.push_back({number, WalFileName(number)});
    }
    RecoveryOptions options;
    options.dir = kDir;
    options.db_id = db_id_;
    options.first_prev_bound = first_prev_bound;
    replayed_.clear();
    return RecoverWals(
        &env_, wals, options,
        [&](const record::Record& record) {
          replayed_.push_back(record.first_seq);
          return Status::OK();
        },
        &result_);
  }

  uint64_t Size(uint64_t number) { return env_.GetFileSize(Path(number)).value(); }

  MemEnv env_;
  record::DbId db_id_{};
  std::vector<uint64_t> replayed_;
  RecoveryResult result_;
};

TEST_F(WalRecycleTest, PreviousLifeWithHigherSequenceNumbersIsNeverReplayedAndIsCut) {
  // The old life: synced records with sequence numbers far above the new life's. If recovery
  // accepted any of them it would replay writes that were long overwritten or deleted.
  ASSERT_NO_FATAL_FAILURE(MakeOldLife(3, 1000, 40));
  const uint64_t old_size = Size(3);
  std::unique_ptr<record::RecordWriter> writer = Reuse(3, 9, 0);
  ASSERT_NE(writer, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(writer.get(), {5, 6}, true));
  const uint64_t new_end = writer->written_offset();
  ASSERT_OK(writer->Close());
  EXPECT_FALSE(env_.FileExists(Path(3)).value());
  EXPECT_EQ(Size(9), old_size) << "reuse must not truncate: appends overwrite in place";

  ASSERT_OK(Recover({9}));
  EXPECT_EQ(replayed_, (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(result_.last_sequence, 6u);
  EXPECT_EQ(result_.newest_wal_number, 9u);
  EXPECT_EQ(Size(9), new_end) << "the previous life is cut at open";
  ASSERT_EQ(result_.events.size(), 1u);
  EXPECT_NE(result_.events[0].find("cut torn tail"), std::string::npos) << result_.events[0];
}

TEST_F(WalRecycleTest, RecycledWalWithoutRecordsIsAnEmptyNewestWal) {
  ASSERT_NO_FATAL_FAILURE(MakeOldLife(3, 1000, 10));
  std::unique_ptr<record::RecordWriter> writer = Reuse(3, 9, 0);
  ASSERT_NE(writer, nullptr);
  ASSERT_OK(writer->Close());
  ASSERT_OK(Recover({9}));
  EXPECT_TRUE(replayed_.empty());
  EXPECT_EQ(result_.empty_newest_wal, 9u);
  EXPECT_EQ(result_.newest_wal_number, 0u);
}

TEST_F(WalRecycleTest, DamageInTheNewLifeBeforeASyncedOffsetIsCorruption) {
  ASSERT_NO_FATAL_FAILURE(MakeOldLife(3, 1000, 40));
  std::unique_ptr<record::RecordWriter> writer = Reuse(3, 9, 0);
  ASSERT_NE(writer, nullptr);
  const uint64_t first = writer->written_offset();
  ASSERT_NO_FATAL_FAILURE(WriteRecords(writer.get(), {5}, true));
  ASSERT_NO_FATAL_FAILURE(WriteRecords(writer.get(), {6}, true));  // claims {5} synced
  ASSERT_OK(writer->Close());
  ASSERT_OK(env_.CorruptByte(Path(9), first + 45, 0x01));
  const uint64_t size_before = Size(9);
  Status s = Recover({9});
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(WalFileName(9) + " offset " + std::to_string(first)),
            std::string::npos)
      << s.ToString();
  EXPECT_EQ(Size(9), size_before) << "strict recovery changes nothing";
}

TEST_F(WalRecycleTest, TornTailBeforeAnEmptyPreparedWalIsCutAndMadeDurable) {
  std::unique_ptr<record::RecordWriter> active = Create(4, 0);
  ASSERT_NE(active, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(active.get(), {1, 2}, true));
  const uint64_t synced_end = active->written_offset();
  ASSERT_NO_FATAL_FAILURE(WriteRecords(active.get(), {3}, false));  // unsynced
  const uint64_t unsynced_end = active->written_offset();
  // The successor, prepared ahead of the switch, recycled from an old WAL: it holds a header
  // and the previous life, no record.
  ASSERT_NO_FATAL_FAILURE(MakeOldLife(2, 500, 10));
  std::unique_ptr<record::RecordWriter> prepared = Reuse(2, 5, 4);
  ASSERT_NE(prepared, nullptr);
  ASSERT_OK(prepared->Close());
  ASSERT_OK(active->Close());

  // A process crash kept record 3 in the OS: replayed, and made durable before the open
  // shows it.
  ASSERT_OK(Recover({4, 5}));
  EXPECT_EQ(replayed_, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(result_.newest_wal_number, 4u);
  EXPECT_EQ(result_.empty_newest_wal, 5u);
  env_.Crash();
  EXPECT_EQ(Size(4), unsynced_end) << "record 3 must have been synced by the recovery";

  // Now tear record 3: a torn tail of the WAL holding the last records, though not the
  // newest file.
  ASSERT_OK(env_.TruncateFile(Path(4), unsynced_end - 7));
  ASSERT_OK(Recover({4, 5}));
  EXPECT_EQ(replayed_, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Size(4), synced_end);
  EXPECT_EQ(result_.newest_wal_number, 4u);
  EXPECT_EQ(result_.empty_newest_wal, 5u);
}

TEST_F(WalRecycleTest, WalWhoseRecordsWereAllTornBeforeAnEmptyPreparedWalIsCutToItsHeader) {
  // Found by the DB crash sweep: the active WAL's only (unsynced) records were torn, and the
  // prepared successor held nothing. The torn WAL survives as the newest WAL, so the next
  // WAL follows it and later holds records: its garbage must be gone by then.
  std::unique_ptr<record::RecordWriter> active = Create(4, 0);
  ASSERT_NE(active, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(active.get(), {1, 2}, false));
  ASSERT_OK(active->Close());
  std::unique_ptr<record::RecordWriter> prepared = Create(5, 4);
  ASSERT_NE(prepared, nullptr);
  ASSERT_OK(prepared->Close());
  ASSERT_OK(env_.CorruptByte(Path(4), record::kFileHeaderSize + 3, 0xff));  // record 1 torn
  ASSERT_OK(Recover({4, 5}));
  EXPECT_TRUE(replayed_.empty());
  EXPECT_EQ(result_.newest_wal_number, 4u);
  EXPECT_EQ(result_.empty_newest_wal, 5u);
  EXPECT_EQ(Size(4), record::kFileHeaderSize) << "the torn records are cut";
  // The next WAL follows WAL 4 and receives a record; WAL 4 is now whole.
  ASSERT_OK(env_.RemoveFile(Path(5)));
  std::unique_ptr<record::RecordWriter> next = Create(6, 4);
  ASSERT_NE(next, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(next.get(), {3}, true));
  ASSERT_OK(next->Close());
  ASSERT_OK(Recover({4, 6}));
  EXPECT_EQ(replayed_, (std::vector<uint64_t>{3}));
}

TEST_F(WalRecycleTest, DamageBeforeAWalThatHoldsARecordIsStillCorruption) {
  std::unique_ptr<record::RecordWriter> older = Create(4, 0);
  ASSERT_NE(older, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(older.get(), {1, 2}, true));
  const uint64_t end = older->written_offset();
  ASSERT_OK(older->Finish(&env_));
  ASSERT_OK(older->Close());
  std::unique_ptr<record::RecordWriter> newer = Create(5, 4);
  ASSERT_NE(newer, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(newer.get(), {3}, true));
  ASSERT_OK(newer->Close());
  ASSERT_OK(env_.TruncateFile(Path(4), end - 5));  // damage at the end of the older WAL
  Status s = Recover({4, 5});
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("received a record"), std::string::npos) << s.ToString();
}

TEST_F(WalRecycleTest, FinishCutsThePreviousLifeSoTheWalEndsAtItsLastRecord) {
  ASSERT_NO_FATAL_FAILURE(MakeOldLife(3, 1000, 40));
  std::unique_ptr<record::RecordWriter> writer = Reuse(3, 9, 0);
  ASSERT_NE(writer, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(writer.get(), {5}, false));
  const uint64_t end = writer->written_offset();
  ASSERT_OK(writer->Finish(&env_));
  EXPECT_EQ(writer->synced_offset(), end);
  ASSERT_OK(writer->Close());
  env_.Crash();  // Finish made it durable
  EXPECT_EQ(Size(9), end);
  std::unique_ptr<record::RecordWriter> next = Create(10, 9);
  ASSERT_NE(next, nullptr);
  ASSERT_NO_FATAL_FAILURE(WriteRecords(next.get(), {6}, true));
  ASSERT_OK(next->Close());
  ASSERT_OK(Recover({9, 10}));
  EXPECT_EQ(replayed_, (std::vector<uint64_t>{5, 6}));
}

TEST_F(WalRecycleTest, CrashBeforeTheRenameLeavesOnlyTheObsoleteNameWithTheNewHeader) {
  ASSERT_NO_FATAL_FAILURE(MakeOldLife(3, 1000, 10));
  // Freeze at the directory sync that would make the rename durable.
  env_.ScheduleCrashAtSyncPoint(env_.sync_point_count() + 1);
  auto writer = record::RecordWriter::Reuse(&env_, kDir, Path(3), Path(9), Header(9, 0));
  EXPECT_FALSE(writer.ok());
  env_.Restart();
  // The rename is undone: the new name does not exist, so recovery never sees the file;
  // under its old (obsolete) name the collector deletes or pools it.
  EXPECT_FALSE(env_.FileExists(Path(9)).value());
  EXPECT_TRUE(env_.FileExists(Path(3)).value());
  ASSERT_OK(Recover({}));
  EXPECT_TRUE(replayed_.empty());
}

}  // namespace
}  // namespace cairn::wal
