// Proves WAL recycling, the WAL prepared ahead of the switch and the background WAL sync
// (docs/durability.md §2 and §7) through the public API on MemEnv:
//   - obsolete WALs are pooled (at most Options::wal_recycle_files) and reused as new WALs,
//     many times, and every write survives reopens; with recycling off they are deleted;
//   - a crash at every sync point of a workload that recycles WAL files again and again
//     (tiny MemTables, frequent flushes), with and without torn writes, recovers exactly the
//     state after the acknowledged writes (plus, possibly, the one in flight): the previous
//     lives of recycled files are never replayed and never judged as lost data;
//   - failing each file-system operation of that workload in turn (EIO) loses no
//     acknowledged write: the failure reaches a caller or makes the DB read-only, and a
//     reopen recovers;
//   - with sync=false writes only, the WAL thread syncs the active WAL in the background;
//   - a pooled file deliberately filled with intact records of its own (old) number, with
//     sequence numbers far above the database's, is recycled and a crash follows: none of
//     them is ever replayed (they would resurrect deleted keys);
//   - an open whose replayed MemTable exceeds the MemTable memory limit does not start with
//     writers stopped (the replayed MemTable is not counted by the write-pressure rules);
//   - with no obsolete WAL to recycle, a new WAL is made from a zero-filled file (at open,
//     and after a WAL that received a synced commit): durable writes inside it change no
//     file size and survive a power loss; a crash while filling it leaves a temporary that
//     the next open removes. (The crash and fault sweeps above
//     create such files too: their MemTables are small, so are the zero-filled files.)
// Every randomized sweep prints its seed; CAIRN_TEST_SEED replays it.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>

#include "cairn/db.h"
#include "cairn/write_batch.h"
#include "db/identity.h"
#include "record/record_writer.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"
#include "wal/wal_format.h"

namespace cairn {
namespace {

constexpr char kDir[] = "/db";
using State = std::map<std::string, std::string>;

// A sequential workload over a few keys: puts, overwrites, deletes and the odd DB::Flush,
// with values large enough that 4 KiB MemTables switch every few writes.
struct Op {
  enum Kind { kPut, kDelete, kFlush } kind = kPut;
  std::string key;
  std::string value;
};

std::vector<Op> MakeOps(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  std::vector<Op> ops;
  for (int i = 0; i < count; i++) {
    Op op;
    uint64_t r = rng() % 20;
    op.kind = r == 0 ? Op::kFlush : (r < 5 ? Op::kDelete : Op::kPut);
    op.key = "k" + std::to_string(rng() % 12);
    op.value = "v" + std::to_string(i) + "." + std::string(200 + rng() % 600, 'a' + i % 26);
    ops.push_back(std::move(op));
  }
  return ops;
}

void Apply(const Op& op, State* state) {
  if (op.kind == Op::kPut) (*state)[op.key] = op.value;
  if (op.kind == Op::kDelete) state->erase(op.key);
}

State StateAfter(const std::vector<Op>& ops, size_t prefix) {
  State state;
  for (size_t i = 0; i < prefix; i++) Apply(ops[i], &state);
  return state;
}

Status RunOp(DB* db, const Op& op) {
  switch (op.kind) {
    case Op::kPut:
      return db->Put(WriteOptions(), op.key, op.value);
    case Op::kDelete:
      return db->Delete(WriteOptions(), op.key);
    case Op::kFlush:
      return db->Flush();
  }
  return Status::OK();
}

// Runs ops until one fails; returns how many succeeded.
size_t RunUntilFailure(DB* db, const std::vector<Op>& ops) {
  for (size_t i = 0; i < ops.size(); i++) {
    if (!RunOp(db, ops[i]).ok()) return i;
  }
  return ops.size();
}

State ReadAll(DB* db) {
  State state;
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    state[std::string(it->key())] = std::string(it->value());
  }
  EXPECT_OK(it->status());
  return state;
}

Options SmallOptions(Env* env) {
  Options options;
  options.env = env;
  options.memtable_size_bytes = 4 << 10;
  options.compression = Compression::kNone;
  return options;
}

int CountInLog(MemEnv* env, const std::string& needle) {
  auto log = env->ReadFileContents(std::string(kDir) + "/" + std::string(kInfoLogFileName));
  if (!log.ok()) return 0;
  int count = 0;
  for (size_t at = log.value().find(needle); at != std::string::npos;
       at = log.value().find(needle, at + 1)) {
    count++;
  }
  return count;
}

size_t WalFiles(Env* env) {
  size_t count = 0;
  for (const std::string& name : env->GetChildren(kDir).value()) {
    FileType type;
    uint64_t number;
    if (ParseFileName(name, &type, &number) && type == FileType::kWal) count++;
  }
  return count;
}

TEST(DBWalRecycleTest, ObsoleteWalsAreReusedManyTimesAndEveryWriteSurvivesReopen) {
  MemEnv env;
  Options options = SmallOptions(&env);
  std::vector<Op> ops = MakeOps(1, 400);
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  for (size_t i = 0; i < ops.size(); i++) {
    SCOPED_TRACE("op " + std::to_string(i));
    ASSERT_OK(RunOp(db.get(), ops[i]));
    // Active, prepared, one being flushed, one just retired, and the pool.
    ASSERT_LE(WalFiles(&env), 4 + options.wal_recycle_files) << "op " << i;
  }
  const State expected = StateAfter(ops, ops.size());
  EXPECT_EQ(ReadAll(db.get()), expected);
  db.reset();
  const int recycled = CountInLog(&env, "recycled ");
  EXPECT_GE(recycled, 10) << "tiny MemTables should recycle WAL files again and again";
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(ReadAll(db.get()), expected);
  // A crash (exact or torn) right after a clean close loses nothing either.
  db.reset();
  env.Crash(CrashOptions{/*torn_writes=*/true, 99});
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(ReadAll(db.get()), expected);
}

TEST(DBWalRecycleTest, WithRecyclingOffObsoleteWalsAreDeleted) {
  MemEnv env;
  Options options = SmallOptions(&env);
  options.wal_recycle_files = 0;
  std::vector<Op> ops = MakeOps(2, 200);
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  for (const Op& op : ops) ASSERT_OK(RunOp(db.get(), op));
  ASSERT_OK(db->Flush());
  db.reset();
  EXPECT_EQ(CountInLog(&env, "recycled "), 0);
  EXPECT_GT(CountInLog(&env, "deleted obsolete "), 5);
  EXPECT_LE(WalFiles(&env), 2u) << "the active WAL and perhaps its prepared successor";
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(ReadAll(db.get()), StateAfter(ops, ops.size()));
}

// One crash point: run the workload with the file system frozen just before its
// `point`-th sync point, restart (torn or not), reopen, and compare with the model. Sets
// *outlived when the workload never reached the point.
void CheckCrashPoint(uint64_t seed, uint64_t point, bool torn, bool* outlived) {
  MemEnv env;
  const Options options = SmallOptions(&env);
  const std::vector<Op> ops = MakeOps(seed, 120);
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  env.ScheduleCrashAtSyncPoint(env.sync_point_count() + point);
  const size_t acked = RunUntilFailure(db.get(), ops);
  db.reset();
  *outlived = !env.crashed();
  if (*outlived) {
    ASSERT_EQ(acked, ops.size());
    env.ScheduleCrashAtSyncPoint(UINT64_MAX);
  } else {
    env.Restart(CrashOptions{torn, seed ^ (point * 0x9e3779b97f4a7c15ull)});
  }
  Status s = DB::Open(options, kDir, &db);
  ASSERT_TRUE(s.ok()) << s.ToString();
  // Every op is synced (Put and Delete sync by default; Flush returns only once durable),
  // so the state is the model after the acknowledged ops, or after the one in flight too.
  const State recovered = ReadAll(db.get());
  const State after_acked = StateAfter(ops, acked);
  const State after_in_flight = StateAfter(ops, std::min(acked + 1, ops.size()));
  ASSERT_TRUE(recovered == after_acked || recovered == after_in_flight)
      << acked << " ops acknowledged; recovered " << recovered.size() << " keys";
  // The recovered database takes writes and reopens unchanged.
  ASSERT_OK(db->Put(WriteOptions(), "z", "after"));
  State expected = recovered;
  expected["z"] = "after";
  db.reset();
  ASSERT_OK(DB::Open(options, kDir, &db));
  ASSERT_TRUE(ReadAll(db.get()) == expected);
}

TEST(DBWalRecycleTest, CrashAtEverySyncPointOfARecyclingWorkloadKeepsAcknowledgedWrites) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with CAIRN_TEST_SEED)");
  uint64_t point = 0;
  for (; point < 20000; point++) {
    bool outlived = false;
    for (bool torn : {false, true}) {
      SCOPED_TRACE("crash point " + std::to_string(point) + (torn ? " torn" : " exact"));
      bool run_outlived = false;
      CheckCrashPoint(seed, point, torn, &run_outlived);
      if (::testing::Test::HasFailure()) return;
      outlived = outlived || run_outlived;
    }
    if (outlived) break;
  }
  std::printf("[ sweep    ] %llu crash points over a recycling workload, exact and torn\n",
              static_cast<unsigned long long>(point));
  EXPECT_GT(point, 100u) << "the workload should pass many sync points";
}

TEST(DBWalRecycleTest, FailingEachOperationOfARecyclingWorkloadLosesNoAcknowledgedWrite) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with CAIRN_TEST_SEED)");
  const std::vector<Op> ops = MakeOps(seed, 60);
  uint64_t index = 0;
  int failures_seen = 0;
  for (; index < 20000; index++) {
    SCOPED_TRACE("failing operation " + std::to_string(index));
    MemEnv mem;
    FaultEnv faults(&mem);
    const Options options = SmallOptions(&faults);
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    faults.FailOperation(faults.operation_count() + index);
    const size_t acked = RunUntilFailure(db.get(), ops);
    db.reset();
    const bool injected = faults.injected_count() > 0;
    faults.ClearFaults();
    if (!injected) {
      ASSERT_EQ(acked, ops.size());
      break;
    }
    failures_seen += acked < ops.size();
    Status s = DB::Open(options, kDir, &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const State recovered = ReadAll(db.get());
    ASSERT_TRUE(recovered == StateAfter(ops, acked) ||
                recovered == StateAfter(ops, std::min(acked + 1, ops.size())))
        << acked << " ops acknowledged";
  }
  std::printf("[ faults   ] %llu operations failed in turn, %d reached a writer\n",
              static_cast<unsigned long long>(index), failures_seen);
  EXPECT_GT(failures_seen, 0);
}

TEST(DBWalRecycleTest, UnsyncedWritesAreSyncedInTheBackground) {
  MemEnv env;
  Options options;
  options.env = &env;
  options.wal_background_sync_bytes = 64 << 10;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  WriteOptions no_sync;
  no_sync.sync = false;
  const uint64_t syncs_before = env.sync_point_count();
  for (int i = 0; i < 1000; i++) {
    ASSERT_OK(db->Put(no_sync, "key" + std::to_string(i), std::string(1000, 'x')));
  }
  // About 1 MB written, never synced by a writer. The WAL thread syncs whenever 64 KiB or
  // more are unsynced after a commit, covering everything written when its sync starts; so
  // once it is idle, less than 64 KiB (64 puts) can be unsynced.
  for (int wait = 0; wait < 300 && env.sync_point_count() == syncs_before; wait++) {
    env.SleepMicros(10000);
  }
  EXPECT_GT(env.sync_point_count(), syncs_before) << "no background sync";
  env.SleepMicros(200000);  // let a last requested sync finish
  env.CrashNow();
  db.reset();
  env.Restart();
  ASSERT_OK(DB::Open(options, kDir, &db));
  // What the background syncs covered survived a power loss with no synced write at all.
  EXPECT_GE(ReadAll(db.get()).size(), 1000u - 65u);
}

// The number of the first WAL the LOG says was kept for reuse, or 0.
uint64_t FirstPooledWal(MemEnv* env) {
  auto log = env->ReadFileContents(std::string(kDir) + "/" + std::string(kInfoLogFileName));
  const std::string needle = "kept obsolete ";
  size_t at = log.ok() ? log.value().find(needle) : std::string::npos;
  return at == std::string::npos ? 0 : std::stoull(log.value().substr(at + needle.size(), 6));
}

// A complete, synced log numbered `number` of database `id` whose records put `ghost<i>`
// at sequence numbers from 1,000,000 on: valid records of that number, as a previous life.
std::string GhostLog(const record::DbId& id, uint64_t number) {
  MemEnv scratch;
  EXPECT_OK(scratch.CreateDir("/s"));
  record::FileHeader header;
  header.magic = wal::kWalMagic;
  header.file_number = number;
  header.db_id = id;
  auto writer = record::RecordWriter::Create(&scratch, "/s", "/s/ghost", header);
  EXPECT_OK(writer.status());
  for (int i = 0; i < 200; i++) {
    WriteBatch batch;
    batch.Put("ghost" + std::to_string(i), std::string(1000, 'G'));
    batch.Delete("k" + std::to_string(i % 12));
    std::string buffer;
    writer.value()->AppendRecord(record::RecordType::kBatch, 1000000 + 2 * i, batch.Count(), 1,
                                 batch.rep(), &buffer);
    EXPECT_OK(writer.value()->Write(buffer));
    EXPECT_OK(writer.value()->Sync());
  }
  return scratch.ReadFileContents("/s/ghost").value();
}

TEST(DBWalRecycleTest, RecordsOfAPreviousLifeWithHigherSequenceNumbersAreNeverReplayed) {
  for (int extra_puts = 0; extra_puts < 6; extra_puts++) {
    SCOPED_TRACE("crash after " + std::to_string(extra_puts) + " puts past the recycling");
    MemEnv env;
    const Options options = SmallOptions(&env);
    std::vector<Op> ops = MakeOps(7, 1000);
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(options, kDir, &db));
    size_t next = 0;
    uint64_t pooled = 0;
    for (; next < ops.size() && pooled == 0; next++) {
      ASSERT_OK(RunOp(db.get(), ops[next]));
      pooled = FirstPooledWal(&env);
    }
    ASSERT_NE(pooled, 0u) << "no WAL was pooled";
    record::DbId id{};
    ASSERT_OK(ReadIdentity(&env, kDir, &id));
    const std::string pooled_path = std::string(kDir) + "/" + WalFileName(pooled);
    ASSERT_OK(env.SetFileContentsDurably(pooled_path, GhostLog(id, pooled)));
    // Write on until the doctored file has been recycled, then a few more puts, then crash.
    const std::string recycled = "recycled " + WalFileName(pooled) + " as ";
    for (; next < ops.size() && CountInLog(&env, recycled) == 0; next++) {
      ASSERT_OK(RunOp(db.get(), ops[next]));
    }
    ASSERT_EQ(CountInLog(&env, recycled), 1) << "the doctored file was never recycled";
    for (int i = 0; i < extra_puts && next < ops.size(); i++, next++) {
      ASSERT_OK(RunOp(db.get(), ops[next]));
    }
    env.CrashNow();
    db.reset();
    env.Restart();
    ASSERT_OK(DB::Open(options, kDir, &db));
    // Every op was synced: the state is exactly the model's, with no ghost and no key the
    // ghost records deleted brought back or lost.
    EXPECT_TRUE(ReadAll(db.get()) == StateAfter(ops, next));
    std::string last;
    ASSERT_TRUE(db->GetProperty("cairn.last-sequence", &last));
    EXPECT_LT(std::stoull(last), 1000000u);
  }
}

TEST(DBWalRecycleTest, ReplayingMoreThanTheMemoryLimitDoesNotStopWriters) {
  MemEnv mem;
  FaultEnv faults(&mem);
  Options big;
  big.env = &faults;
  big.memtable_size_bytes = 8 << 20;
  big.max_memtable_memory_bytes = 32 << 20;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(big, kDir, &db));
  for (int i = 0; i < 3000; i++) {  // about 3 MiB in the WAL, no switch
    ASSERT_OK(db->Put(WriteOptions(), "key" + std::to_string(i), std::string(1000, 'v')));
  }
  db.reset();
  // Reopened with a 2 MiB limit, the replayed MemTable alone is over it, and its flush fails
  // (segment writes fail) so it stays. Writers must still be let through.
  Options small = big;
  small.memtable_size_bytes = 1 << 20;
  small.max_memtable_memory_bytes = 2 << 20;
  faults.FailPath(".seg", kFaultWrite);
  ASSERT_OK(DB::Open(small, kDir, &db));
  ASSERT_OK(db->Put(WriteOptions(), "after-open", "1"));
  std::string stall;
  ASSERT_TRUE(db->GetProperty("cairn.stall-micros", &stall));
  EXPECT_EQ(stall, "0");
  faults.ClearFaults();
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "key2999", &value));
  EXPECT_EQ(value, std::string(1000, 'v'));
}

uint64_t Property(DB* db, const std::string& name) {
  std::string value;
  EXPECT_TRUE(db->GetProperty(name, &value)) << name;
  return value.empty() ? 0 : std::stoull(value);
}

// The WAL files in kDir by number, with their sizes.
std::map<uint64_t, uint64_t> WalSizes(Env* env) {
  std::map<uint64_t, uint64_t> sizes;
  for (const std::string& name : env->GetChildren(kDir).value()) {
    FileType type;
    uint64_t number;
    if (ParseFileName(name, &type, &number) && type == FileType::kWal) {
      sizes[number] = env->GetFileSize(std::string(kDir) + "/" + name).value();
    }
  }
  return sizes;
}

TEST(DBWalRecycleTest, ANewDatabaseWritesIntoAZeroFilledWalWithoutGrowingIt) {
  MemEnv env;
  Options options;
  options.env = &env;
  options.memtable_size_bytes = 1 << 20;
  options.wal_preallocate_bytes = 256 << 10;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 1u);
  std::map<uint64_t, uint64_t> before = WalSizes(&env);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before.begin()->second, 256u << 10) << "the zeros are written up front";
  State model;
  for (int i = 0; i < 200; i++) {  // about 40 KiB of records, all inside the zeros
    const std::string key = "k" + std::to_string(i % 50);
    model[key] = "v" + std::to_string(i) + std::string(150, 'x');
    ASSERT_OK(db->Put(WriteOptions(), key, model[key]));
  }
  EXPECT_EQ(WalSizes(&env), before) << "durable writes inside the zeros change no file size";
  // Power loss: every synced write is there, the zeros read as the end of the log.
  env.CrashNow();
  db.reset();
  env.Restart();
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_TRUE(ReadAll(db.get()) == model);
  // Past the zeros the file simply grows.
  for (int i = 0; i < 2000; i++) {
    ASSERT_OK(db->Put(WriteOptions(), "g" + std::to_string(i), std::string(200, 'g')));
    model["g" + std::to_string(i)] = std::string(200, 'g');
  }
  db.reset();
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_TRUE(ReadAll(db.get()) == model);
}

// Zeros help synced appends and cost unsynced ones (ext4 overwrites are slower than appends),
// so after the WAL made at open, a new WAL is zero-filled only if the one before it received
// a synced commit.
TEST(DBWalRecycleTest, OnlyAWalFollowingDurableCommitsIsZeroFilled) {
  MemEnv env;
  Options options;
  options.env = &env;
  options.memtable_size_bytes = 1 << 20;
  options.wal_preallocate_bytes = 64 << 10;
  options.wal_recycle_files = 0;  // no pooled file: every new WAL is made here
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 1u) << "the WAL made at open";
  WriteOptions no_sync;
  no_sync.sync = false;
  for (int round = 0; round < 2; round++) {
    ASSERT_OK(db->Put(no_sync, "k" + std::to_string(round), "v"));
    ASSERT_OK(db->Flush());  // switches to a new WAL
  }
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 1u)
      << "WALs after unsynced writes only grow";
  ASSERT_OK(db->Put(WriteOptions(), "durable", "v"));
  ASSERT_OK(db->Flush());
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 2u)
      << "the WAL after a synced commit is zero-filled";
  db.reset();
  ASSERT_OK(DB::Open(options, kDir, &db));
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "k1", &value));
  ASSERT_OK(db->Get(ReadOptions(), "durable", &value));
}

// The zeros are only an optimisation: a disk too full for them (ENOSPC while writing them)
// must still open and take writes, with a growing WAL that needs room for its header only.
TEST(DBWalRecycleTest, NoSpaceForTheZerosOfANewWalFallsBackToAGrowingWal) {
  MemEnv mem;
  FaultEnv faults(&mem);
  faults.SetFlavour(FaultFlavour::kENOSPC);
  faults.FailPath(".wal.tmp", kFaultWrite);
  Options options;
  options.env = &faults;
  options.wal_preallocate_bytes = 64 << 10;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 0u);
  ASSERT_OK(db->Put(WriteOptions(), "k", "v"));
  ASSERT_OK(db->Flush());  // the next WAL (after a synced commit) falls back the same way
  ASSERT_OK(db->Put(WriteOptions(), "k2", "v2"));
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 0u);
  EXPECT_GE(CountInLog(&mem, "creating a growing WAL"), 2);
  for (const std::string& name : mem.GetChildren(kDir).value()) {
    EXPECT_EQ(name.find(".wal.tmp"), std::string::npos) << name << " left behind";
  }
  faults.ClearFaults();
  db.reset();
  ASSERT_OK(DB::Open(options, kDir, &db));
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "k2", &value));
  EXPECT_EQ(value, "v2");
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 1u) << "space is back";
}

TEST(DBWalRecycleTest, WithPreallocationOffANewWalGrowsWithItsRecords) {
  MemEnv env;
  Options options;
  options.env = &env;
  options.wal_preallocate_bytes = 0;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(Property(db.get(), "cairn.wal.files-preallocated"), 0u);
  const uint64_t empty = WalSizes(&env).begin()->second;
  ASSERT_OK(db->Put(WriteOptions(), "k", "v"));
  EXPECT_GT(WalSizes(&env).begin()->second, empty);
}

TEST(DBWalRecycleTest, ACrashWhileZeroFillingANewWalLeavesATemporaryTheNextOpenRemoves) {
  MemEnv env;
  Options options = SmallOptions(&env);
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  ASSERT_OK(db->Put(WriteOptions(), "kept", "1"));
  db.reset();
  // As if the process died while writing the zeros of the WAL numbered 999999.
  const std::string leftover = std::string(kDir) + "/" + WalFileName(999999) + ".tmp";
  {
    auto file = env.NewWritableFile(leftover);
    ASSERT_OK(file.status());
    ASSERT_OK(file.value()->Append(std::string(1000, '\0')));
    ASSERT_OK(file.value()->Close());
  }
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_FALSE(env.FileExists(leftover).value());
  EXPECT_EQ(CountInLog(&env, "removed leftover temporary file " + WalFileName(999999) + ".tmp"), 1);
  std::string value;
  ASSERT_OK(db->Get(ReadOptions(), "kept", &value));
  EXPECT_EQ(value, "1");
}

}  // namespace
}  // namespace cairn
