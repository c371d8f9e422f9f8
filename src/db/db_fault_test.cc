// Proves that I/O errors never cost acknowledged data and never produce phantoms
// (docs/durability.md §1, items 1-3): every injected error reaches the caller of the operation
// that hit it (or, where no caller can be told, the LOG); after a failed write nothing more
// is acknowledged and the failed write is invisible through that DB object; and after the
// faults clear, a reopen recovers every acknowledged write and nothing never written.
//
// How: an error sweep on FaultEnv over MemEnv. A deterministic single-threaded workload
// (create, Puts, Deletes and batches, then with a small MemTable so every write switches the
// WAL, then a reopen that recovers the resulting chain of WALs, each phase ending in a close)
// runs once per operation index i = 0, 1, 2, ... with operation i failing,
// until a run no longer reaches i. The FaultEnv reports each injected error (kind, path,
// thread), and the test notes the workload step running then, so each error is attributed:
// one injected on the workload's thread must reach that step's caller. The errors that may
// legitimately stay silent are the info log's (LOG, LOG.old: diagnostic by contract), those of
// steps that cannot return a status (closing an old WAL or manifest file, deleting an
// obsolete file, and the sync and close in the DB destructor), which must then appear in the
// LOG, and those of background flushes, compactions and file collection, which no caller
// waits for (they are logged, retried and shown by cairn.background-error). The sweep runs with EIO
// and with ENOSPC; an ENOSPC must stay recognisable (IsNoSpace(), or "ENOSPC" in the message
// where the status's one subcode says "outcome unknown" or "read-only" instead).
//
// A random-fault soak then fails operations at random (FailRandomly, seeded) through a few
// hundred writes with reopen cycles, resolving each "outcome unknown" write at the next
// successful open (all of a batch or none of it) and checking the rest exactly.
//
// Replay: the sweep is deterministic; the soak replays from its seed (CAIRN_TEST_SEED).
// CAIRN_TEST_SCALE (default 1, 0.25 in sanitizer builds) scales the workload sizes down.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn {
namespace {

using test::Scaled;

constexpr char kDir[] = "/db";
constexpr char kLogPath[] = "/db/LOG";
constexpr char kOldLogPath[] = "/db/LOG.old";
constexpr uint64_t kMaxSweepRuns = 100000;

using State = std::map<std::string, std::string>;

bool IsInfoLogPath(const std::string& path) {
  std::optional<FileType> type = test::FileTypeOf(path);
  return type == FileType::kInfoLog || type == FileType::kInfoLogOld;
}

bool IsWalPath(const std::string& path) { return test::FileTypeOf(path) == FileType::kWal; }
// The zeros of a new WAL (NNNNNN.wal.tmp): if writing them fails, a growing WAL is created
// instead and the LOG says why, so no caller needs to hear of it.
bool IsWalZerosPath(const std::string& path) {
  return test::FileTypeOf(path) == FileType::kTemp && path.ends_with(".tmp") &&
         test::FileTypeOf(path.substr(0, path.size() - 4)) == FileType::kWal;
}
bool IsManifestPath(const std::string& path) {
  return test::FileTypeOf(path) == FileType::kManifest;
}

// --- Attribution of injected errors ---------------------------------------------------------

// One injected failure as the FaultEnv reported it.
struct TracedOp {
  FaultKind kind = kFaultOpen;
  std::string path;
  std::string step;  // the workload step running when it was injected
};

// The workload step in progress, read by the FaultEnv's injection observer. Its lock is never
// held while calling into the FaultEnv (the observer runs under the FaultEnv's own lock).
class StepTracker {
 public:
  void set_step(std::string step) {
    std::lock_guard<std::mutex> lock(mu_);
    step_ = std::move(step);
  }
  std::string step() const {
    std::lock_guard<std::mutex> lock(mu_);
    return step_;
  }

 private:
  mutable std::mutex mu_;
  std::string step_;
};

// --- The workload -----------------------------------------------------------------------

enum class StepKind { kOpen, kClose, kPut, kDelete, kBatch };

struct Step {
  StepKind kind = StepKind::kPut;
  std::vector<std::pair<std::string, std::optional<std::string>>> writes;  // nullopt: delete
  bool sync = true;
  std::string name;
  size_t memtable_size_bytes = 0;  // kOpen
};

bool IsWrite(const Step& step) {
  return step.kind == StepKind::kPut || step.kind == StepKind::kDelete ||
         step.kind == StepKind::kBatch;
}

void ApplyStep(const Step& step, State* state) {
  for (const auto& [key, value] : step.writes) {
    if (value.has_value()) {
      (*state)[key] = *value;
    } else {
      state->erase(key);
    }
  }
}

// Three phases of open, writes, close; deterministic from `seed`. The first runs with a
// large MemTable, so a write's failure is met by the write path itself; the second with one
// below an arena block, so every write first switches to a new WAL; the third reopens the
// resulting chain of dozens of WALs, so recovery's reads and repairs are swept too.
std::vector<Step> MakeWorkload(int writes_per_phase, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Step> steps;
  int write_index = 0;
  const size_t memtable_bytes[] = {1 << 20, 16 << 10, 16 << 10};
  const int writes[] = {writes_per_phase, writes_per_phase, std::max(2, writes_per_phase / 8)};
  for (int phase = 0; phase < 3; phase++) {
    Step open{StepKind::kOpen, {}, true, "open#" + std::to_string(phase)};
    open.memtable_size_bytes = memtable_bytes[phase];
    steps.push_back(std::move(open));
    for (int i = 0; i < writes[phase]; i++, write_index++) {
      Step step;
      const std::string id = std::to_string(write_index);
      auto key = [&] { return "k" + std::to_string(rng() % 12); };
      const uint64_t pick = rng() % 10;
      if (pick < 5) {
        step.kind = StepKind::kPut;
        step.writes.emplace_back(key(), "v" + id + "|" + test::RandomString(&rng, rng() % 300));
      } else if (pick < 7) {
        step.kind = StepKind::kDelete;
        step.writes.emplace_back(key(), std::nullopt);
      } else {
        step.kind = StepKind::kBatch;
        for (int k = 0; k < 3; k++) {
          step.writes.emplace_back("b" + std::to_string(k), "B:" + id);
        }
        step.writes.emplace_back(key(), std::nullopt);
      }
      step.sync = rng() % 4 != 0;
      step.name = "write#" + id;
      steps.push_back(std::move(step));
    }
    steps.push_back(Step{StepKind::kClose, {}, true, "close#" + std::to_string(phase)});
  }
  return steps;
}

Status IssueWrite(DB* db, const Step& step) {
  WriteOptions options;
  options.sync = step.sync;
  if (step.kind == StepKind::kPut) {
    return db->Put(options, step.writes[0].first, *step.writes[0].second);
  }
  if (step.kind == StepKind::kDelete) {
    return db->Delete(options, step.writes[0].first);
  }
  WriteBatch batch;
  for (const auto& [key, value] : step.writes) {
    if (value.has_value()) {
      batch.Put(key, *value);
    } else {
      batch.Delete(key);
    }
  }
  return db->Write(options, batch);
}

State ReadAll(DB* db) {
  State state;
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    state.emplace(std::string(it->key()), std::string(it->value()));
  }
  EXPECT_OK(it->status());
  return state;
}

std::string Describe(const State& state) {
  std::string out;
  for (const auto& [key, value] : state) {
    out += (out.empty() ? "" : ", ") + key + "=" + value.substr(0, value.find('|'));
  }
  return "{" + out + "}";
}

// The injected error must be recognisable as the injected one and, for ENOSPC, as ENOSPC.
void CheckInjectedStatus(const Status& s, FaultFlavour flavour, int* no_space_subcodes) {
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("FaultEnv: injected"), std::string::npos)
      << "the cause is not carried: " << s.ToString();
  if (flavour == FaultFlavour::kENOSPC) {
    EXPECT_TRUE(s.IsNoSpace() || s.message().find("ENOSPC") != std::string::npos) << s.ToString();
    *no_space_subcodes += s.IsNoSpace();
  }
}

struct SweepStats {
  int runs = 0;
  int surfaced = 0;
  int silent_info_log = 0;
  int silent_logged = 0;  // silent to callers, reported in the LOG
  int no_space_subcodes = 0;
};

// One run of the sweep with operation `index` failing. *reached: the run reached it.
void RunWithFailureAt(const std::vector<Step>& steps, uint64_t index, FaultFlavour flavour,
                      bool* reached, SweepStats* stats) {
  MemEnv mem;
  FaultEnv faults(&mem);
  StepTracker tracer;
  Options options;
  options.env = &faults;
  faults.SetFlavour(flavour);
  faults.FailOperation(index);
  // Which operation failed, from the FaultEnv itself: with background flush and compaction
  // threads, operation indices no longer follow the workload's order.
  struct Injected {
    TracedOp op;
    bool background = false;
  };
  std::optional<Injected> injected;
  const std::thread::id workload_thread = std::this_thread::get_id();
  faults.SetInjectionObserver([&](const FaultEnv::Injection& injection) {
    if (!injected.has_value()) {
      injected = Injected{TracedOp{injection.kind, injection.path, tracer.step()},
                          injection.thread != workload_thread};
    }
  });

  State acked;                   // every acknowledged write applied
  std::optional<Step> unknown;   // a failed write that may have reached the WAL
  std::optional<Step> rejected;  // a failed write that must not have
  std::string failed_step;
  std::string logs_after_injection;  // LOG and LOG.old just after the step that hit the error
  auto read_logs = [&] {
    std::string logs;
    for (const char* path : {kLogPath, kOldLogPath}) {
      Result<std::string> log = mem.ReadFileContents(path);
      logs += log.ok() ? log.value() : "";
    }
    return logs;
  };
  std::unique_ptr<DB> db;
  for (const Step& step : steps) {
    tracer.set_step(step.name);
    Status s;
    if (step.kind == StepKind::kOpen) {
      options.memtable_size_bytes = step.memtable_size_bytes;
      s = DB::Open(options, kDir, &db);
    } else if (step.kind == StepKind::kClose) {
      db.reset();
    } else {
      s = IssueWrite(db.get(), step);
    }
    if (s.ok()) {
      if (IsWrite(step)) {
        ApplyStep(step, &acked);
      }
      if (faults.injected_count() > 0 && logs_after_injection.empty()) {
        logs_after_injection = read_logs();  // before a later open rotates the LOG away
      }
      continue;
    }
    failed_step = step.name;
    SCOPED_TRACE("failed step " + step.name + ": " + s.ToString());
    CheckInjectedStatus(s, flavour, &stats->no_space_subcodes);
    if (IsWrite(step)) {
      (s.IsReadOnly() ? rejected : unknown) = step;
      EXPECT_TRUE(s.IsOutcomeUnknown() || s.IsReadOnly()) << s.ToString();
      // Invisible through this DB object, and nothing acknowledged after it.
      EXPECT_EQ(Describe(ReadAll(db.get())), Describe(acked)) << "a failed write is visible";
      for (const auto& [key, value] : step.writes) {
        std::string got;
        Status read = db->Get(ReadOptions(), key, &got);
        auto expected = acked.find(key);
        if (expected == acked.end()) {
          EXPECT_TRUE(read.IsNotFound()) << key << " reads " << read.ToString() << " " << got;
        } else {
          EXPECT_TRUE(read.ok() && got == expected->second) << key << ": " << read.ToString();
        }
      }
      for (int i = 0; i < 3; i++) {
        WriteOptions sync_or_not;
        sync_or_not.sync = i % 2 == 0;
        Status later = db->Put(sync_or_not, "later" + std::to_string(i), "x");
        EXPECT_TRUE(later.IsIOError() && later.IsReadOnly()) << later.ToString();
      }
      std::string background_error;
      ASSERT_TRUE(db->GetProperty("cairn.background-error", &background_error));
      EXPECT_NE(background_error.find("FaultEnv: injected"), std::string::npos) << background_error;
      EXPECT_EQ(Describe(ReadAll(db.get())), Describe(acked));
    }
    break;
  }

  *reached = faults.injected_count() > 0;
  if (!*reached) {
    EXPECT_TRUE(failed_step.empty()) << failed_step << " failed with no injected error";
    return;
  }
  stats->runs++;
  ASSERT_TRUE(injected.has_value()) << "operation " << index << " was injected but not seen";
  const TracedOp* op = &injected->op;
  SCOPED_TRACE("injected into " + op->step + (injected->background ? " (background)" : "") + ": " +
               FaultKindName(op->kind) + " of " + op->path);
  if (!failed_step.empty()) {
    // The error reached the caller of the step that issued the failing operation (a
    // background job's error reaches a later step, e.g. a write stopped by a failed flush).
    if (!injected->background) {
      EXPECT_EQ(failed_step, op->step);
    }
    stats->surfaced++;
  } else if (injected->background) {
    // No caller waits for background flushes, compactions and file collection: their errors
    // are logged, retried, and shown by cairn.background-error.
    stats->silent_logged++;
  } else if (IsInfoLogPath(op->path)) {
    stats->silent_info_log++;  // the LOG is diagnostic; losing it must cost nothing else
  } else {
    // No caller could be told: only closing a WAL or manifest (whose bytes were all synced),
    // or the destructor's WAL sync, may be silent, and then the LOG must say so.
    const bool closing = op->step.rfind("close#", 0) == 0;
    // Also the deletion of an obsolete file: it only costs space until the next collection;
    // and anything on the zeros of a new WAL (a growing WAL is made instead).
    EXPECT_TRUE(
        (IsWalPath(op->path) && (op->kind == kFaultClose || (closing && op->kind == kFaultSync))) ||
        IsWalZerosPath(op->path) || (IsManifestPath(op->path) && op->kind == kFaultClose) ||
        op->kind == kFaultUnlink)
        << "an injected error reached no caller";
    EXPECT_NE(logs_after_injection.find("#" + std::to_string(index) + " "), std::string::npos)
        << "a silent error is not in the LOG:\n"
        << logs_after_injection;
    stats->silent_logged++;
  }

  // With the faults gone, a reopen recovers every acknowledged write and nothing else; the
  // one write of unknown outcome is there entirely or not at all.
  db.reset();
  faults.ClearFaults();
  tracer.set_step("verify");
  ASSERT_OK(DB::Open(options, kDir, &db));
  State recovered = ReadAll(db.get());
  if (recovered != acked) {
    State with_unknown = acked;
    if (unknown.has_value()) {
      ApplyStep(*unknown, &with_unknown);
    }
    ASSERT_EQ(Describe(recovered), Describe(with_unknown))
        << "recovered state is neither the acknowledged one " << Describe(acked)
        << " nor that plus the write of unknown outcome"
        << (rejected.has_value() ? " (the failed write was rejected as read-only)" : "");
    ASSERT_TRUE(recovered == with_unknown);
  }
  ASSERT_OK(db->Put(WriteOptions(), "after", "1"));
  recovered["after"] = "1";
  db.reset();
  ASSERT_OK(DB::Open(options, kDir, &db));
  EXPECT_EQ(Describe(ReadAll(db.get())), Describe(recovered));
}

void RunErrorSweep(FaultFlavour flavour) {
  const std::vector<Step> steps = MakeWorkload(Scaled(80), /*seed=*/42);
  SweepStats stats;
  uint64_t index = 0;
  for (; index < kMaxSweepRuns; index++) {
    SCOPED_TRACE("failing operation " + std::to_string(index) +
                 (flavour == FaultFlavour::kENOSPC ? " with ENOSPC" : " with EIO"));
    bool reached = false;
    RunWithFailureAt(steps, index, flavour, &reached, &stats);
    if (::testing::Test::HasFailure() || !reached) {
      break;
    }
  }
  EXPECT_LT(index, kMaxSweepRuns);
  EXPECT_GT(stats.surfaced, 100);
  EXPECT_GT(stats.silent_info_log, 0);
  if (flavour == FaultFlavour::kENOSPC) {
    EXPECT_GT(stats.no_space_subcodes, 0);
  }
  std::printf(
      "[ sweep    ] %llu operations failed in turn: %d reached a caller, %d hit the "
      "LOG, %d were silent but logged; %d kept the NoSpace subcode\n",
      static_cast<unsigned long long>(index), stats.surfaced, stats.silent_info_log,
      stats.silent_logged, stats.no_space_subcodes);
}

TEST(DBFaultTest, EveryFailedOperationIsReportedAndLosesNoAcknowledgedWriteEio) {
  RunErrorSweep(FaultFlavour::kEIO);
}

TEST(DBFaultTest, EveryFailedOperationIsReportedAndLosesNoAcknowledgedWriteEnospc) {
  RunErrorSweep(FaultFlavour::kENOSPC);
}

// A failing info log must cost nothing: the database opens, writes and recovers as usual.
TEST(DBFaultTest, FailingInfoLogNeverFailsTheDatabase) {
  MemEnv mem;
  FaultEnv faults(&mem);
  Options options;
  options.env = &faults;
  options.memtable_size_bytes = 16 << 10;
  faults.FailPath("/LOG");
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  State model;
  for (int i = 0; i < 50; i++) {
    ASSERT_OK(db->Put(WriteOptions(), "k" + std::to_string(i % 7), std::to_string(i)));
    model["k" + std::to_string(i % 7)] = std::to_string(i);
  }
  ASSERT_OK(DB::Open(options, kDir, &db));  // reopen: LOG is rotated, and fails again
  EXPECT_EQ(Describe(ReadAll(db.get())), Describe(model));
  EXPECT_GT(faults.injected_count(), 0u);
}

// --- Random-fault soak ----------------------------------------------------------------

// An open issues many more operations than a write, so it runs under a gentler fault rate.
constexpr uint32_t kWriteFaultOneIn = 40;
constexpr uint32_t kOpenFaultOneIn = 400;

// Opens, retrying while random faults fail the open; clears the faults after many tries so
// the soak always moves on. Leaves the write-time fault rate armed, seeded from `rng`.
void OpenDespiteFaults(FaultEnv* faults, const Options& options, std::mt19937_64* rng,
                       std::unique_ptr<DB>* db, int* failed_opens) {
  faults->FailRandomly(kOpenFaultOneIn, (*rng)());
  for (int attempt = 0;; attempt++) {
    if (attempt == 20) {
      faults->ClearFaults();
    }
    Status s = DB::Open(options, kDir, db);
    if (s.ok()) {
      faults->FailRandomly(kWriteFaultOneIn, (*rng)());
      return;
    }
    ASSERT_TRUE(s.IsIOError()) << "open failed with a non-I/O error: " << s.ToString();
    ASSERT_NE(s.message().find("FaultEnv: injected"), std::string::npos) << s.ToString();
    ASSERT_LT(attempt, 20) << s.ToString();
    (*failed_opens)++;
  }
}

TEST(DBFaultTest, RandomFaultsWithReopensNeverLoseAcknowledgedWrites) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed) + " (replay with CAIRN_TEST_SEED)");
  std::mt19937_64 rng(seed);
  MemEnv mem;
  FaultEnv faults(&mem);
  Options options;
  options.env = &faults;
  // A WAL switch every ~64 KiB of entries: a handful of switches, and opens that read few
  // enough files to succeed now and then under random faults.
  options.memtable_size_bytes = 100 << 10;

  State model;
  std::optional<Step> unknown;  // the failed write of this DB object, outcome unknown
  int failed_writes = 0;
  int failed_opens = 0;
  int reopens = 0;
  std::unique_ptr<DB> db;
  ASSERT_NO_FATAL_FAILURE(OpenDespiteFaults(&faults, options, &rng, &db, &failed_opens));
  const int operations = Scaled(2500);
  for (int i = 0; i < operations; i++) {
    SCOPED_TRACE("operation " + std::to_string(i));
    const bool read_only = unknown.has_value();
    if (rng() % 40 == 0 || (read_only && rng() % 3 == 0)) {
      // Reopen (the destructor's sync may fail too: it is logged, and costs nothing here).
      db.reset();
      ASSERT_NO_FATAL_FAILURE(OpenDespiteFaults(&faults, options, &rng, &db, &failed_opens));
      reopens++;
      // Verify with faults off: reads now reach segment files, and a read error is reported
      // (checked elsewhere), not a lost write.
      faults.ClearFaults();
      State recovered = ReadAll(db.get());
      faults.FailRandomly(kWriteFaultOneIn, rng());
      State with_unknown = model;
      if (unknown.has_value()) {
        ApplyStep(*unknown, &with_unknown);
      }
      if (recovered == with_unknown) {
        model = with_unknown;
      } else {
        ASSERT_EQ(Describe(recovered), Describe(model))
            << "lost an acknowledged write or found a phantom; the write of unknown outcome "
               "would give "
            << Describe(with_unknown);
        ASSERT_TRUE(recovered == model);
      }
      unknown.reset();
      continue;
    }
    Step step;
    const std::string id = std::to_string(i);
    auto key = [&] { return "k" + std::to_string(rng() % 20); };
    if (rng() % 3 == 0) {
      step.kind = StepKind::kBatch;
      for (int k = 0; k < 3; k++) {
        step.writes.emplace_back("b" + std::to_string(k), "B:" + id);
      }
      step.writes.emplace_back(key(), std::nullopt);
    } else if (rng() % 4 == 0) {
      step.kind = StepKind::kDelete;
      step.writes.emplace_back(key(), std::nullopt);
    } else {
      step.kind = StepKind::kPut;
      step.writes.emplace_back(key(), "v" + id + "|" + test::RandomString(&rng, rng() % 600));
    }
    step.sync = rng() % 4 != 0;
    Status s = IssueWrite(db.get(), step);
    if (read_only) {
      ASSERT_TRUE(s.IsReadOnly()) << "a write was accepted after a failed one: " << s.ToString();
    } else if (s.ok()) {
      ApplyStep(step, &model);
    } else {
      ASSERT_TRUE(s.IsIOError()) << s.ToString();
      ASSERT_NE(s.message().find("FaultEnv: injected"), std::string::npos) << s.ToString();
      failed_writes++;
      if (!s.IsReadOnly()) {
        ASSERT_TRUE(s.IsOutcomeUnknown()) << s.ToString();
        unknown = step;
      } else {
        // Rejected before reaching the WAL (a failed WAL switch): it cannot reappear, but a
        // placeholder keeps this DB object read-only in the model.
        unknown = Step{};
      }
    }
    // Read with faults off: a read error is not what this check is about.
    faults.ClearFaults();
    State visible = ReadAll(db.get());
    faults.FailRandomly(kWriteFaultOneIn, rng());
    ASSERT_EQ(Describe(visible), Describe(model)) << "a failed write is visible";
  }
  db.reset();
  faults.ClearFaults();
  ASSERT_OK(DB::Open(options, kDir, &db));
  State recovered = ReadAll(db.get());
  if (unknown.has_value()) {
    State with_unknown = model;
    ApplyStep(*unknown, &with_unknown);
    if (recovered == with_unknown) {
      model = with_unknown;
    }
  }
  EXPECT_EQ(Describe(recovered), Describe(model));
  EXPECT_TRUE(recovered == model);
  EXPECT_GT(failed_writes, 0);
  std::printf(
      "[ soak     ] %d operations, %d failed writes, %d failed opens, %d reopens, %llu "
      "injected errors\n",
      operations, failed_writes, failed_opens, reopens,
      static_cast<unsigned long long>(faults.injected_count()));
}

}  // namespace
}  // namespace cairn
