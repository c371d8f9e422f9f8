// Proves the flush and read side of the LSM layer end to end (DESIGN.md §1 item 6, §3 and §4;
// issue 3 items 3, 5 and 7): a flush moves data from MemTables into segments that serve every
// read afterwards; a reopen after it (clean or after a crash) replays nothing; WAL files are
// deleted once their records are in segments, and only those; concurrent Flush() calls all
// succeed and share one flush; snapshots and iterators see exactly their versions across
// immutable and active MemTables, level 0 and level 1, before and after flushes and
// compactions under them; an iterator keeps the segment files it reads until it is
// destroyed, and the next job's collector then removes them; CompactRange drops the
// overwritten versions and deletions no snapshot needs, over everything and over a
// sub-range, keeps what a live snapshot reads, and drops that too once it is released.
//
// How: a DB on FaultEnv over MemEnv (db_lsm_testutil.h), checked through the public API
// (Get, iterators both ways, Seek then Prev/Next), the properties ("cairn.files-at-level.N",
// "cairn.immutable-memtables", "cairn.flushes", "cairn.recovery", ...), the directory's file
// listing, and the entry counts in the segments' own properties blocks. FaultEnv failing
// every append to a ".seg" file makes flushes fail, which keeps MemTables immutable (and
// their WALs live) while a test needs them.
//
// CAIRN_TEST_SCALE (default 1, 0.25 in sanitizer builds) scales the workload sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db.h"
#include "db/db_lsm_testutil.h"
#include "testsupport/fault_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn::test {
namespace {

class DBLsmTest : public LsmTestBase {};

// --- Flush -------------------------------------------------------------------------------

TEST_F(DBLsmTest, FlushedDataIsReadFromSegmentsOnceTheMemTablesAreGone) {
  ASSERT_OK(Open());
  State model;
  for (int i = 0; i < 2000; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1, 200)));
    model[Key(i)] = Value(i, 1, 200);
  }
  for (int i = 0; i < 2000; i += 5) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 2, 50)));
    model[Key(i)] = Value(i, 2, 50);
  }
  for (int i = 1; i < 2000; i += 9) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  const uint64_t memtable_bytes_before = Number("cairn.memtable.bytes");
  EXPECT_EQ(FilesAtLevel(0), 0u);
  ASSERT_OK(db_->Flush());
  EXPECT_GE(FilesAtLevel(0), 1u);
  EXPECT_EQ(Number("cairn.immutable-memtables"), 0u);
  EXPECT_EQ(Number("cairn.flushes"), 1u);
  // Only the new, empty active MemTable is left: one arena block at most.
  const uint64_t memtable_bytes_after = Number("cairn.memtable.bytes");
  EXPECT_LT(memtable_bytes_after, memtable_bytes_before / 4);
  EXPECT_LE(memtable_bytes_after, (64u << 10) + 64);
  EXPECT_FALSE(FileNumbers(FileType::kSegment).empty());
  std::vector<std::string> universe = KeyRange(0, 2001);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
}

TEST_F(DBLsmTest, ReopenAfterFlushReplaysNoRecordAndFindsEverything) {
  ASSERT_OK(Open());
  State model;
  for (int i = 0; i < 500; i++) {
    WriteOptions write;
    write.sync = i % 2 == 0;
    ASSERT_OK(db_->Put(write, Key(i), Value(i, 1)));
    model[Key(i)] = Value(i, 1);
  }
  for (int i = 0; i < 500; i += 3) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  ASSERT_OK(db_->Flush());
  const std::vector<std::string> universe = KeyRange(0, 500);
  for (bool crash : {false, true}) {
    SCOPED_TRACE(crash ? "after a crash" : "after a clean close");
    if (crash) {
      mem_.CrashNow();  // power loss: only what was synced survives
      db_.reset();
      mem_.Restart(CrashOptions{/*torn_writes=*/true, 7});
    }
    ASSERT_OK(Open());
    const std::string recovery = Property("cairn.recovery");
    EXPECT_NE(recovery.find("replayed 0 records"), std::string::npos) << recovery;
    EXPECT_GE(FilesAtLevel(0) + FilesAtLevel(1), 1u);
    ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  }
}

TEST_F(DBLsmTest, FlushDeletesWalFilesBelowTheLogNumberOnly) {
  options_.memtable_size_bytes = 32 << 10;
  // This test is about deletion; recycling keeps obsolete WALs for reuse instead
  // (db_wal_recycle_test.cc).
  options_.wal_recycle_files = 0;
  ASSERT_OK(Open());
  // Flushes fail while segment appends fail, so the MemTables and their WALs pile up.
  faults_.FailPath(".seg", kFaultWrite);
  State model;
  for (int i = 0; i < 400; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1, 400)));
    model[Key(i)] = Value(i, 1, 400);
  }
  const std::set<uint64_t> wals_before = FileNumbers(FileType::kWal);
  ASSERT_GE(wals_before.size(), 3u) << "the MemTables should have switched several times";
  EXPECT_GE(Number("cairn.immutable-memtables"), 2u);
  faults_.ClearFaults();
  ASSERT_OK(FlushUntilOk());
  EXPECT_EQ(Number("cairn.immutable-memtables"), 0u);
  // Every older WAL is now in segments; only the active one stays, followed by at most the
  // next WAL, prepared ahead of the switch. The flush's switch made the newest WAL listed
  // before it (prepared ahead) or a newer one active.
  const uint64_t newest_before = *wals_before.rbegin();
  ASSERT_TRUE(WaitUntil([&] {
    std::set<uint64_t> wals = FileNumbers(FileType::kWal);
    return wals.size() <= 2 && *wals.begin() >= newest_before;
  })) << "WAL files left: "
      << FileNumbers(FileType::kWal).size();
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 400)));
  ASSERT_OK(Open());
  EXPECT_NE(Property("cairn.recovery").find("replayed 0 records"), std::string::npos);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 400)));
}

TEST_F(DBLsmTest, SimultaneousFlushCallsAllSucceedAndShareOneFlush) {
  ASSERT_OK(Open());
  State model;
  for (int i = 0; i < 1000; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1)));
    model[Key(i)] = Value(i, 1);
  }
  constexpr int kCallers = 8;
  std::atomic<int> ready{0};
  std::vector<Status> results(kCallers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; t++) {
    threads.emplace_back([&, t] {
      ready++;
      while (ready.load() < kCallers) std::this_thread::yield();
      results[t] = db_->Flush();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kCallers; t++) {
    EXPECT_OK(results[t]);
  }
  // One MemTable held data: every caller waited for the same flush.
  EXPECT_EQ(Number("cairn.flushes"), 1u);
  EXPECT_EQ(FilesAtLevel(0), 1u);
  EXPECT_EQ(Number("cairn.immutable-memtables"), 0u);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 1000)));
}

TEST_F(DBLsmTest, ConcurrentFlushCallsAndWritersAllSucceedAndLoseNothing) {
  options_.memtable_size_bytes = 64 << 10;
  options_.l0_compaction_trigger = 2;
  options_.level1_size_bytes = 256 << 10;
  ASSERT_OK(Open());
  constexpr int kThreads = 4;
  const int writes = Scaled(400);
  std::atomic<int> flush_calls{0};
  std::vector<std::thread> threads;
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < writes; i++) {
        Status s = db_->Put(WriteOptions(), "t" + std::to_string(t) + Key(i), Value(i, t, 150));
        if (s.ok() && i % 25 == 24) {
          flush_calls++;
          s = db_->Flush();
        }
        if (!s.ok()) {
          errors[t] = "write " + std::to_string(i) + ": " + s.ToString();
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; t++) {
    EXPECT_EQ(errors[t], "") << "thread " << t;
  }
  // Callers that found nothing new to switch joined a flush already under way.
  const uint64_t flushes = Number("cairn.flushes");
  EXPECT_GT(flushes, 0u);
  EXPECT_LE(flushes, static_cast<uint64_t>(flush_calls.load()) +
                         kThreads * writes * 200 / options_.memtable_size_bytes + 1);
  State model;
  std::vector<std::string> universe;
  for (int t = 0; t < kThreads; t++) {
    for (int i = 0; i < writes; i++) {
      model["t" + std::to_string(t) + Key(i)] = Value(i, t, 150);
      universe.push_back("t" + std::to_string(t) + Key(i));
    }
  }
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  mem_.CrashNow();
  db_.reset();
  mem_.Restart(CrashOptions{/*torn_writes=*/true, 11});
  ASSERT_OK(Open());
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
}

// --- Reads across MemTables and levels ------------------------------------------------------

TEST_F(DBLsmTest, SnapshotsAndIteratorsAcrossMemTablesLevelZeroAndDeeperLevelsSeeTheirVersions) {
  options_.memtable_size_bytes = 32 << 10;
  options_.l0_compaction_trigger = 8;  // only CompactRange moves data down
  ASSERT_OK(Open());
  const std::vector<std::string> universe = KeyRange(0, 330);
  State model;
  // Deepest: version 1 of keys 0..299, compacted to level 1.
  for (int i = 0; i < 300; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1)));
    model[Key(i)] = Value(i, 1);
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  ASSERT_EQ(FilesAtLevel(0), 0u);
  ASSERT_GE(FilesAtLevel(1), 1u);
  const Snapshot* s1 = db_->GetSnapshot();
  const State model1 = model;
  // Level 0: version 2 of keys 0..149, deletions of 200..219.
  for (int i = 0; i < 150; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 2)));
    model[Key(i)] = Value(i, 2);
  }
  for (int i = 200; i < 220; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  ASSERT_OK(db_->Flush());
  ASSERT_GE(FilesAtLevel(0), 1u);
  const Snapshot* s2 = db_->GetSnapshot();
  const State model2 = model;
  // Immutable MemTables (their flushes fail) and the active one: version 3 of keys 0..74,
  // deletions of 100..109, new keys 300..319, then version 4 of keys 0..9.
  faults_.FailPath(".seg", kFaultWrite);
  for (int i = 0; i < 75; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 3, 500)));
    model[Key(i)] = Value(i, 3, 500);
  }
  for (int i = 100; i < 110; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  for (int i = 300; i < 320; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 3)));
    model[Key(i)] = Value(i, 3);
  }
  const Snapshot* s3 = db_->GetSnapshot();
  const State model3 = model;
  for (int i = 0; i < 10; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 4)));
    model[Key(i)] = Value(i, 4);
  }
  ASSERT_GE(Number("cairn.immutable-memtables"), 1u) << "reads must span immutable MemTables";
  std::unique_ptr<Iterator> early = db_->NewIterator(ReadOptions());
  const State model_early = model;
  auto check_all = [&](const char* when) {
    SCOPED_TRACE(when);
    {
      SCOPED_TRACE("snapshot 1");
      ASSERT_NO_FATAL_FAILURE(CheckDb(model1, universe, s1));
    }
    {
      SCOPED_TRACE("snapshot 2");
      ASSERT_NO_FATAL_FAILURE(CheckDb(model2, universe, s2));
    }
    {
      SCOPED_TRACE("snapshot 3");
      ASSERT_NO_FATAL_FAILURE(CheckDb(model3, universe, s3));
    }
    {
      SCOPED_TRACE("latest");
      ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
    }
    {
      SCOPED_TRACE("iterator created before");
      ASSERT_NO_FATAL_FAILURE(
          CheckIterator(early.get(), model_early, {Key(5), Key(105), Key(310)}));
    }
  };
  ASSERT_NO_FATAL_FAILURE(check_all("memtables, level 0 and level 1"));
  // Now flush and compact everything under the snapshots, and write more on top.
  faults_.ClearFaults();
  ASSERT_OK(FlushUntilOk());
  ASSERT_NO_FATAL_FAILURE(check_all("after the flush"));
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(FilesAtLevel(0), 0u);
  ASSERT_NO_FATAL_FAILURE(check_all("after CompactRange"));
  for (int i = 50; i < 250; i += 2) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 5)));
    model[Key(i)] = Value(i, 5);
  }
  ASSERT_OK(db_->Flush());
  const std::string begin = Key(60);
  const std::string end = Key(120);
  const std::string_view begin_view = begin;
  const std::string_view end_view = end;
  ASSERT_OK(db_->CompactRange(&begin_view, &end_view));
  ASSERT_NO_FATAL_FAILURE(check_all("after more writes and a sub-range CompactRange"));
  early.reset();
  db_->ReleaseSnapshot(s1);
  db_->ReleaseSnapshot(s2);
  db_->ReleaseSnapshot(s3);
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
  ASSERT_OK(Open());
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, universe));
}

TEST_F(DBLsmTest, IteratorKeepsItsSegmentFilesAliveThroughACompaction) {
  options_.l0_compaction_trigger = 8;
  ASSERT_OK(Open());
  State model;
  for (int round = 0; round < 2; round++) {  // two level-0 files
    for (int i = round; i < 600; i += 2) {
      ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1)));
      model[Key(i)] = Value(i, 1);
    }
    ASSERT_OK(db_->Flush());
  }
  const std::set<uint64_t> pinned = FileNumbers(FileType::kSegment);
  ASSERT_EQ(pinned.size(), 2u);
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->Seek(Key(300));  // reading before the compaction...
  ASSERT_TRUE(it->Valid());
  // ...and everything changes under it.
  for (int i = 0; i < 600; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 2)));
  }
  ASSERT_OK(db_->Flush());
  const std::set<uint64_t> unpinned = FileNumbers(FileType::kSegment);
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  ASSERT_EQ(FilesAtLevel(0), 0u);
  // The compaction's collector ran: the level-0 file written after the iterator is gone, the
  // two the iterator reads are not, though no version but the iterator's lists them.
  for (uint64_t number : unpinned) {
    EXPECT_EQ(FileNumbers(FileType::kSegment).count(number), pinned.count(number))
        << SegmentFileName(number);
  }
  EXPECT_EQ(it->key(), Key(300));
  EXPECT_EQ(it->value(), Value(300, 1));
  ASSERT_NO_FATAL_FAILURE(CheckIterator(it.get(), model, {Key(0), Key(301), Key(599), "zzz"}));
  it.reset();
  for (uint64_t number : pinned) {
    EXPECT_EQ(FileNumbers(FileType::kSegment).count(number), 1u)
        << SegmentFileName(number) << " was deleted before any collection ran";
  }
  // The next job's collector removes them.
  ASSERT_OK(db_->Put(WriteOptions(), "another", "write"));
  ASSERT_OK(db_->Flush());
  EXPECT_TRUE(WaitUntil([&] {
    std::set<uint64_t> now = FileNumbers(FileType::kSegment);
    return std::none_of(pinned.begin(), pinned.end(),
                        [&](uint64_t number) { return now.count(number) != 0; });
  })) << "segment files nothing references any more were never deleted";
  for (int i = 0; i < 600; i++) model[Key(i)] = Value(i, 2);
  model["another"] = "write";
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 600)));
}

// --- CompactRange -------------------------------------------------------------------------

TEST_F(DBLsmTest, CompactRangeDropsOverwrittenVersionsAndTombstonesNoSnapshotNeeds) {
  options_.l0_compaction_trigger = 8;
  ASSERT_OK(Open());
  for (int version = 1; version <= 3; version++) {
    for (int i = 0; i < 500; i++) {
      ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, version)));
    }
    ASSERT_OK(db_->Flush());
  }
  for (int i = 0; i < 250; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
  }
  ASSERT_OK(db_->Flush());
  ASSERT_EQ(FilesAtLevel(0), 4u);
  EXPECT_EQ(EntriesInSegments(), 3u * 500 + 250);
  const uint64_t bytes_before = BytesAtLevel(0);
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  // One version per live key; the deletions hide nothing below, so they are gone too.
  EXPECT_EQ(FilesAtLevel(0), 0u);
  EXPECT_EQ(EntriesInSegments(), 250u);
  uint64_t bytes_after = 0;
  for (int level = 0; level < 7; level++) bytes_after += BytesAtLevel(level);
  EXPECT_LT(bytes_after, bytes_before / 4);
  EXPECT_GT(Number("cairn.compactions"), 0u);
  State model;
  for (int i = 250; i < 500; i++) model[Key(i)] = Value(i, 3);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 500)));
  // A sub-range: deletions and overwrites inside it are settled the same way.
  for (int i = 250; i < 300; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  for (int i = 300; i < 350; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 4)));
    model[Key(i)] = Value(i, 4);
  }
  const std::string begin = Key(250);
  const std::string end = Key(349);
  const std::string_view begin_view = begin;
  const std::string_view end_view = end;
  ASSERT_OK(db_->CompactRange(&begin_view, &end_view));
  EXPECT_EQ(EntriesInSegments(), 200u);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 500)));
  ASSERT_OK(Open());
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 500)));
}

TEST_F(DBLsmTest, CompactRangeKeepsEveryVersionALiveSnapshotReads) {
  options_.l0_compaction_trigger = 8;
  ASSERT_OK(Open());
  for (int i = 0; i < 100; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1)));
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  const Snapshot* snapshot = db_->GetSnapshot();
  State old_model;
  for (int i = 0; i < 100; i++) old_model[Key(i)] = Value(i, 1);
  State model;
  for (int i = 0; i < 100; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 2)));
    model[Key(i)] = Value(i, 2);
  }
  for (int i = 0; i < 50; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(FilesAtLevel(0), 0u);
  // Kept: version 1 of every key (the snapshot reads it), the deletions (they hide it from
  // the latest state) and version 2 of the keys not deleted. Dropped: version 2 of the
  // deleted keys, which no reader can see.
  // (Version 2 of the deleted keys is visible to no reader either; the garbage rule keeps it,
  // as LevelDB's does, because a newer version exists that the snapshot cannot see.)
  const uint64_t kept = EntriesInSegments();
  EXPECT_GE(kept, 100u + 50 + 50);
  EXPECT_LE(kept, 100u + 50 + 100);
  ASSERT_NO_FATAL_FAILURE(CheckDb(old_model, KeyRange(0, 100), snapshot));
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 100)));
  db_->ReleaseSnapshot(snapshot);
}

// CompactRange documents that it drops "overwritten versions and deletions no snapshot
// needs". Once the snapshot above is released, nothing needs version 1 or the deletions.
TEST_F(DBLsmTest, CompactRangeAfterTheSnapshotIsReleasedDropsWhatItKept) {
  options_.l0_compaction_trigger = 8;
  ASSERT_OK(Open());
  for (int i = 0; i < 100; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 1)));
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  const Snapshot* snapshot = db_->GetSnapshot();
  State model;
  for (int i = 0; i < 100; i++) {
    ASSERT_OK(db_->Put(WriteOptions(), Key(i), Value(i, 2)));
    model[Key(i)] = Value(i, 2);
  }
  for (int i = 0; i < 50; i++) {
    ASSERT_OK(db_->Delete(WriteOptions(), Key(i)));
    model.erase(Key(i));
  }
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  ASSERT_GE(EntriesInSegments(), 200u);
  db_->ReleaseSnapshot(snapshot);
  ASSERT_OK(db_->CompactRange(nullptr, nullptr));
  EXPECT_EQ(EntriesInSegments(), 50u)
      << "garbage kept for a released snapshot survived CompactRange(everything); level 1 "
         "holds "
      << FilesAtLevel(1) << " files, level 2 " << FilesAtLevel(2);
  ASSERT_NO_FATAL_FAILURE(CheckDb(model, KeyRange(0, 100)));
}

}  // namespace
}  // namespace cairn::test
