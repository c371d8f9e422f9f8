// The fault matrix of docs/durability.md §6, the rows no other test names: each test injects
// one fault at one step (FaultEnv over MemEnv), then checks what the matrix promises — the
// error reaches the caller, nothing unacknowledged is reported as written, reads keep
// working, and either the database resumes by itself once the fault is gone (background
// work: flush and compaction retry with backoff) or it is read-only until a reopen (the
// WAL: a failed write or fsync is never retried), and the reopen loses nothing acknowledged.
// It also feeds random bytes to every file type and crashes on both sides of a WAL deletion.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "db/db_lsm_testutil.h"

namespace cairn::test {
namespace {

class DBFaultMatrixTest : public LsmTestBase {
 protected:
  // Writes keys [begin, end) with sync = true into the model; every write must succeed.
  void WriteRange(int begin, int end, State* model, size_t value_size = 100) {
    for (int i = begin; i < end; i++) {
      ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1, value_size)));
      (*model)[Key(i)] = Value(i, 1, value_size);
    }
  }

  // Closes the DB, crashes the file system (only synced state survives), clears every fault
  // and reopens: the database must open and hold exactly `model` over `universe`.
  void CrashReopenAndCheck(const State& model, const std::vector<std::string>& universe) {
    db_.reset();
    faults_.ClearFaults();
    mem_.Crash();
    ASSERT_OK(Open());
    ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  }

  void CheckRandomBytesIn(FileType type);
  void CheckCrashAroundWalDeletion(bool deleted);
};

// ENOSPC while appending to the WAL: the writers of that commit get "outcome unknown", the
// database turns read-only (reads go on), and after space returns a reopen recovers every
// acknowledged write. The WAL is never retried in place: the bytes' fate is unknown.
TEST_F(DBFaultMatrixTest, EnospcOnWalWriteFailsCleanlyKeepsReadsAndReopenLosesNothing) {
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 50, &model);
  faults_.SetFlavour(FaultFlavour::kENOSPC);
  faults_.FailPath(".wal", kFaultWrite);
  Status failed = db_->Put(WriteOptions(), Key(50), "never acknowledged");
  EXPECT_TRUE(failed.IsOutcomeUnknown()) << failed.ToString();
  EXPECT_NE(failed.ToString().find("space"), std::string::npos) << failed.ToString();
  Status later = db_->Put(WriteOptions(), Key(51), "x");
  EXPECT_TRUE(later.IsReadOnly()) << later.ToString();
  std::vector<std::string> universe = KeyRange(0, 52);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));  // reads keep working
  faults_.ClearFaults();                              // space is back...
  EXPECT_TRUE(db_->Put(WriteOptions(), Key(52), "x").IsReadOnly());  // ...but no self-repair
  ASSERT_NO_FATAL_FAILURE(CrashReopenAndCheck(model, universe));
  ASSERT_OK(db_->Put(WriteOptions(), Key(60), "after reopen"));
}

// ENOSPC while a flush writes its segment: writers are not failed (their data is in the
// WAL), reads go on, the flush retries with backoff and resumes by itself once space
// returns; no reopen is needed and nothing is lost.
TEST_F(DBFaultMatrixTest, EnospcDuringFlushKeepsWritesAndReadsAndTheFlushResumesWhenSpaceReturns) {
  options_.memtable_size_bytes = 64 << 10;
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 100, &model);
  faults_.SetFlavour(FaultFlavour::kENOSPC);
  faults_.FailPath(".seg", kFaultWrite);
  Status flushed = db_->Flush();
  EXPECT_TRUE(flushed.IsNoSpace()) << flushed.ToString();
  EXPECT_FALSE(flushed.IsReadOnly()) << flushed.ToString();
  WriteRange(100, 300, &model, 1000);  // several more MemTables wait for the flush
  std::vector<std::string> universe = KeyRange(0, 300);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  EXPECT_EQ(FilesAtLevel(0) + FilesAtLevel(1), 0u) << "a segment was installed while failing";
  faults_.ClearFaults();
  // The retry (backoff up to 5 s) flushes every waiting MemTable without help.
  EXPECT_TRUE(WaitUntil([&] { return Number("cairn.immutable-memtables") == 0; }, 15000));
  EXPECT_GT(FilesAtLevel(0) + FilesAtLevel(1) + FilesAtLevel(2), 0u);
  ASSERT_OK(db_->Flush());
  WriteRange(300, 310, &model);
  universe = KeyRange(0, 310);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  ASSERT_NO_FATAL_FAILURE(CrashReopenAndCheck(model, universe));
}

// ENOSPC while a compaction writes its outputs: flushes and writes go on, reads are
// unaffected, the failed outputs are removed, and compaction resumes once space returns.
TEST_F(DBFaultMatrixTest, EnospcDuringCompactionKeepsWritesAndReadsAndCompactionResumes) {
  options_.memtable_size_bytes = 32 << 10;
  options_.l0_compaction_trigger = 2;
  options_.target_segment_size_bytes = 16 << 10;
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 100, &model);
  ASSERT_OK(db_->Flush());
  // Compaction outputs are numbered after every existing file, so failing segment writes of
  // files numbered above this point hits compactions; flush outputs are let through by
  // failing only the compaction's own manual run below.
  faults_.SetFlavour(FaultFlavour::kENOSPC);
  faults_.FailPath(".seg", kFaultWrite);
  Status compacted = db_->CompactRange(nullptr, nullptr);
  EXPECT_TRUE(compacted.IsNoSpace()) << compacted.ToString();
  EXPECT_FALSE(compacted.IsReadOnly()) << compacted.ToString();
  std::vector<std::string> universe = KeyRange(0, 200);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  // Writes are still accepted while segments cannot be written (they wait in MemTables).
  WriteRange(100, 200, &model);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  faults_.ClearFaults();
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(FilesAtLevel(0), 0u);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  ASSERT_NO_FATAL_FAILURE(CrashReopenAndCheck(model, universe));
}

// A failed fdatasync of a new segment fails the flush (reported to Flush's caller with the
// stage), installs nothing, and the retry writes a new file: the failed file's pages are never
// trusted, since an fsync error can drop them.
TEST_F(DBFaultMatrixTest, FailedSegmentSyncFailsTheFlushInstallsNothingAndTheRetryWritesANewFile) {
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 100, &model);
  faults_.FailPath(".seg", kFaultSync);
  Status flushed = db_->Flush();
  EXPECT_TRUE(flushed.IsIOError()) << flushed.ToString();
  EXPECT_NE(flushed.ToString().find("build segment"), std::string::npos) << flushed.ToString();
  EXPECT_NE(flushed.ToString().find("sync"), std::string::npos) << flushed.ToString();
  EXPECT_FALSE(flushed.IsReadOnly()) << flushed.ToString();
  EXPECT_EQ(FilesAtLevel(0), 0u);
  std::vector<std::string> universe = KeyRange(0, 100);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  faults_.ClearFaults();
  ASSERT_OK(db_->Flush());
  EXPECT_EQ(FilesAtLevel(0), 1u);
  ASSERT_NO_FATAL_FAILURE(CrashReopenAndCheck(model, universe));
  EXPECT_EQ(FilesAtLevel(0), 1u);
}

// A failed fdatasync of the manifest while it records a new WAL (every MemTable switch does,
// DB::Flush's included): the edit's fate on disk is unknown and the WAL cannot be used, so
// the database turns read-only; the write or flush that needed the switch is not
// acknowledged; reads go on; a reopen (which rolls over to a new manifest) recovers every
// acknowledged write. (A failed manifest sync on a flush's own edit instead fails only that
// flush, which retries on a new manifest: DBFaultTest's error sweep fails that operation too.)
TEST_F(DBFaultMatrixTest, FailedManifestSyncOnAWalSwitchMakesTheDbReadOnlyAndReopenRecovers) {
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 100, &model);
  std::set<uint64_t> manifests_before = FileNumbers(FileType::kManifest);
  faults_.FailPath(".manifest", kFaultSync);
  Status flushed = db_->Flush();
  EXPECT_TRUE(flushed.IsIOError()) << flushed.ToString();
  EXPECT_NE(flushed.ToString().find("manifest"), std::string::npos) << flushed.ToString();
  EXPECT_TRUE(db_->Put(WriteOptions(), "later", "x").IsReadOnly());
  std::vector<std::string> universe = KeyRange(0, 100);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  ASSERT_NO_FATAL_FAILURE(CrashReopenAndCheck(model, universe));
  EXPECT_NE(FileNumbers(FileType::kManifest), manifests_before) << "the open did not roll over";
  ASSERT_OK(db_->Flush());
}

// A failed directory fsync while switching to a new WAL (its entry may not be durable) stops
// writes: the database is read-only, the writer that needed the switch is not acknowledged,
// reads go on, and a reopen recovers every acknowledged write.
TEST_F(DBFaultMatrixTest, FailedDirectorySyncOnAWalSwitchMakesTheDbReadOnlyAndReopenRecovers) {
  options_.memtable_size_bytes = 16 << 10;
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 20, &model);
  faults_.FailKinds(kFaultDirSync);
  Status failed;
  int i = 20;
  for (; i < 2000 && failed.ok(); i++) {  // until a write needs a new WAL
    failed = db_->Put(WriteOptions(), Key(i), Value(i, 1, 500));
    if (failed.ok()) model[Key(i)] = Value(i, 1, 500);
  }
  ASSERT_FALSE(failed.ok()) << "no write ever switched WALs";
  EXPECT_TRUE(failed.IsIOError()) << failed.ToString();
  EXPECT_TRUE(db_->Put(WriteOptions(), "later", "x").IsReadOnly());
  std::vector<std::string> universe = KeyRange(0, i + 1);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  ASSERT_NO_FATAL_FAILURE(CrashReopenAndCheck(model, universe));
}

// Random bytes in place of one file of `type` (the newest), same length, in a database with
// data in a segment and in the WAL: the open refuses with Corruption (never OK with data
// silently missing, never a crash) — or, for a segment, whose blocks are read lazily, the
// open may succeed and then every read that touches it fails with Corruption.
void DBFaultMatrixTest::CheckRandomBytesIn(FileType type) {
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 200, &model);
  ASSERT_OK(db_->Flush());
  WriteRange(200, 220, &model);  // and some only in the WAL
  db_.reset();
  std::string path;
  for (const std::string& name : mem_.GetChildren(kDir).value()) {
    FileType found;
    uint64_t number;
    if (ParseFileName(name, &found, &number) && found == type) {
      path = JoinPath(kDir, name);
    }
  }
  ASSERT_FALSE(path.empty());
  std::mt19937_64 rng(test::TestSeed());
  std::string garbage(mem_.GetFileSize(path).value(), '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  ASSERT_OK(mem_.SetFileContentsDurably(path, garbage));
  Status opened = Open();
  if (type == FileType::kSegment && opened.ok()) {
    std::string value;
    Status read = db_->Get(ReadOptions(), Key(0), &value);
    EXPECT_TRUE(read.IsCorruption()) << read.ToString();
  } else {
    EXPECT_TRUE(opened.IsCorruption()) << opened.ToString();
  }
}

TEST_F(DBFaultMatrixTest, RandomBytesInTheWalAreCorruption) { CheckRandomBytesIn(FileType::kWal); }
TEST_F(DBFaultMatrixTest, RandomBytesInASegmentAreCorruption) {
  CheckRandomBytesIn(FileType::kSegment);
}
TEST_F(DBFaultMatrixTest, RandomBytesInTheManifestAreCorruption) {
  CheckRandomBytesIn(FileType::kManifest);
}
TEST_F(DBFaultMatrixTest, RandomBytesInCurrentAreCorruption) {
  CheckRandomBytesIn(FileType::kCurrent);
}
TEST_F(DBFaultMatrixTest, RandomBytesInIdentityAreCorruption) {
  CheckRandomBytesIn(FileType::kIdentity);
}

// The WAL a flush retired is deleted after the manifest edit that retires it is durable.
// A crash before the deletion (the unlink failed or never reached the disk) leaves the old
// WAL behind: the next open must not replay it over newer data, and removes it. A crash
// after it is an ordinary open. Both recover exactly the acknowledged state.
void DBFaultMatrixTest::CheckCrashAroundWalDeletion(bool deleted) {
  ASSERT_OK(Open());
  State model;
  WriteRange(0, 50, &model);
  std::set<uint64_t> old_wals = FileNumbers(FileType::kWal);
  if (!deleted) faults_.FailPath(".wal", kFaultUnlink);
  ASSERT_OK(db_->Flush());
  // Overwrite and delete keys the old WAL also holds: replaying it would resurrect them.
  for (int i = 0; i < 50; i += 2) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 2)));
    model[Key(i)] = Value(i, 2);
  }
  ASSERT_OK(db_->Delete(WriteOptions(), Key(1)));
  model.erase(Key(1));
  ASSERT_OK(db_->Flush());
  std::set<uint64_t> wals = FileNumbers(FileType::kWal);
  for (uint64_t number : old_wals) {
    EXPECT_EQ(wals.count(number), deleted ? 0u : 1u) << WalFileName(number);
  }
  ASSERT_NO_FATAL_FAILURE(CrashReopenAndCheck(model, KeyRange(0, 50)));
  wals = FileNumbers(FileType::kWal);
  for (uint64_t number : old_wals) {
    EXPECT_EQ(wals.count(number), 0u) << "the open kept the retired " << WalFileName(number);
  }
}

TEST_F(DBFaultMatrixTest, CrashBeforeTheRetiredWalIsDeletedRecoversWithoutReplayingIt) {
  CheckCrashAroundWalDeletion(/*deleted=*/false);
}

TEST_F(DBFaultMatrixTest, CrashAfterTheRetiredWalIsDeletedRecoversTheAcknowledgedState) {
  CheckCrashAroundWalDeletion(/*deleted=*/true);
}

}  // namespace
}  // namespace cairn::test
