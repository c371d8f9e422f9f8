// Proves the durability contract across crashes (docs/durability.md §1, items 1, 2 and 5):
// whatever instant the machine dies at, reopening finds every acknowledged write, nothing
// that was never written, and every WriteBatch either whole or absent.
//
// How: crash sweeps on MemEnv. For crash point i = 0, 1, 2, ... a fresh database runs a
// workload of four concurrent writer threads (Put, Delete and multi-key batches; mostly
// sync=true, some sync=false) and the file system freezes just before its i-th sync point;
// the sweep ends at the first i the workload outlives. Each crash point is run twice: once
// keeping exactly the synced bytes, once keeping a seeded random mix of torn 512-byte units.
//
// The model: every key has exactly one writer thread, so each thread's keys must, after
// recovery, equal the state after some prefix of that thread's operations. The prefix may
// not be shorter than the thread's last durable operation (one acknowledged with sync=true,
// or acknowledged before some acknowledged sync=true write of any thread was issued, since
// that sync covers every earlier WAL byte) and may not be longer than what the thread issued
// (a write rejected with IsReadOnly() never reached the WAL, so it does not count). A batch
// writes a fixed set of keys with one value "B:<thread>.<index>", so a torn batch shows up
// both as mixed values and as a state no prefix explains. Keys no thread writes are phantoms.
// After the check the recovered database must accept writes and survive a clean reopen
// unchanged.
//
// A small MemTable makes WAL switches (and flushes) part of the sweep: 16 KiB switches every
// few commit groups; 100 KiB gives many groups per WAL, so torn unsynced tails inside a long
// WAL are swept too. Further sweeps crash at every sync
// point of creating a database and of recovering one (twice in a row), and check that the
// state a successful open shows survives an immediate crash, also when that open replayed
// unsynced writes a process crash (kill -9) left in the OS cache.
//
// The LSM sweeps do the same over flushes, compactions and manifest rollovers: small
// MemTables, 1 KiB blocks, l0_compaction_trigger 2, a 32 KiB level 1 and 8 KiB outputs, with
// about 8% of every thread's operations DB::Flush or DB::CompactRange (an acknowledged one
// counts as a sync: Flush returns OK only once every write acknowledged before it is in a
// durable segment), and a clean close and reopen (a manifest rollover) halfway. Another
// sweep crashes at every sync point of recovering such a database, flushing what it
// replayed and compacting; without a crash, the next open must replay nothing.
//
// Two tests guard a fixed bug: an unsynced write whose value holds the bytes of WAL records (a
// copy of a Cairn WAL, say) was torn by a crash, and the next open refused with Corruption
// although only that unacknowledged write was damaged, because recovery's search for intact
// records after the damage accepted the copies. Record checksums are now bound to their
// database, file and offset (docs/format-wal.md). PartlyPersistedWriteOfAValueHoldingWalBytes-
// IsATornTail is the deterministic reproduction; TornWriteOfAValueHoldingWalBytesIsATornTail-
// NotCorruption the same under the MemEnv torn-write model.
//
// Replay: the seed (CAIRN_TEST_SEED) fixes every thread's operations and the torn-write
// pattern; the interleaving of the threads is up to the scheduler. Failures print the seed,
// the crash point and whether writes were torn. CAIRN_TEST_SCALE (default 1, 0.25 in
// sanitizer builds) scales the workload sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db.h"
#include "db/crash_workload_testutil.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

using namespace crash_test;  // NOLINT: the shared crash-workload model

struct SweepConfig {
  size_t memtable_size_bytes = 16 << 10;
  int ops_per_thread = 40;
};

// What a sweep exercised, so a sweep that silently stopped testing anything shows.
struct SweepStats {
  int crashes = 0;
  int torn_tails_cut = 0;     // recovery reported cutting a torn WAL tail
  int unsynced_survived = 0;  // a thread recovered more than its durable prefix
};

// One crash point of the concurrent sweep. *outlived: the workload and the close finished
// before the crash point was reached, so the sweep is complete.
void CheckConcurrentCrashPoint(const SweepConfig& config, uint64_t seed, uint64_t point, bool torn,
                               bool* outlived, SweepStats* stats) {
  *outlived = false;
  MemEnv env;
  const Options options = SweepOptions(&env, config.memtable_size_bytes);
  const std::vector<std::vector<Op>> plans = MakePlans(kThreads, config.ops_per_thread, seed);
  std::vector<std::vector<Outcome>> outcomes;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  env.ScheduleCrashAtSyncPoint(env.sync_point_count() + point);
  RunWorkload(db.get(), plans, &outcomes);
  db.reset();
  if (!env.crashed()) {
    *outlived = true;
    for (size_t t = 0; t < outcomes.size(); t++) {
      for (size_t i = 0; i < outcomes[t].size(); i++) {
        ASSERT_TRUE(outcomes[t][i].status.ok())
            << "thread " << t << " write " << i << ": " << outcomes[t][i].status.ToString();
      }
    }
    env.ScheduleCrashAtSyncPoint(UINT64_MAX);  // MemEnv has no way to cancel a schedule
    ASSERT_OK(DB::Open(options, kDir, &db));
    State expected = FinalState(plans);
    ASSERT_EQ(Describe(ReadAll(db.get())), Describe(expected));
    EXPECT_TRUE(ReadAll(db.get()) == expected);
    return;
  }
  env.Restart(CrashOptions{torn, seed ^ (point * 0x9e3779b97f4a7c15ull)});
  ASSERT_OK(DB::Open(options, kDir, &db));
  State recovered = ReadAll(db.get());
  int beyond_durable = 0;
  std::string violation = CheckRecovered(recovered, plans, outcomes, &beyond_durable);
  ASSERT_TRUE(violation.empty()) << violation;
  std::string recovery;
  ASSERT_TRUE(db->GetProperty("cairn.recovery", &recovery));
  stats->crashes++;
  stats->torn_tails_cut += recovery.find("torn tail") != std::string::npos;
  stats->unsynced_survived += beyond_durable > 0;
  CheckAcceptsWritesAndReopensUnchanged(options, &db, recovered);
}

void RunConcurrentCrashSweep(const SweepConfig& config) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (replay with CAIRN_TEST_SEED=" + std::to_string(seed) + ")");
  SweepStats stats;
  uint64_t point = 0;
  for (; point < kMaxCrashPoints; point++) {
    bool outlived = false;
    for (bool torn : {false, true}) {
      SCOPED_TRACE("crash point " + std::to_string(point) +
                   (torn ? " with torn writes" : " keeping synced bytes only"));
      bool run_outlived = false;
      CheckConcurrentCrashPoint(config, seed, point, torn, &run_outlived, &stats);
      if (::testing::Test::HasFailure()) {
        return;
      }
      outlived = outlived || run_outlived;
    }
    if (outlived) {
      break;
    }
  }
  EXPECT_LT(point, kMaxCrashPoints) << "the workload never outlived its crash point";
  // Every commit group of sync writes is a sync point, so a real sweep has many.
  EXPECT_GT(point, static_cast<uint64_t>(config.ops_per_thread) / 2);
  // The sweep must reach the cases it exists for.
  EXPECT_GT(stats.torn_tails_cut, 0);
  EXPECT_GT(stats.unsynced_survived, 0);
  std::printf(
      "[ sweep    ] %llu crash points, each with and without torn writes: %d crashes, "
      "%d torn tails cut, %d with unsynced writes surviving\n",
      static_cast<unsigned long long>(point), stats.crashes, stats.torn_tails_cut,
      stats.unsynced_survived);
}

TEST(DBCrashTest, ConcurrentWritesSurviveACrashAtEverySyncPointWithAWalPerCommitGroup) {
  SweepConfig config;
  config.memtable_size_bytes = 16 << 10;  // below one arena block: every group switches WAL
  config.ops_per_thread = Scaled(80);
  RunConcurrentCrashSweep(config);
}

TEST(DBCrashTest, ConcurrentWritesSurviveACrashAtEverySyncPointInsideLongWals) {
  SweepConfig config;
  config.memtable_size_bytes = 100 << 10;  // a WAL switch every ~64 KiB of entries
  config.ops_per_thread = Scaled(120);
  RunConcurrentCrashSweep(config);
}

TEST(DBCrashTest, CrashAtEverySyncPointOfCreationLeavesAnOpenableDatabase) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  uint64_t point = 0;
  bool outlived = false;
  for (; !outlived && point < kMaxCrashPoints; point++) {
    for (bool torn : {false, true}) {
      SCOPED_TRACE("crash point " + std::to_string(point) + (torn ? " with torn writes" : ""));
      MemEnv env;
      const Options options = SweepOptions(&env, 16 << 10);
      env.ScheduleCrashAtSyncPoint(point);
      std::unique_ptr<DB> db;
      Status opened = DB::Open(options, kDir, &db);
      Status put = Status::IOError("not issued");
      if (opened.ok()) {
        put = db->Put(WriteOptions(), "k", "v");
      }
      db.reset();
      if (!env.crashed()) {
        outlived = true;
        ASSERT_OK(opened);
        ASSERT_OK(put);
        env.ScheduleCrashAtSyncPoint(UINT64_MAX);  // MemEnv has no way to cancel a schedule
        ASSERT_OK(DB::Open(options, kDir, &db));
        EXPECT_EQ(Describe(ReadAll(db.get())), "{k=v}");
        continue;
      }
      EXPECT_TRUE(opened.ok() || opened.IsIOError()) << opened.ToString();
      env.Restart(CrashOptions{torn, seed + point});
      Status reopened = DB::Open(options, kDir, &db);
      ASSERT_TRUE(reopened.ok()) << reopened.ToString() << " (first open: " << opened.ToString()
                                 << ", put: " << put.ToString() << ")";
      State state = ReadAll(db.get());
      if (put.ok()) {
        EXPECT_EQ(Describe(state), "{k=v}") << "an acknowledged write was lost";
      } else if (!opened.ok() || put.IsReadOnly()) {
        EXPECT_EQ(Describe(state), "{}") << "a write that never reached the WAL appeared";
      } else {
        EXPECT_TRUE(state.empty() || Describe(state) == "{k=v}") << Describe(state);
      }
      CheckAcceptsWritesAndReopensUnchanged(options, &db, state);
      if (HasFailure()) {
        return;
      }
    }
  }
  EXPECT_TRUE(outlived);
  EXPECT_GE(point, 5u);  // dir, parent, IDENTITY, WAL header, WAL dir entry, first write
  std::printf("[ sweep    ] %llu crash points\n", static_cast<unsigned long long>(point));
}

// The database a crashed run leaves behind: several WALs, the newest ending in unsynced
// writes that a torn crash mangled. The plan's writes all succeeded (thread 0).
void BuildCrashedDatabase(MemEnv* env, const Options& options, uint64_t seed, std::vector<Op>* plan,
                          std::vector<Outcome>* outcomes) {
  std::mt19937_64 rng(seed);
  *plan = MakePlan(0, Scaled(300), &rng);
  const size_t unsynced_tail = std::min<size_t>(25, plan->size() / 2);
  for (size_t i = plan->size() - unsynced_tail; i < plan->size(); i++) {
    (*plan)[i].sync = false;
  }
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  RunPlanInline(db.get(), 0, *plan, outcomes);
  env->CrashNow();
  db.reset();
  env->Restart(CrashOptions{true, seed});
}

TEST(DBCrashTest, CrashAtEverySyncPointOfRecoveryTwiceInARowKeepsAcknowledgedWrites) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  uint64_t point = 0;
  bool outlived = false;
  for (; !outlived && point < kMaxCrashPoints; point++) {
    for (bool torn : {false, true}) {
      SCOPED_TRACE("crash point " + std::to_string(point) + " of open" +
                   (torn ? " with torn writes" : ""));
      MemEnv env;
      // 80 KiB: a WAL switch every ~64 KiB of entries, so the chain has several logs.
      const Options options = SweepOptions(&env, 80 << 10);
      std::vector<Op> plan;
      std::vector<Outcome> outcomes;
      ASSERT_NO_FATAL_FAILURE(BuildCrashedDatabase(&env, options, seed, &plan, &outcomes));
      bool crashed = false;
      std::unique_ptr<DB> db;
      for (int attempt = 0; attempt < 2; attempt++) {
        env.ScheduleCrashAtSyncPoint(env.sync_point_count() + point);
        Status opened = DB::Open(options, kDir, &db);
        db.reset();
        if (!env.crashed()) {
          ASSERT_OK(opened);
          break;
        }
        crashed = true;
        EXPECT_TRUE(opened.ok() || opened.IsIOError()) << opened.ToString();
        env.Restart(CrashOptions{torn, seed + 2 * point + attempt});
      }
      outlived = outlived || !crashed;
      env.ScheduleCrashAtSyncPoint(UINT64_MAX);  // MemEnv has no way to cancel a schedule
      ASSERT_OK(DB::Open(options, kDir, &db));
      const State recovered = ReadAll(db.get());
      std::string violation = CheckRecovered(recovered, {plan}, {outcomes});
      ASSERT_TRUE(violation.empty()) << violation;
      // What a successful open shows must already be durable.
      env.CrashNow();
      db.reset();
      env.Restart(CrashOptions{torn, ~seed + point});
      ASSERT_OK(DB::Open(options, kDir, &db));
      ASSERT_EQ(Describe(ReadAll(db.get())), Describe(recovered))
          << "a crash right after a successful open changed what it showed";
      CheckAcceptsWritesAndReopensUnchanged(options, &db, recovered);
      if (HasFailure()) {
        return;
      }
    }
  }
  EXPECT_TRUE(outlived);
  EXPECT_GE(point, 4u);  // dir, parent, torn-tail cut, WAL header, WAL dir entry
  std::printf("[ sweep    ] %llu crash points\n", static_cast<unsigned long long>(point));
}

// --- Crash sweeps over flushes, compactions and manifest rollovers -------------------------

TEST(DBCrashTest, ConcurrentWritesSurviveACrashAtEverySyncPointOfFlushCompactionAndRollover) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (replay with CAIRN_TEST_SEED=" + std::to_string(seed) + ")");
  const int ops_per_thread = Scaled(64);
  LsmSweepStats stats;
  uint64_t point = 0;
  for (; point < kMaxCrashPoints; point++) {
    bool outlived = false;
    for (bool torn : {false, true}) {
      SCOPED_TRACE("crash point " + std::to_string(point) +
                   (torn ? " with torn writes" : " keeping synced bytes only"));
      bool run_outlived = false;
      CheckLsmCrashPoint(ops_per_thread, seed, point, torn, &run_outlived, &stats);
      if (HasFailure()) {
        return;
      }
      outlived = outlived || run_outlived;
    }
    if (outlived) {
      break;
    }
  }
  EXPECT_LT(point, kMaxCrashPoints) << "the workload never outlived its crash point";
  // The sweep must reach the states it exists for: data in segments, and the reopen.
  EXPECT_GT(stats.with_segments, stats.crashes / 2);
  EXPECT_GT(stats.in_reopen, 0);
  EXPECT_GT(stats.torn_tails_cut, 0);
  std::printf(
      "[ sweep    ] %llu crash points, each with and without torn writes: %d crash "
      "states checked, %d reading segments, %d in the mid-workload reopen, %d torn "
      "tails cut\n",
      static_cast<unsigned long long>(point), stats.crashes, stats.with_segments, stats.in_reopen,
      stats.torn_tails_cut);
}

// A crashed database in the LSM shape: segments in several levels from flushes and
// compactions (the plan's Flush and CompactRange calls and the automatic ones), several WALs
// of unflushed writes, the newest ending in unsynced writes a torn crash mangled. The plan's
// operations all succeeded (thread 0).
void BuildCrashedLsmDatabase(MemEnv* env, const Options& options, uint64_t seed,
                             std::vector<Op>* plan, std::vector<Outcome>* outcomes) {
  std::mt19937_64 rng(seed);
  *plan = MakePlan(0, Scaled(300), &rng, kLsmPercent);
  const size_t unsynced_tail = std::min<size_t>(25, plan->size() / 2);
  for (size_t i = plan->size() - unsynced_tail; i < plan->size(); i++) {
    Op& op = (*plan)[i];
    if (op.kind == OpKind::kFlush || op.kind == OpKind::kCompactRange ||
        op.kind == OpKind::kSyncWal) {
      op.kind = OpKind::kDelete;  // keep the tail unsynced
    }
    op.sync = false;
  }
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  RunPlanInline(db.get(), 0, *plan, outcomes);
  env->CrashNow();
  db.reset();
  env->Restart(CrashOptions{true, seed});
}

// Recovery replays the WALs into a MemTable that the open then flushes, and rolls the
// manifest over; a crash at any sync point of that (the open, the flush it starts, and a
// compaction right after) must keep every acknowledged write, and whatever a successful open
// showed must survive the next crash.
TEST(DBCrashTest, CrashAtEverySyncPointOfRecoveryAndItsFlushKeepsAcknowledgedWrites) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  uint64_t point = 0;
  bool outlived = false;
  int crashes = 0;
  for (; !outlived && point < kMaxCrashPoints; point++) {
    for (bool torn : {false, true}) {
      SCOPED_TRACE("crash point " + std::to_string(point) + " of open, flush and compaction" +
                   (torn ? " with torn writes" : ""));
      MemEnv env;
      const Options options = LsmSweepOptions(&env);
      std::vector<Op> plan;
      std::vector<Outcome> outcomes;
      ASSERT_NO_FATAL_FAILURE(BuildCrashedLsmDatabase(&env, options, seed, &plan, &outcomes));
      std::unique_ptr<DB> db;
      env.ScheduleCrashAtSyncPoint(env.sync_point_count() + point);
      Status opened = DB::Open(options, kDir, &db);
      Status flushed = Status::IOError("not issued");
      Status compacted = Status::IOError("not issued");
      if (opened.ok()) {
        flushed = db->Flush();
        if (flushed.ok()) {
          compacted = db->CompactRange(nullptr, nullptr);
        }
      }
      db.reset();
      const bool crashed = env.crashed();
      if (!crashed) {
        outlived = true;
        ASSERT_OK(opened);
        ASSERT_OK(flushed);
        ASSERT_OK(compacted);
      } else {
        crashes++;
        EXPECT_TRUE(opened.ok() || opened.IsIOError()) << opened.ToString();
        env.Restart(CrashOptions{torn, seed + 2 * point});
      }
      env.ScheduleCrashAtSyncPoint(UINT64_MAX);  // MemEnv has no way to cancel a schedule
      ASSERT_OK(DB::Open(options, kDir, &db));
      if (!crashed) {
        // The recovered writes were flushed: nothing is left to replay.
        std::string recovery;
        ASSERT_TRUE(db->GetProperty("cairn.recovery", &recovery));
        EXPECT_NE(recovery.find("replayed 0 records"), std::string::npos) << recovery;
      }
      const State recovered = ReadAll(db.get());
      std::string violation = CheckRecovered(recovered, {plan}, {outcomes});
      ASSERT_TRUE(violation.empty()) << violation;
      env.CrashNow();
      db.reset();
      env.Restart(CrashOptions{torn, ~seed + point});
      ASSERT_OK(DB::Open(options, kDir, &db));
      ASSERT_EQ(Describe(ReadAll(db.get())), Describe(recovered))
          << "a crash right after a successful open changed what it showed";
      CheckAcceptsWritesAndReopensUnchanged(options, &db, recovered);
      if (HasFailure()) {
        return;
      }
    }
  }
  EXPECT_TRUE(outlived);
  EXPECT_GE(point, 8u);  // rollover, new WAL, the flush's segment, dir and manifest, ...
  std::printf(
      "[ sweep    ] %llu crash points of open + flush + compaction, each with and "
      "without torn writes: %d crash states checked\n",
      static_cast<unsigned long long>(point), crashes);
}

// A process crash (kill -9) keeps unsynced WAL bytes in the OS cache, so the next open
// replays and shows writes that were never synced. Those must be durable before the open
// returns: otherwise a power loss afterwards would take back what readers already saw, and
// a synced write in the next WAL would sit behind a gap. The kill -9 is modelled by failing
// the destructor's final sync (FaultEnv), which leaves the bytes written but not durable.
TEST(DBCrashTest, WritesShownAfterAProcessCrashSurviveALaterPowerLoss) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int round = 0; round < Scaled(30); round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    MemEnv mem;
    FaultEnv faults(&mem);
    const Options options = SweepOptions(&faults, rng() % 2 == 0 ? 16 << 10 : 100 << 10);
    std::vector<Op> plan = MakePlan(0, 20 + static_cast<int>(rng() % 200), &rng);
    std::vector<Outcome> outcomes;
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    ASSERT_NO_FATAL_FAILURE(RunPlanInline(db.get(), 0, plan, &outcomes));
    faults.FailKinds(kFaultSync);  // kill -9: the final sync never happens
    db.reset();
    faults.ClearFaults();
    ASSERT_OK(DB::Open(options, kDir, &db));
    State shown = ReadAll(db.get());
    ASSERT_EQ(Describe(shown), Describe(FinalState({plan})))
        << "a process crash lost a write that had reached the OS";
    if (rng() % 2 == 0) {
      ASSERT_OK(db->Put(WriteOptions(), "z/synced-after", "1"));
      shown["z/synced-after"] = "1";
    }
    mem.CrashNow();  // power loss
    db.reset();
    mem.Restart(CrashOptions{/*torn_writes=*/true, rng()});
    Status reopened = DB::Open(options, kDir, &db);
    ASSERT_TRUE(reopened.ok()) << reopened.ToString();
    ASSERT_EQ(Describe(ReadAll(db.get())), Describe(shown))
        << "a power loss took back writes that an open had shown";
  }
}

// The newest WAL file of a database directory.
std::string NewestWal(MemEnv* env, const std::string& dir) {
  return dir + "/" + test::NewestWalName(env->GetChildren(dir).value());
}

// Another database's WAL, as bytes: its last record claims a synced offset past 6000 bytes
// (the offset up to which *that* file had been synced).
std::string BytesOfAnotherWal(MemEnv* env) {
  Options options;
  options.env = env;
  options.wal_preallocate_bytes = 0;  // the log's bytes only, no zeros after them
  WriteOptions no_sync;
  no_sync.sync = false;
  std::unique_ptr<DB> source;
  EXPECT_OK(DB::Open(options, "/source", &source));
  EXPECT_OK(source->Put(WriteOptions(), "big", std::string(6000, 's')));
  EXPECT_OK(source->Put(no_sync, "last", "stamped with the synced offset"));
  return env->ReadFileContents(NewestWal(env, "/source")).value();
}

// A value may hold any bytes, including a copy of a Cairn WAL (a backup tool storing log
// files, or any client of `cairn serve`). A crash that persists only a prefix of the
// unsynced record holding such a value leaves, inside that cut record, intact copies of
// records that claim synced offsets of *their own* file. Recovery must still judge the cut a
// torn tail of unacknowledged bytes, open, and keep every acknowledged write.
//
// Minimal and deterministic: the torn image is built by hand (the file cut inside the unsynced
// record, just after the embedded WAL copy), which is one of the states a crash can leave.
TEST(DBCrashTest, PartlyPersistedWriteOfAValueHoldingWalBytesIsATornTail) {
  MemEnv env;
  Options options;
  options.env = &env;
  // A growing log, so its size is the synced offset and the image below is cut by hand.
  options.wal_preallocate_bytes = 0;
  const std::string wal_bytes = BytesOfAnotherWal(&env);
  const std::string value = wal_bytes + std::string(1000, 'p');
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  ASSERT_OK(db->Put(WriteOptions(), "acked", "1"));  // durable: the WAL is synced to here
  const std::string wal = NewestWal(&env, kDir);
  const uint64_t synced_bytes = env.GetFileSize(wal).value();
  WriteOptions no_sync;
  no_sync.sync = false;
  ASSERT_OK(db->Put(no_sync, "backup", value));  // not durable
  const std::string written = env.ReadFileContents(wal).value();
  const size_t copy_at = written.find(wal_bytes, synced_bytes);
  ASSERT_NE(copy_at, std::string::npos);
  // The crash: the synced bytes survive, and of the unsynced record only a prefix that ends
  // inside the padding after the embedded copy.
  const std::string torn_image = written.substr(0, copy_at + wal_bytes.size() + 10);
  env.CrashNow();
  db.reset();
  env.Restart();
  ASSERT_OK(env.SetFileContentsDurably(wal, torn_image));

  Status opened = DB::Open(options, kDir, &db);
  ASSERT_TRUE(opened.ok()) << "the torn tail starts at offset " << synced_bytes
                           << ", after the last synced byte, yet: " << opened.ToString();
  State state = ReadAll(db.get());
  EXPECT_EQ(Describe(state), "{acked=1}");
}

// The same hazard under MemEnv's own torn-write model, over many torn patterns.
TEST(DBCrashTest, TornWriteOfAValueHoldingWalBytesIsATornTailNotCorruption) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  int refused = 0;
  int value_survived = 0;
  const int attempts = Scaled(300);
  Status first_refusal;
  for (int attempt = 0; attempt < attempts; attempt++) {
    MemEnv env;
    Options options;
    options.env = &env;
    const std::string value = BytesOfAnotherWal(&env) + std::string(1000, 'p');
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    ASSERT_OK(db->Put(WriteOptions(), "acked", "1"));
    WriteOptions no_sync;
    no_sync.sync = false;
    ASSERT_OK(db->Put(no_sync, "backup", value));
    env.CrashNow();
    db.reset();
    const uint64_t torn_seed = seed + static_cast<uint64_t>(attempt);
    env.Restart(CrashOptions{/*torn_writes=*/true, torn_seed});
    Status opened = DB::Open(options, kDir, &db);
    if (!opened.ok()) {
      if (refused++ == 0) {
        first_refusal = opened;
        std::printf("[ refused  ] torn seed %llu: %s\n", static_cast<unsigned long long>(torn_seed),
                    opened.ToString().c_str());
      }
      continue;
    }
    State state = ReadAll(db.get());
    EXPECT_EQ(state["acked"], "1");
    auto backup = state.find("backup");
    if (backup != state.end()) {
      EXPECT_TRUE(backup->second == value) << "a torn value was recovered";
      value_survived++;
    }
  }
  std::printf("[ torn     ] %d crashes: %d refused to open, %d kept the whole value\n", attempts,
              refused, value_survived);
  EXPECT_EQ(refused, 0) << "a torn tail of unacknowledged bytes was judged lost acknowledged "
                           "data; first refusal: "
                        << first_refusal.ToString();
}

}  // namespace
}  // namespace cairn
