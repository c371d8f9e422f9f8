// The crash-workload model shared by the MemEnv crash sweeps (db_crash_test.cc,
// db_crash_scale_test.cc): writer threads with seeded plans of puts, deletes, atomic batches,
// flushes and compactions over their own keys; what each call returned and when, on a shared
// clock; and the check that a recovered database is a state the plans and acknowledgements
// allow (docs/durability.md §1). Test-only: included by test files, never by the engine.
#ifndef CAIRN_DB_CRASH_WORKLOAD_TESTUTIL_H_
#define CAIRN_DB_CRASH_WORKLOAD_TESTUTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn::crash_test {

using test::Scaled;
using test::TestScale;

inline constexpr char kDir[] = "/db";
inline constexpr int kThreads = 4;
inline constexpr int kSingleKeysPerThread = 6;
inline constexpr int kBatchKeysPerThread = 4;
// A sweep that has not ended by then is stuck (the workload never finishes): fail it.
inline constexpr uint64_t kMaxCrashPoints = 20000;

using State = std::map<std::string, std::string>;

// kFlush, kCompactRange and kSyncWal change no key; an acknowledged one counts as a sync:
// DB::SyncWal makes every write that returned before it durable, and
// DB::Flush (which CompactRange starts with) returns OK only once every write acknowledged
// before the call is in a durable segment.
enum class OpKind { kPut, kDelete, kBatchPut, kBatchDelete, kFlush, kCompactRange, kSyncWal };

// One write of a thread's plan.
struct Op {
  OpKind kind = OpKind::kPut;
  int key = 0;        // kPut, kDelete: which of the thread's single keys; kCompactRange:
                      // 0 everything, 1 the thread's own keys
  std::string value;  // kPut, kBatchPut
  bool sync = true;
};

// What one issued write returned, and when, on a clock shared by all threads.
struct Outcome {
  bool issued = false;
  Status status;
  uint64_t start_tick = 0;  // taken just before the call
  uint64_t ack_tick = 0;    // taken just after it returned
};

inline std::string SingleKey(int thread, int key) {
  return "t" + std::to_string(thread) + "/k" + std::to_string(key);
}

inline std::string BatchKey(int thread, int key) {
  return "t" + std::to_string(thread) + "/b" + std::to_string(key);
}

inline std::string ThreadPrefix(int thread) { return "t" + std::to_string(thread) + "/"; }

inline void Apply(int thread, const Op& op, State* state) {
  switch (op.kind) {
    case OpKind::kPut:
      (*state)[SingleKey(thread, op.key)] = op.value;
      break;
    case OpKind::kDelete:
      state->erase(SingleKey(thread, op.key));
      break;
    case OpKind::kBatchPut:
      for (int k = 0; k < kBatchKeysPerThread; k++) {
        (*state)[BatchKey(thread, k)] = op.value;
      }
      break;
    case OpKind::kBatchDelete:
      for (int k = 0; k < kBatchKeysPerThread; k++) {
        state->erase(BatchKey(thread, k));
      }
      break;
    case OpKind::kFlush:
    case OpKind::kCompactRange:
    case OpKind::kSyncWal:
      break;
  }
}

inline Status Issue(DB* db, int thread, const Op& op) {
  WriteOptions write;
  write.sync = op.sync;
  switch (op.kind) {
    case OpKind::kPut:
      return db->Put(write, SingleKey(thread, op.key), op.value);
    case OpKind::kDelete:
      return db->Delete(write, SingleKey(thread, op.key));
    case OpKind::kBatchPut:
    case OpKind::kBatchDelete: {
      WriteBatch batch;
      for (int k = 0; k < kBatchKeysPerThread; k++) {
        if (op.kind == OpKind::kBatchPut) {
          batch.Put(BatchKey(thread, k), op.value);
        } else {
          batch.Delete(BatchKey(thread, k));
        }
      }
      return db->Write(write, batch);
    }
    case OpKind::kFlush:
      return db->Flush();
    case OpKind::kSyncWal:
      return db->SyncWal();
    case OpKind::kCompactRange: {
      if (op.key == 0) {
        return db->CompactRange(nullptr, nullptr);
      }
      const std::string begin = ThreadPrefix(thread);
      const std::string end = ThreadPrefix(thread) + "\xff";
      const std::string_view begin_view = begin;
      const std::string_view end_view = end;
      return db->CompactRange(&begin_view, &end_view);
    }
  }
  return Status::InvalidArgument("unknown op kind");
}

// A thread's writes. Values name their write ("v<thread>.<index>" or "B:<thread>.<index>")
// before a '|' and padding that makes the WAL grow. With lsm_percent > 0, about that share
// of the operations are DB::Flush or DB::CompactRange instead (none otherwise, and then the
// plan is the same as ever for a given generator state).
inline std::vector<Op> MakePlan(int thread, int count, std::mt19937_64* rng, int lsm_percent = 0) {
  std::vector<Op> plan(count);
  for (int i = 0; i < count; i++) {
    Op& op = plan[i];
    const std::string id = std::to_string(thread) + "." + std::to_string(i);
    const std::string padding = "|" + test::RandomString(rng, (*rng)() % 400);
    const uint64_t pick = (*rng)() % 100;
    if (pick < 55) {
      op.kind = OpKind::kPut;
      op.key = static_cast<int>((*rng)() % kSingleKeysPerThread);
      op.value = "v" + id + padding;
    } else if (pick < 70) {
      op.kind = OpKind::kDelete;
      op.key = static_cast<int>((*rng)() % kSingleKeysPerThread);
    } else if (pick < 95) {
      op.kind = OpKind::kBatchPut;
      op.value = "B:" + id + padding;
    } else {
      op.kind = OpKind::kBatchDelete;
    }
    op.sync = (*rng)() % 4 != 0;
    if (lsm_percent > 0 && static_cast<int>((*rng)() % 100) < lsm_percent) {
      const uint64_t which = (*rng)() % 6;
      op.kind = which < 2 ? OpKind::kCompactRange : which == 2 ? OpKind::kSyncWal : OpKind::kFlush;
      op.key = static_cast<int>((*rng)() % 2);
      op.value.clear();
      op.sync = true;
    }
  }
  return plan;
}

inline std::vector<std::vector<Op>> MakePlans(int threads, int ops_per_thread, uint64_t seed,
                                              int lsm_percent = 0) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Op>> plans;
  for (int t = 0; t < threads; t++) {
    plans.push_back(MakePlan(t, ops_per_thread, &rng, lsm_percent));
  }
  return plans;
}

// Runs each thread's plan on its own thread until the plan ends or a write fails.
inline void RunWorkload(DB* db, const std::vector<std::vector<Op>>& plans,
                        std::vector<std::vector<Outcome>>* outcomes) {
  std::atomic<uint64_t> clock{1};
  outcomes->assign(plans.size(), {});
  std::vector<std::thread> threads;
  for (size_t t = 0; t < plans.size(); t++) {
    (*outcomes)[t].resize(plans[t].size());
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < plans[t].size(); i++) {
        Outcome& outcome = (*outcomes)[t][i];
        outcome.issued = true;
        outcome.start_tick = clock.fetch_add(1);
        outcome.status = Issue(db, static_cast<int>(t), plans[t][i]);
        outcome.ack_tick = clock.fetch_add(1);
        if (!outcome.status.ok()) {
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

// Runs a plan on the calling thread; every write must succeed.
inline void RunPlanInline(DB* db, int thread, const std::vector<Op>& plan,
                          std::vector<Outcome>* outcomes) {
  outcomes->assign(plan.size(), {});
  uint64_t clock = 1;
  for (size_t i = 0; i < plan.size(); i++) {
    Outcome& outcome = (*outcomes)[i];
    outcome.issued = true;
    outcome.start_tick = clock++;
    outcome.status = Issue(db, thread, plan[i]);
    outcome.ack_tick = clock++;
    ASSERT_OK(outcome.status);
  }
}

inline State ReadAll(DB* db) {
  State state;
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    state.emplace(std::string(it->key()), std::string(it->value()));
  }
  EXPECT_OK(it->status());
  return state;
}

// "key=id,..." with each value cut at its '|' so failure messages stay readable.
inline std::string Describe(const State& state) {
  std::string out;
  for (const auto& [key, value] : state) {
    out += (out.empty() ? "" : ", ") + key + "=" + value.substr(0, value.find('|'));
  }
  return "{" + out + "}";
}

inline std::string DescribeOp(int thread, size_t index, const Op& op, const Outcome& outcome) {
  static const char* const kNames[] = {"Put",   "Delete",       "BatchPut", "BatchDelete",
                                       "Flush", "CompactRange", "SyncWal"};
  std::string out = "#" + std::to_string(index) + " " + kNames[static_cast<int>(op.kind)];
  if (op.kind == OpKind::kPut || op.kind == OpKind::kDelete) {
    out += " " + SingleKey(thread, op.key);
  }
  if (!op.value.empty()) {
    out += " " + op.value.substr(0, op.value.find('|'));
  }
  out += op.sync ? " sync" : " nosync";
  out += !outcome.issued ? " (not issued)" : " -> " + outcome.status.ToString();
  return out;
}

inline State FinalState(const std::vector<std::vector<Op>>& plans) {
  State state;
  for (size_t t = 0; t < plans.size(); t++) {
    for (const Op& op : plans[t]) {
      Apply(static_cast<int>(t), op, &state);
    }
  }
  return state;
}

// Whether the thread's batch keys hold one batch's value each, or are all absent.
inline std::string CheckBatchAtomicity(int thread, const State& actual) {
  int present = 0;
  std::string first_value;
  for (int k = 0; k < kBatchKeysPerThread; k++) {
    auto it = actual.find(BatchKey(thread, k));
    if (it == actual.end()) {
      continue;
    }
    if (present > 0 && it->second != first_value) {
      return "torn batch: " + BatchKey(thread, k) + " holds a different batch than " +
             BatchKey(thread, 0) + " in " + Describe(actual);
    }
    first_value = it->second;
    present++;
  }
  if (present != 0 && present != kBatchKeysPerThread) {
    return "torn batch: " + std::to_string(present) + " of " + std::to_string(kBatchKeysPerThread) +
           " batch keys present in " + Describe(actual);
  }
  return "";
}

// Checks `recovered`, the whole database after a crash, against what the threads planned and
// what each write returned (see the file comment). Returns "" or the first violation.
// *beyond_durable (optional) counts the threads whose recovered prefix is longer than the
// durable one, i.e. whose unsynced or unknown writes survived.
inline std::string CheckRecovered(const State& recovered, const std::vector<std::vector<Op>>& plans,
                                  const std::vector<std::vector<Outcome>>& outcomes,
                                  int* beyond_durable = nullptr) {
  // The latest-issued acknowledged sync write covers every write acknowledged before it.
  uint64_t last_sync_start = 0;
  for (size_t t = 0; t < plans.size(); t++) {
    for (size_t i = 0; i < outcomes[t].size(); i++) {
      const Outcome& outcome = outcomes[t][i];
      if (outcome.issued && outcome.status.ok() && plans[t][i].sync) {
        last_sync_start = std::max(last_sync_start, outcome.start_tick);
      }
    }
  }
  std::vector<State> per_thread(plans.size());
  for (const auto& [key, value] : recovered) {
    bool owned = false;
    for (size_t t = 0; t < plans.size() && !owned; t++) {
      if (key.compare(0, ThreadPrefix(static_cast<int>(t)).size(),
                      ThreadPrefix(static_cast<int>(t))) == 0) {
        per_thread[t].emplace(key, value);
        owned = true;
      }
    }
    if (!owned) {
      return "phantom key '" + key + "': no writer ever wrote it";
    }
  }
  for (size_t t = 0; t < plans.size(); t++) {
    const int thread = static_cast<int>(t);
    size_t durable = 0;
    size_t issued = 0;
    for (size_t i = 0; i < outcomes[t].size() && outcomes[t][i].issued; i++) {
      const Outcome& outcome = outcomes[t][i];
      if (outcome.status.ok()) {
        issued = i + 1;
        if (plans[t][i].sync || outcome.ack_tick < last_sync_start) {
          durable = i + 1;
        }
        continue;
      }
      // The failed write's outcome is unknown, unless it was rejected before the WAL.
      issued = outcome.status.IsReadOnly() ? i : i + 1;
      break;
    }
    const State& actual = per_thread[t];
    std::string torn = CheckBatchAtomicity(thread, actual);
    if (!torn.empty()) {
      return "thread " + std::to_string(thread) + ": " + torn;
    }
    State model;
    for (size_t i = 0; i < durable; i++) {
      Apply(thread, plans[t][i], &model);
    }
    const State at_durable = model;
    bool explained = false;
    for (size_t k = durable;; k++) {
      if (model == actual) {
        explained = true;
        if (beyond_durable != nullptr && k > durable) {
          (*beyond_durable)++;
        }
        break;
      }
      if (k >= issued) {
        break;
      }
      Apply(thread, plans[t][k], &model);
    }
    if (!explained) {
      std::string msg = "thread " + std::to_string(thread) + ": recovered " + Describe(actual) +
                        " is the state after no prefix of its writes between " +
                        std::to_string(durable) + " (durable: acknowledged and synced) and " +
                        std::to_string(issued) + " (issued); after the durable prefix it is " +
                        Describe(at_durable) + ". Writes around it:";
      size_t from = durable >= 3 ? durable - 3 : 0;
      for (size_t i = from; i < plans[t].size() && i < issued + 2; i++) {
        msg += "\n  " + DescribeOp(thread, i, plans[t][i], outcomes[t][i]);
      }
      return msg;
    }
  }
  return "";
}

// (d) of the contract checks: the recovered database takes new writes, and a clean reopen
// shows exactly the same state.
inline void CheckAcceptsWritesAndReopensUnchanged(const Options& options, std::unique_ptr<DB>* db,
                                                  State state) {
  ASSERT_OK((*db)->Put(WriteOptions(), "z/after-crash", "1"));
  WriteOptions no_sync;
  no_sync.sync = false;
  ASSERT_OK((*db)->Put(no_sync, "z/after-crash-nosync", "2"));
  state["z/after-crash"] = "1";
  state["z/after-crash-nosync"] = "2";
  db->reset();
  ASSERT_OK(DB::Open(options, kDir, db));
  EXPECT_EQ(Describe(ReadAll(db->get())), Describe(state));
  EXPECT_TRUE(ReadAll(db->get()) == state) << "values differ after a clean reopen";
}

inline Options SweepOptions(Env* env, size_t memtable_size_bytes) {
  Options options;
  options.env = env;
  options.memtable_size_bytes = memtable_size_bytes;
  return options;
}

// About this share of a plan's operations are Flush or CompactRange calls.
inline constexpr int kLsmPercent = 8;

// Small MemTables, blocks and levels: a flush every few dozen writes, a level-0 compaction
// after every second flush, level 1 over its budget soon after, outputs cut small.
inline Options LsmSweepOptions(Env* env) {
  Options options = SweepOptions(env, 16 << 10);
  options.block_size_bytes = 1 << 10;
  options.l0_compaction_trigger = 2;
  options.level1_size_bytes = 32 << 10;
  options.target_segment_size_bytes = 8 << 10;
  return options;
}

// Runs operations [begin, end) of each thread's plan on its own thread, on the shared clock,
// until the plan part ends or an operation fails. A thread whose earlier part failed issues
// nothing more.
inline void RunWorkloadPhase(DB* db, const std::vector<std::vector<Op>>& plans, size_t begin,
                             size_t end, std::atomic<uint64_t>* clock,
                             std::vector<std::vector<Outcome>>* outcomes) {
  std::vector<std::thread> threads;
  for (size_t t = 0; t < plans.size(); t++) {
    if (begin > 0 && !(*outcomes)[t][begin - 1].status.ok()) {
      continue;
    }
    threads.emplace_back([&, t] {
      for (size_t i = begin; i < end && i < plans[t].size(); i++) {
        Outcome& outcome = (*outcomes)[t][i];
        outcome.issued = true;
        outcome.start_tick = clock->fetch_add(1);
        outcome.status = Issue(db, static_cast<int>(t), plans[t][i]);
        outcome.ack_tick = clock->fetch_add(1);
        if (!outcome.status.ok()) {
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
}

inline uint64_t SegmentCount(DB* db) {
  uint64_t count = 0;
  for (int level = 0; level < 7; level++) {
    std::string files;
    EXPECT_TRUE(db->GetProperty("cairn.files-at-level." + std::to_string(level), &files));
    count += std::stoull(files);
  }
  return count;
}

struct LsmSweepStats {
  int crashes = 0;
  int with_segments = 0;   // the recovered database read from segments
  int torn_tails_cut = 0;  // recovery cut a torn WAL or manifest tail
  int in_reopen = 0;       // the crash hit the reopen between the two halves
};

// One crash point of the LSM sweep: four writer threads whose plans mix writes with Flush and
// CompactRange, run in two halves with a clean close and reopen (a manifest rollover) between
// them; the file system freezes before sync point `point`. `make_options` gives the options
// for the test's MemEnv (LsmSweepOptions unless a sweep varies them).
inline void CheckLsmCrashPoint(int ops_per_thread, uint64_t seed, uint64_t point, bool torn,
                               bool* outlived, LsmSweepStats* stats,
                               const std::function<Options(Env*)>& make_options = LsmSweepOptions) {
  *outlived = false;
  MemEnv env;
  const Options options = make_options(&env);
  const std::vector<std::vector<Op>> plans = MakePlans(kThreads, ops_per_thread, seed, kLsmPercent);
  std::vector<std::vector<Outcome>> outcomes(plans.size());
  for (size_t t = 0; t < plans.size(); t++) {
    outcomes[t].resize(plans[t].size());
  }
  std::atomic<uint64_t> clock{1};
  const size_t half = static_cast<size_t>(ops_per_thread) / 2;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  env.ScheduleCrashAtSyncPoint(env.sync_point_count() + point);
  RunWorkloadPhase(db.get(), plans, 0, half, &clock, &outcomes);
  db.reset();
  bool reopened = false;
  if (!env.crashed()) {
    Status s = DB::Open(options, kDir, &db);
    ASSERT_TRUE(s.ok() || env.crashed()) << s.ToString();
    stats->in_reopen += env.crashed();
    reopened = s.ok();
  }
  if (reopened) {
    RunWorkloadPhase(db.get(), plans, half, plans[0].size(), &clock, &outcomes);
    db.reset();
  }
  if (!env.crashed()) {
    *outlived = true;
    for (size_t t = 0; t < outcomes.size(); t++) {
      for (size_t i = 0; i < outcomes[t].size(); i++) {
        ASSERT_TRUE(outcomes[t][i].status.ok())
            << "thread " << t << ": "
            << DescribeOp(static_cast<int>(t), i, plans[t][i], outcomes[t][i]);
      }
    }
    env.ScheduleCrashAtSyncPoint(UINT64_MAX);  // MemEnv has no way to cancel a schedule
    ASSERT_OK(DB::Open(options, kDir, &db));
    ASSERT_EQ(Describe(ReadAll(db.get())), Describe(FinalState(plans)));
    EXPECT_TRUE(ReadAll(db.get()) == FinalState(plans));
    return;
  }
  env.Restart(CrashOptions{torn, seed ^ (point * 0x9e3779b97f4a7c15ull)});
  ASSERT_OK(DB::Open(options, kDir, &db));
  State recovered = ReadAll(db.get());
  std::string violation = CheckRecovered(recovered, plans, outcomes);
  ASSERT_TRUE(violation.empty()) << violation;
  std::string recovery;
  ASSERT_TRUE(db->GetProperty("cairn.recovery", &recovery));
  stats->crashes++;
  stats->torn_tails_cut += recovery.find("torn tail") != std::string::npos;
  stats->with_segments += SegmentCount(db.get()) > 0;
  CheckAcceptsWritesAndReopensUnchanged(options, &db, recovered);
}

}  // namespace cairn::crash_test

#endif  // CAIRN_DB_CRASH_WORKLOAD_TESTUTIL_H_
