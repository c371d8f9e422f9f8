// Proves the manifest's durability protocol end to end (docs/format-manifest.md, "Rollover").
//
// A workload creates a database's first manifest and CURRENT, appends edits, rolls over to a
// new manifest (snapshot, CURRENT, delete the old file) and appends more. It records every
// state it attempted and which of them were acknowledged (the call that made it durable
// returned OK). Then:
//   - crash sweep: on a MemEnv, crash just before every sync point in turn (exact and torn
//     writes, several seeds), restart, and recover with ReadCurrent + ReadManifest. The
//     recovered state must be one of the attempted states, no older than the newest
//     acknowledged one -- a prefix of the edits that holds every acknowledged edit; a second
//     read must find the same state and no torn tail; and the recovered directory must
//     accept a new rollover and edit. Before the first CURRENT is acknowledged, a missing
//     CURRENT is the only other allowed outcome.
//   - error sweep: through a FaultEnv, fail operation i for i = 0, 1, ... until the workload
//     runs clean. Each injected error must reach the workload; a failed Append is answered
//     with a rollover (never a retry on the poisoned file), other failures stop it. A crash
//     afterwards must again recover an allowed state.
// Every run prints its seed (CAIRN_TEST_SEED replays it).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "env/env_util.h"
#include "manifest/current_file.h"
#include "manifest/manifest_reader.h"
#include "manifest/manifest_testutil.h"
#include "manifest/manifest_writer.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn::manifest {
namespace {

using test::ModelState;

constexpr char kDir[] = "/db";

// What a workload attempted and what was acknowledged: states()[k] for k in
// [durable, attempted] are the states a recovery may find.
struct Outcome {
  std::vector<ModelState> states;
  int durable = -1;  // newest acknowledged state; -1: none
  int attempted() const { return static_cast<int>(states.size()) - 1; }
};

class Workload {
 public:
  Workload(Env* env, bool rollover_on_failed_append)
      : env_(env), rollover_on_failed_append_(rollover_on_failed_append) {}

  // Runs the script; stops at the first error it does not handle and returns it.
  Status Run(int edits_before_rollover, int edits_after_rollover) {
    CAIRN_RETURN_IF_ERROR(CreateDatabase());
    for (int i = 0; i < edits_before_rollover + edits_after_rollover; i++) {
      if (i == edits_before_rollover) {
        CAIRN_RETURN_IF_ERROR(Rollover());
      }
      CAIRN_RETURN_IF_ERROR(ApplyEdit(i));
    }
    return Status::OK();
  }

  Outcome outcome() const { return Outcome{states_, durable_}; }
  int errors_seen() const { return errors_seen_; }

 private:
  int attempted() const { return static_cast<int>(states_.size()) - 1; }

  Status Note(Status s) {
    if (!s.ok()) errors_seen_++;
    return s;
  }

  Status CreateDatabase() {
    ModelState initial;
    uint64_t number = counter_++;
    initial.log_number = counter_++;
    initial.wals = {initial.log_number};
    initial.next_file_number = counter_;
    states_.push_back(initial);
    auto writer = ManifestWriter::Create(env_, kDir, number, 0, db_id_, initial.Snapshot(db_id_));
    CAIRN_RETURN_IF_ERROR(Note(writer.status()));
    writer_ = std::move(writer).value();
    CAIRN_RETURN_IF_ERROR(Note(WriteCurrent(env_, kDir, number)));
    durable_ = 0;
    return Status::OK();
  }

  // A flush-like edit: a new WAL, a segment holding the previous WAL's records, the old WAL
  // obsolete; every third edit also deletes the oldest segment, as a compaction would.
  VersionEdit MakeEdit(int i, const ModelState& base) {
    VersionEdit edit;
    uint64_t segment = counter_++;
    uint64_t wal = counter_++;
    edit.added_segments = {test::MakeSegment(segment, static_cast<uint32_t>(i % 3))};
    edit.added_wals = {wal};
    edit.log_number = wal;
    edit.next_file_number = counter_;
    edit.last_sequence = edit.added_segments[0].max_seq + static_cast<uint64_t>(i);
    edit.last_commit_micros = 1'795'000'001'000'000 + static_cast<uint64_t>(i);
    if (i % 3 == 2 && !base.segments.empty()) {
      const SegmentMeta& oldest = base.segments.begin()->second;
      edit.deleted_segments.push_back({oldest.level, oldest.number});
    }
    return edit;
  }

  Status ApplyEdit(int i) {
    ModelState next = states_[durable_];
    VersionEdit edit = MakeEdit(i, next);
    next.Apply(edit);
    states_.push_back(next);
    Status s = Note(writer_->Append(edit));
    if (s.ok()) {
      durable_ = attempted();
      return s;
    }
    if (!rollover_on_failed_append_ || s.IsInvalidArgument()) {
      return s;
    }
    // The edit's outcome is unknown and the file is poisoned: move to a new manifest whose
    // snapshot is the last acknowledged state, then write the edit there.
    CAIRN_RETURN_IF_ERROR(Rollover());
    edit.next_file_number = counter_;
    next = states_[durable_];
    next.Apply(edit);
    states_.push_back(next);
    CAIRN_RETURN_IF_ERROR(Note(writer_->Append(edit)));
    durable_ = attempted();
    return Status::OK();
  }

  // Steps 1-5 of the rollover protocol.
  Status Rollover() {
    const uint64_t old_number = writer_->number();
    const uint64_t number = counter_++;
    ModelState state = states_[durable_];
    state.next_file_number = counter_;
    states_.push_back(state);
    auto writer =
        ManifestWriter::Create(env_, kDir, number, old_number, db_id_, state.Snapshot(db_id_));
    CAIRN_RETURN_IF_ERROR(Note(writer.status()));
    CAIRN_RETURN_IF_ERROR(Note(WriteCurrent(env_, kDir, number)));
    durable_ = attempted();
    writer_ = std::move(writer).value();
    // Only now is the old manifest obsolete.
    CAIRN_RETURN_IF_ERROR(Note(env_->RemoveFile(JoinPath(kDir, ManifestFileName(old_number)))));
    return Note(env_->SyncDir(kDir));
  }

  Env* const env_;
  const bool rollover_on_failed_append_;
  const record::DbId db_id_ = test::TestDbId();
  uint64_t counter_ = 1;  // the database's file-number counter
  std::unique_ptr<ManifestWriter> writer_;
  std::vector<ModelState> states_;
  int durable_ = -1;
  int errors_seen_ = 0;
};

// Reads the database as an open would. Returns the recovered state in *state, or sets
// *found = false if there is no CURRENT.
void Recover(Env* env, bool* found, ModelState* state, ManifestReadReport* report) {
  uint64_t number = 0;
  Status s = ReadCurrent(env, kDir, &number);
  *found = !s.IsNotFound();
  if (!*found) return;
  ASSERT_OK(s);
  *state = ModelState();
  ASSERT_OK(ReadManifest(
      env, kDir, ManifestFileName(number), test::TestDbId(), ManifestReadMode::kRecover,
      [state](const VersionEdit& edit, uint64_t) {
        state->Apply(edit);
        return Status::OK();
      },
      report));
}

// The recovered directory must be usable: roll over to a new manifest and append an edit.
void ContinueAfterRecovery(Env* env, const ModelState& recovered) {
  ModelState state = recovered;
  const uint64_t number = state.next_file_number;
  state.next_file_number = number + 2;
  auto writer = ManifestWriter::Create(env, kDir, number, 0, test::TestDbId(),
                                       state.Snapshot(test::TestDbId()));
  ASSERT_OK(writer.status());
  ASSERT_OK(WriteCurrent(env, kDir, number));
  VersionEdit edit;
  edit.added_wals = {number + 1};
  ASSERT_OK(writer.value()->Append(edit));
  state.Apply(edit);
  bool found = false;
  ModelState again;
  ManifestReadReport report;
  Recover(env, &found, &again, &report);
  ASSERT_TRUE(found);
  EXPECT_EQ(again, state);
}

// Checks the recovered state against the workload's record of what it attempted. Counts
// recoveries that cut a torn tail in *torn_tails.
void CheckRecovery(Env* env, const Outcome& workload, int* torn_tails) {
  bool found = false;
  ModelState recovered;
  ManifestReadReport report;
  ASSERT_NO_FATAL_FAILURE(Recover(env, &found, &recovered, &report));
  *torn_tails += report.torn_tail ? 1 : 0;
  if (!found) {
    EXPECT_EQ(workload.durable, -1) << "CURRENT lost after it was acknowledged";
    return;
  }
  int index = -1;
  for (int k = workload.attempted(); k >= std::max(workload.durable, 0); k--) {
    if (workload.states[k] == recovered) {
      index = k;
      break;
    }
  }
  ASSERT_GE(index, 0) << "recovered a state that is not allowed: newest acknowledged "
                      << workload.durable << ", attempted " << workload.attempted()
                      << "; recovered:\n"
                      << recovered.Snapshot(test::TestDbId()).DebugString();
  // Recovery repaired what it found: a second read sees the same state and a clean file.
  bool found_again = false;
  ModelState again;
  ManifestReadReport report_again;
  ASSERT_NO_FATAL_FAILURE(Recover(env, &found_again, &again, &report_again));
  EXPECT_EQ(again, recovered);
  EXPECT_FALSE(report_again.torn_tail);
  ASSERT_NO_FATAL_FAILURE(ContinueAfterRecovery(env, recovered));
}

std::unique_ptr<MemEnv> NewMemEnvWithDir() {
  auto env = std::make_unique<MemEnv>();
  EXPECT_OK(CreateDirDurably(env.get(), kDir));
  return env;
}

TEST(ManifestCrashTest, CrashAtEverySyncPointRecoversAnAcknowledgedPrefix) {
  const uint64_t seed = cairn::test::TestSeed();
  SCOPED_TRACE("CAIRN_TEST_SEED=" + std::to_string(seed));
  int crashes = 0;
  int torn_tails = 0;
  for (int variant = 0; variant < 4; variant++) {  // 0: exact; 1-3: torn writes, 3 seeds
    for (uint64_t point = 0;; point++) {
      SCOPED_TRACE("variant " + std::to_string(variant) + ", sync point " + std::to_string(point));
      auto env = NewMemEnvWithDir();
      env->ScheduleCrashAtSyncPoint(env->sync_point_count() + point);
      auto workload = std::make_unique<Workload>(env.get(), false);
      Status s = workload->Run(4, 3);
      if (!env->crashed()) {
        ASSERT_OK(s);
        // Past the last sync point: crash once more after the workload (this also cancels
        // the scheduled freeze, which would otherwise hit the recovery below).
        const Outcome outcome = workload->outcome();
        EXPECT_EQ(outcome.durable, outcome.attempted());
        workload.reset();
        env->Crash(CrashOptions{variant > 0, seed + 1000 * variant + point});
        ASSERT_NO_FATAL_FAILURE(CheckRecovery(env.get(), outcome, &torn_tails));
        break;
      }
      EXPECT_FALSE(s.ok());
      crashes++;
      const Outcome outcome = workload->outcome();
      workload.reset();  // closes the manifest writer before the restart
      env->Restart(CrashOptions{variant > 0, seed + 1000 * variant + point});
      ASSERT_NO_FATAL_FAILURE(CheckRecovery(env.get(), outcome, &torn_tails));
    }
  }
  EXPECT_GT(crashes, 4 * 15);
  // Torn writes must have produced torn tails for the reader to cut.
  EXPECT_GT(torn_tails, 0);
}

TEST(ManifestCrashTest, InjectedErrorsReachTheCallerAndRecoveryHoldsEveryAcknowledgedEdit) {
  const uint64_t seed = cairn::test::TestSeed();
  SCOPED_TRACE("CAIRN_TEST_SEED=" + std::to_string(seed));
  int rollovers_after_failure = 0;
  int torn_tails = 0;
  for (uint64_t op = 0;; op++) {
    SCOPED_TRACE("failing operation " + std::to_string(op));
    auto env = NewMemEnvWithDir();
    auto faults = std::make_unique<FaultEnv>(env.get());
    faults->SetFlavour(op % 2 == 0 ? FaultFlavour::kEIO : FaultFlavour::kENOSPC);
    faults->FailOperation(op);
    auto workload = std::make_unique<Workload>(faults.get(), true);
    Status s = workload->Run(4, 3);
    const bool injected = faults->injected_count() > 0;
    if (injected) {
      EXPECT_GE(workload->errors_seen(), 1) << "an injected error was swallowed";
      if (s.ok()) rollovers_after_failure++;
    } else {
      ASSERT_OK(s);
    }
    const Outcome outcome = workload->outcome();
    workload.reset();
    faults.reset();
    env->Crash(CrashOptions{op % 3 == 0, seed + op});
    ASSERT_NO_FATAL_FAILURE(CheckRecovery(env.get(), outcome, &torn_tails));
    if (!injected) break;
  }
  EXPECT_GT(rollovers_after_failure, 0);
}

}  // namespace
}  // namespace cairn::manifest
