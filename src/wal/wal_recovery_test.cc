// Proves each row of the WAL recovery decision table (docs/durability.md): what is a torn
// tail (repaired, logged), what is lost acknowledged data (Corruption naming file, offset and
// sequence range, nothing on disk changed), and what salvage keeps, drops and quarantines,
// including when a recorded, prepared WAL lost its header: the WALs that survive the salvage
// are cut and durable, so a later WAL's writes never make them look damaged.
// WALs are built in a MemEnv with the real writer, then damaged precisely.
#include "wal/wal_recovery.h"

#include <gtest/gtest.h>

#include "record/record_codec.h"
#include "record/record_reader.h"
#include "record/record_writer.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/coding.h"
#include "util/filename.h"
#include "wal/wal_format.h"

namespace cairn::wal {
namespace {

constexpr char kDir[] = "/db";

class WalRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(env_.CreateDir(kDir));
    ASSERT_OK(env_.SyncDir("/"));
    db_id_.fill(3);
  }

  static std::string Path(uint64_t number) { return std::string(kDir) + "/" + WalFileName(number); }

  // Writes WAL `number` with predecessor `prev`: `groups` of one-sequence records, each group
  // written with one write and synced. Returns the record offsets. Sequences continue from
  // next_seq_.
  std::vector<uint64_t> MakeWal(uint64_t number, uint64_t prev, std::vector<int> groups,
                                bool sync_last_group = true) {
    record::FileHeader header;
    header.magic = kWalMagic;
    header.file_number = number;
    header.prev_file_number = prev;
    header.db_id = db_id_;
    auto writer = record::RecordWriter::Create(&env_, kDir, Path(number), header);
    EXPECT_OK(writer.status());
    std::vector<uint64_t> offsets;
    for (size_t g = 0; g < groups.size(); g++) {
      std::string buffer;
      for (int i = 0; i < groups[g]; i++) {
        offsets.push_back(writer.value()->written_offset() + buffer.size());
        std::string payload = "payload-" + std::to_string(next_seq_);
        writer.value()->AppendRecord(record::RecordType::kBatch, next_seq_++, 1, 1000, payload,
                                     &buffer);
      }
      EXPECT_OK(writer.value()->Write(buffer));
      if (g + 1 < groups.size() || sync_last_group) {
        EXPECT_OK(writer.value()->Sync());
      }
    }
    EXPECT_OK(writer.value()->Close());
    wals_.push_back({number, WalFileName(number)});
    return offsets;
  }

  Status Recover(bool salvage = false) {
    RecoveryOptions options;
    options.dir = kDir;
    options.db_id = db_id_;
    options.salvage = salvage;
    options.recorded_wals = recorded_;
    replayed_.clear();
    return RecoverWals(
        &env_, wals_, options,
        [&](const record::Record& record) {
          replayed_.push_back(record.first_seq);
          return Status::OK();
        },
        &result_);
  }

  // Empties the directory and starts the sequence over.
  void Reset() {
    auto children = env_.GetChildren(kDir);
    ASSERT_OK(children.status());
    for (const std::string& name : children.value()) {
      ASSERT_OK(env_.RemoveFile(std::string(kDir) + "/" + name));
    }
    ASSERT_OK(env_.SyncDir(kDir));
    wals_.clear();
    recorded_.clear();
    next_seq_ = 1;
  }

  uint64_t Size(uint64_t number) {
    auto size = env_.GetFileSize(Path(number));
    EXPECT_OK(size.status());
    return size.ok() ? size.value() : 0;
  }

  std::vector<uint64_t> Seqs(uint64_t first, uint64_t last) {
    std::vector<uint64_t> seqs;
    for (uint64_t s = first; s <= last; s++) seqs.push_back(s);
    return seqs;
  }

  // The ways a prepared WAL's header can be lost to damaged storage after the manifest
  // recorded the WAL: cut short, zeroed, emptied. Each leaves a file no longer than a header.
  static constexpr int kLostHeaderKinds = 3;
  static std::string LostHeaderName(int kind) {
    return kind == 0 ? "header cut to 20 bytes" : kind == 1 ? "header zeroed" : "file emptied";
  }

  // Makes WAL `number` (predecessor `prev`) as the WAL thread prepares one: a durable header,
  // no record, recorded in the manifest; then loses its header as `kind` says.
  void MakeRecordedWalWithLostHeader(uint64_t number, uint64_t prev, int kind) {
    MakeWal(number, prev, {});
    recorded_.insert(number);
    std::string header = env_.ReadFileContents(Path(number)).value();
    ASSERT_EQ(header.size(), record::kFileHeaderSize);
    std::string lost = kind == 0   ? header.substr(0, 20)
                       : kind == 1 ? std::string(record::kFileHeaderSize, '\0')
                                   : "";
    ASSERT_OK(env_.SetFileContentsDurably(Path(number), lost));
  }

  void AppendDurably(uint64_t number, const std::string& bytes) {
    std::string contents = env_.ReadFileContents(Path(number)).value();
    ASSERT_OK(env_.SetFileContentsDurably(Path(number), contents + bytes));
  }

  bool Exists(const std::string& path) { return env_.FileExists(path).value(); }

  MemEnv env_;
  record::DbId db_id_{};
  uint64_t next_seq_ = 1;
  std::vector<WalFile> wals_;
  std::set<uint64_t> recorded_;  // the WALs the manifest would record
  std::vector<uint64_t> replayed_;
  RecoveryResult result_;
};

TEST_F(WalRecoveryTest, CleanWalsReplayInOrder) {
  MakeWal(3, 0, {2, 1});
  MakeWal(5, 3, {3});
  ASSERT_OK(Recover());
  EXPECT_EQ(replayed_, Seqs(1, 6));
  EXPECT_EQ(result_.last_sequence, 6u);
  EXPECT_EQ(result_.newest_wal_number, 5u);
  EXPECT_TRUE(result_.events.empty());
}

TEST_F(WalRecoveryTest, IncompleteFinalRecordIsTornTailAndTruncated) {
  auto offsets = MakeWal(1, 0, {2, 2});
  uint64_t size = Size(1);
  ASSERT_OK(env_.TruncateFile(Path(1), size - 3));
  ASSERT_OK(Recover());
  EXPECT_EQ(replayed_, Seqs(1, 3));
  EXPECT_EQ(Size(1), offsets[3]);
  ASSERT_EQ(result_.events.size(), 1u);
  EXPECT_NE(result_.events[0].find("torn tail"), std::string::npos);
}

TEST_F(WalRecoveryTest, DamageAfterLastSyncedOffsetIsTornTail) {
  // The last group was written but not synced: nothing after it claims it was durable.
  auto offsets = MakeWal(1, 0, {2, 3}, /*sync_last_group=*/false);
  ASSERT_OK(env_.CorruptByte(Path(1), offsets[3] + record::kRecordHeaderSize, 0x40));
  ASSERT_OK(Recover());
  EXPECT_EQ(replayed_, Seqs(1, 3));
  EXPECT_EQ(Size(1), offsets[3]);
}

TEST_F(WalRecoveryTest, DamageBeforeSyncedOffsetIsCorruptionAndChangesNothing) {
  // Group 1 was synced; group 2's records say so. Damage in group 1 is lost acked data.
  auto offsets = MakeWal(1, 0, {2, 2});
  ASSERT_OK(env_.CorruptByte(Path(1), offsets[1] + record::kRecordHeaderSize, 0x01));
  auto before = env_.ReadFileContents(Path(1));
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("000001.wal offset " + std::to_string(offsets[1])), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("sequence numbers 2..4"), std::string::npos) << s.ToString();
  EXPECT_EQ(env_.ReadFileContents(Path(1)).value(), before.value());
}

TEST_F(WalRecoveryTest, DamageInOlderWalIsCorruptionEvenAtItsTail) {
  auto offsets = MakeWal(1, 0, {2});
  MakeWal(2, 1, {1});
  ASSERT_OK(env_.TruncateFile(Path(1), Size(1) - 1));
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("000001.wal offset " + std::to_string(offsets[1])), std::string::npos);
  EXPECT_NE(s.message().find("000002.wal"), std::string::npos);
}

TEST_F(WalRecoveryTest, MissingMiddleWalIsCorruption) {
  MakeWal(1, 0, {1});
  MakeWal(2, 1, {1});
  MakeWal(3, 2, {1});
  ASSERT_OK(env_.RemoveFile(Path(2)));
  wals_.erase(wals_.begin() + 1);
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("predecessor is WAL 2"), std::string::npos) << s.ToString();
}

TEST_F(WalRecoveryTest, MissingFirstWalIsCorruption) {
  MakeWal(1, 0, {1});
  MakeWal(2, 1, {1});
  ASSERT_OK(env_.RemoveFile(Path(1)));
  wals_.erase(wals_.begin());
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("WAL 1, is missing"), std::string::npos) << s.ToString();
}

TEST_F(WalRecoveryTest, WalFromAnotherDatabaseIsCorruption) {
  MakeWal(1, 0, {1});
  db_id_.fill(9);
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("another database"), std::string::npos);
}

TEST_F(WalRecoveryTest, MisnamedWalIsCorruption) {
  MakeWal(1, 0, {1});
  ASSERT_OK(env_.RenameFile(Path(1), Path(4)));
  wals_ = {{4, WalFileName(4)}};
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("misplaced or recycled"), std::string::npos);
}

TEST_F(WalRecoveryTest, NewestWalWithIncompleteHeaderIsRemoved) {
  MakeWal(1, 0, {2});
  ASSERT_OK(env_.SetFileContentsDurably(Path(2), std::string(20, '\0')));
  wals_.push_back({2, WalFileName(2)});
  ASSERT_OK(Recover());
  EXPECT_EQ(replayed_, Seqs(1, 2));
  EXPECT_EQ(result_.newest_wal_number, 1u);
  EXPECT_FALSE(env_.FileExists(Path(2)).value());
}

TEST_F(WalRecoveryTest, NewestWalWithoutRecordsIsReportedForRemoval) {
  MakeWal(1, 0, {2});
  MakeWal(2, 1, {});
  ASSERT_OK(Recover());
  EXPECT_EQ(replayed_, Seqs(1, 2));
  EXPECT_EQ(result_.newest_wal_number, 1u);
  EXPECT_EQ(result_.empty_newest_wal, 2u);
  // Left for the caller, who must first make the manifest forget it.
  EXPECT_TRUE(env_.FileExists(Path(2)).value());
  EXPECT_TRUE(env_.FileExists(Path(1)).value());
}

TEST_F(WalRecoveryTest, BadHeaderInWalWithRecordsIsCorruption) {
  MakeWal(1, 0, {2});
  ASSERT_OK(env_.CorruptByte(Path(1), 20, 0x01));
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("offset 0"), std::string::npos);
}

TEST_F(WalRecoveryTest, SequenceGoingBackwardsIsCorruption) {
  MakeWal(1, 0, {2});
  next_seq_ = 2;  // WAL 2 repeats sequence 2
  MakeWal(2, 1, {1});
  Status s = Recover();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("does not follow"), std::string::npos);
}

TEST_F(WalRecoveryTest, SalvageKeepsThePrefixAndQuarantinesTheRest) {
  auto offsets = MakeWal(1, 0, {2, 2});
  MakeWal(2, 1, {2});
  ASSERT_OK(env_.CorruptByte(Path(1), offsets[2] + record::kRecordHeaderSize, 0x01));
  auto original = env_.ReadFileContents(Path(1));
  ASSERT_OK(Recover(/*salvage=*/true));
  EXPECT_EQ(replayed_, Seqs(1, 2));
  EXPECT_EQ(result_.newest_wal_number, 1u);
  EXPECT_EQ(Size(1), offsets[2]);
  // The damaged bytes and the later WAL are kept aside, byte for byte.
  EXPECT_EQ(env_.ReadFileContents(Path(1) + ".corrupt").value(), original.value());
  EXPECT_TRUE(env_.FileExists(Path(2) + ".corrupt").value());
  EXPECT_FALSE(env_.FileExists(Path(2)).value());
  EXPECT_NE(result_.lost.find("000001.wal offset " + std::to_string(offsets[2])), std::string::npos)
      << result_.lost;
  EXPECT_NE(result_.lost.find("sequence numbers 3..6"), std::string::npos) << result_.lost;
}

TEST_F(WalRecoveryTest, SalvageSurvivesACrashAtEveryStep) {
  // Crash at each sync point of a salvage; a rerun after the crash must reach the same state.
  for (uint64_t crash_at = 0;; crash_at++) {
    SCOPED_TRACE("crash at sync point " + std::to_string(crash_at));
    Reset();
    auto offsets = MakeWal(1, 0, {2, 2});
    MakeWal(2, 1, {2});
    ASSERT_OK(env_.CorruptByte(Path(1), offsets[2] + record::kRecordHeaderSize, 0x01));
    auto original = env_.ReadFileContents(Path(1));
    env_.ScheduleCrashAtSyncPoint(env_.sync_point_count() + crash_at);
    bool crashed = !Recover(/*salvage=*/true).ok();
    if (crashed) {
      ASSERT_TRUE(env_.crashed());
      env_.Restart();
      wals_.clear();
      for (uint64_t n : {1, 2}) {
        if (env_.FileExists(Path(n)).value()) wals_.push_back({n, WalFileName(n)});
      }
      ASSERT_OK(Recover(/*salvage=*/true));
    }
    EXPECT_EQ(replayed_, Seqs(1, 2));
    EXPECT_EQ(Size(1), offsets[2]);
    EXPECT_FALSE(env_.FileExists(Path(2)).value());
    EXPECT_TRUE(env_.FileExists(Path(2) + ".corrupt").value());
    auto kept = env_.ReadFileContents(Path(1) + ".corrupt");
    ASSERT_OK(kept.status());
    EXPECT_EQ(kept.value(), original.value());
    if (!crashed) {
      break;
    }
  }
}

// The gap found in review (docs/durability.md §8, salvage row): WAL 1 ends in garbage after
// its last record, and its successor, WAL 2, was prepared (recorded, no record) and then
// lost its header. WAL 2 might have held records, so WAL 1's tail is not provably a torn
// tail: strict recovery refuses. Salvage must leave WAL 1 cut at its last valid record (the
// cut kept aside), or once a new WAL follows it and receives acknowledged writes, a strict
// open finds garbage in a WAL followed by records (Corruption), and a later salvage would
// drop those writes.
TEST_F(WalRecoveryTest, SalvageOfARecordedWalWithALostHeaderCutsItsPredecessor) {
  for (int kind = 0; kind < kLostHeaderKinds; kind++) {
    SCOPED_TRACE(LostHeaderName(kind));
    Reset();
    MakeWal(1, 0, {2, 2});
    recorded_.insert(1);
    const uint64_t end = Size(1);
    AppendDurably(1, std::string(300, '\x5a'));
    MakeRecordedWalWithLostHeader(2, 1, kind);
    const std::string original = env_.ReadFileContents(Path(1)).value();
    const std::string original_2 = env_.ReadFileContents(Path(2)).value();

    Status s = Recover();
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_EQ(env_.ReadFileContents(Path(1)).value(), original);
    EXPECT_EQ(env_.ReadFileContents(Path(2)).value(), original_2);

    ASSERT_OK(Recover(/*salvage=*/true));
    EXPECT_EQ(replayed_, Seqs(1, 4));
    EXPECT_EQ(result_.newest_wal_number, 1u);
    EXPECT_EQ(result_.dropped_wals, std::vector<uint64_t>{2});
    EXPECT_EQ(Size(1), end) << "WAL 1 must end at its last valid record";
    EXPECT_FALSE(Exists(Path(2)));
    EXPECT_EQ(env_.ReadFileContents(Path(2) + ".corrupt").value(), original_2);
    EXPECT_EQ(env_.ReadFileContents(Path(1) + ".corrupt").value(), original)
        << "the cut bytes are kept aside";
    EXPECT_FALSE(result_.lost.empty());

    // The database goes on: the manifest forgets WAL 2, a new WAL follows WAL 1 and receives
    // acknowledged writes, then the power fails. A strict open holds every one of them.
    wals_ = {{1, WalFileName(1)}};
    recorded_ = {1};
    MakeWal(3, 1, {2});
    recorded_.insert(3);
    env_.Crash();
    s = Recover();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(replayed_, Seqs(1, 6));
  }
}

// The same gap without garbage: WAL 1's last group was written but never synced (the
// previous process died before its sync), and this open replays it. Salvage must make WAL 1
// durable before a new WAL follows it, as Repair does, or a power failure after new writes
// loses records that were replayed and read.
TEST_F(WalRecoveryTest, SalvageOfARecordedWalWithALostHeaderMakesItsPredecessorDurable) {
  for (int kind = 0; kind < kLostHeaderKinds; kind++) {
    SCOPED_TRACE(LostHeaderName(kind));
    Reset();
    MakeWal(1, 0, {2, 2}, /*sync_last_group=*/false);
    recorded_.insert(1);
    const uint64_t end = Size(1);
    MakeRecordedWalWithLostHeader(2, 1, kind);
    ASSERT_OK(Recover(/*salvage=*/true));
    EXPECT_EQ(replayed_, Seqs(1, 4));
    EXPECT_EQ(result_.newest_wal_number, 1u);
    wals_ = {{1, WalFileName(1)}};
    recorded_ = {1};
    MakeWal(3, 1, {1});
    recorded_.insert(3);
    env_.Crash();
    EXPECT_EQ(Size(1), end) << "the replayed records of WAL 1 were never made durable";
    Status s = Recover();
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(replayed_, Seqs(1, 5));
  }
}

// And when the newest WAL holding records is followed by an empty WAL before the damaged
// one: both are cut (the records made durable, the empty WAL ends at its header).
TEST_F(WalRecoveryTest, SalvageOfARecordedWalWithALostHeaderCutsEveryWalBeforeIt) {
  MakeWal(1, 0, {2, 2}, /*sync_last_group=*/false);
  const uint64_t end = Size(1);
  MakeWal(2, 1, {});
  recorded_ = {1, 2};
  MakeRecordedWalWithLostHeader(3, 2, /*kind=*/1);
  ASSERT_OK(Recover(/*salvage=*/true));
  EXPECT_EQ(replayed_, Seqs(1, 4));
  EXPECT_EQ(result_.newest_wal_number, 2u);
  EXPECT_EQ(result_.dropped_wals, std::vector<uint64_t>{3});
  wals_ = {{1, WalFileName(1)}, {2, WalFileName(2)}};
  recorded_ = {1, 2};
  MakeWal(4, 2, {1});
  recorded_.insert(4);
  env_.Crash();
  EXPECT_EQ(Size(1), end);
  EXPECT_EQ(Size(2), record::kFileHeaderSize);
  Status s = Recover();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(replayed_, Seqs(1, 5));
}

TEST_F(WalRecoveryTest, SalvageOfARecordedWalWithALostHeaderSurvivesACrashAtEveryStep) {
  // As SalvageSurvivesACrashAtEveryStep, for the gap's salvage, with garbage after WAL 1's
  // records (WAL 1 is cut, a copy kept) and without (WAL 2 alone is set aside, WAL 1 synced):
  // whatever step a crash interrupts, a rerun reaches the same salvaged state, and that state
  // takes a new WAL.
  for (bool garbage : {true, false}) {
    for (int kind = 0; kind < kLostHeaderKinds; kind++) {
      for (uint64_t crash_at = 0;; crash_at++) {
        SCOPED_TRACE(LostHeaderName(kind) + (garbage ? ", garbage" : ", no garbage") +
                     ", crash at sync point " + std::to_string(crash_at));
        Reset();
        MakeWal(1, 0, {2, 2});
        recorded_.insert(1);
        const uint64_t end = Size(1);
        if (garbage) AppendDurably(1, std::string(300, '\x5a'));
        MakeRecordedWalWithLostHeader(2, 1, kind);
        const std::string original = env_.ReadFileContents(Path(1)).value();
        env_.ScheduleCrashAtSyncPoint(env_.sync_point_count() + crash_at);
        const bool crashed = !Recover(/*salvage=*/true).ok();
        if (!crashed) {
          env_.ScheduleCrashAtSyncPoint(UINT64_MAX);  // the salvage had fewer sync points
        } else {
          ASSERT_TRUE(env_.crashed());
          env_.Restart();
          wals_.clear();
          for (uint64_t n : {1, 2}) {
            if (Exists(Path(n))) wals_.push_back({n, WalFileName(n)});
          }
          ASSERT_OK(Recover(/*salvage=*/true));
        }
        EXPECT_EQ(replayed_, Seqs(1, 4));
        EXPECT_EQ(result_.newest_wal_number, 1u);
        EXPECT_EQ(Size(1), end);
        EXPECT_FALSE(Exists(Path(2)));
        EXPECT_TRUE(Exists(Path(2) + ".corrupt"));
        if (garbage) {
          auto kept = env_.ReadFileContents(Path(1) + ".corrupt");
          ASSERT_OK(kept.status());
          EXPECT_EQ(kept.value(), original);
        } else {
          EXPECT_FALSE(Exists(Path(1) + ".corrupt")) << "WAL 1 was not damaged";
        }
        // The salvaged state takes a new WAL whose writes a power failure does not undo.
        wals_ = {{1, WalFileName(1)}};
        recorded_ = {1};
        MakeWal(3, 1, {1});
        recorded_.insert(3);
        env_.Crash();
        Status s = Recover();
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_EQ(replayed_, Seqs(1, 5));
        if (!crashed) {
          break;
        }
      }
    }
  }
}

}  // namespace
}  // namespace cairn::wal
