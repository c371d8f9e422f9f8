// Background work: flushing immutable MemTables, compacting segments, and deleting files
// nothing references any more (docs/durability.md §4, "Flush" and "Compaction").
//
// Flush, per immutable MemTable, oldest first:
//   1. build the segment outside any lock (jobs/FlushMemTable), fdatasync it, fsync the dir;
//   2. append a manifest edit {add segment at level 0, log_number = the MemTable's successor
//      WAL} and fdatasync it (VersionSet::LogAndApply);
//   3. publish a read view without the MemTable and with the new version;
//   4. delete WAL files below log_number (DeleteObsoleteFiles).
// A crash between any two steps recovers the old state (the WAL is replayed; an orphan
// segment is removed) or the new one. A failed flush keeps the MemTable, deletes its output,
// reports the stage, and retries with backoff.
#include <algorithm>

#include "db/db_impl.h"
#include "env/env_util.h"
#include "jobs/jobs.h"
#include "util/filename.h"

namespace cairn {

void DBImpl::RegisterJobs() {
  // A failed flush keeps its MemTable and is retried; a compaction too, unless it found
  // damaged data (CompactionRound). 50 ms doubling to 5 s: quick after a transient error,
  // and a persistent one (a full disk) costs a line in the LOG every 5 s, not a busy loop.
  const BackoffPolicy backoff{/*initial_micros=*/50 * 1000, /*max_micros=*/5 * 1000 * 1000};
  auto log = [this](const std::string& line) { Log(line); };
  flush_worker_ = std::make_unique<BackgroundWorker>(
      env_, "flush", backoff, [this](const JobControl& c) { return FlushRound(c); }, log);
  compaction_worker_ = std::make_unique<BackgroundWorker>(
      env_, "compaction", backoff, [this](const JobControl& c) { return CompactionRound(c); }, log);
}

void DBImpl::StartJobs() {
  wal_->StartThread();
  flush_worker_->Start();
  compaction_worker_->Start();
  flush_worker_->Request();  // what recovery left immutable
}

void DBImpl::StopJobs() {
  flush_worker_->Stop();
  compaction_worker_->Stop();
}

uint64_t DBImpl::NewOutputNumber() {
  uint64_t number = versions_->NewFileNumber();
  MutexLock lock(&mu_);
  pending_outputs_.insert(number);
  return number;
}

JobContext DBImpl::NewJobContext() {
  JobContext context;
  context.env = env_;
  context.dir = dir_;
  context.options = &options_;
  context.new_file_number = [this] { return NewOutputNumber(); };
  context.oldest_snapshot = OldestSnapshotSequence();
  return context;
}

Status DBImpl::ApplyJobEdit(VersionEdit edit) {
  uint64_t last_micros;
  {
    MutexLock lock(&mu_);
    last_micros = last_commit_micros_;
  }
  return versions_->LogAndApply(std::move(edit), visible_sequence_.load(), last_micros);
}

void DBImpl::ReleasePendingOutputs(const std::vector<uint64_t>& numbers) {
  MutexLock lock(&mu_);
  for (uint64_t number : numbers) {
    pending_outputs_.erase(number);
  }
}

uint64_t DBImpl::OldestSnapshotSequence() {
  MutexLock lock(&mu_);
  if (!snapshots_.empty()) {
    return snapshots_.begin()->first;
  }
  return visible_sequence_.load(std::memory_order_acquire);
}

// One round flushes every immutable MemTable present when it starts, oldest first, so a
// caller of RequestAndWait() (DB::Flush) finds every MemTable that was immutable before its
// request flushed when the round ends. It stops at the first failure, which is retried.
JobRound DBImpl::FlushRound(const JobControl& control) {
  uint64_t newest_at_start = 0;  // MemTables switched after the round started wait for the next
  for (;;) {
    Immutable oldest;
    {
      MutexLock lock(&mu_);
      if (view_->immutables.empty()) {
        return JobRound::Idle();
      }
      if (newest_at_start == 0) {
        newest_at_start = view_->immutables.front().id;
      }
      oldest = view_->immutables.back();
    }
    if (oldest.id > newest_at_start) {
      // Ends the round, so a DB::Flush waiting for it is not held up by a writer that keeps
      // switching MemTables; the next round starts at once.
      return JobRound::Again();
    }
    if (control.stopping()) {
      return JobRound::Idle();  // unflushed MemTables are still in their WAL files
    }
    Status s = FlushImmutable(oldest);
    {
      MutexLock lock(&mu_);
      flush_error_ = s;
      if (!s.ok()) {
        last_background_error_ = s.ToString();
      }
      flush_done_cv_.SignalAll();
    }
    if (!s.ok()) {
      return JobRound::Retry(s);
    }
    compaction_worker_->Request();
  }
}

Status DBImpl::FlushImmutable(const Immutable& immutable) {
  JobResult result;
  Status s = FlushMemTable(*immutable.memtable, NewJobContext(), &result);
  if (s.ok()) {
    VersionEdit edit;
    edit.added_segments = result.outputs;
    edit.log_number = immutable.next_wal_number;
    s = ApplyJobEdit(std::move(edit)).WithContext("flush: manifest");
  }
  ReleasePendingOutputs(result.output_numbers);
  if (!s.ok()) {
    return s;  // outputs are orphans: removed by the collector once the manifest is healthy
  }
  stats_.flushes.fetch_add(1, std::memory_order_relaxed);
  stats_.flush_bytes.fetch_add(result.bytes_written, std::memory_order_relaxed);
  InstallVersion(&immutable);
  Log("flushed MemTable " + std::to_string(immutable.id) + ": " +
      std::to_string(result.entries_written) + " entries, " + std::to_string(result.bytes_written) +
      " bytes");
  DeleteObsoleteFilesInBackground();
  return Status::OK();
}

void DBImpl::InstallVersion(const Immutable* flushed) {
  MutexLock lock(&mu_);
  auto view = std::make_shared<ReadView>(*view_);
  view->version = versions_->current();
  if (flushed != nullptr) {
    auto& list = view->immutables;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const Immutable& m) { return m.id == flushed->id; }),
               list.end());
    flushed_memtable_id_ = std::max(flushed_memtable_id_, flushed->id);
    // WAL files below the new log number are obsolete (deleted by the collector).
    uint64_t log_number = versions_->log_number();
    live_wal_bytes_.erase(live_wal_bytes_.begin(), live_wal_bytes_.lower_bound(log_number));
  }
  view_ = std::move(view);
}

// One compaction per round, then another round at once while the picker finds work.
JobRound DBImpl::CompactionRound(const JobControl& control) {
  {
    MutexLock lock(&mu_);
    if (!error_.ok() || closing_ || control.stopping()) {
      return JobRound::Idle();
    }
  }
  Status s;
  {
    MutexLock compaction_lock(&compaction_mu_);
    std::optional<CompactionPlan> plan = picker_.Pick(*versions_->current());
    if (!plan.has_value()) {
      return JobRound::Idle();
    }
    s = RunCompaction(std::move(*plan));
  }
  if (s.ok()) {
    return JobRound::Again();  // more may be due
  }
  MutexLock lock(&mu_);
  last_background_error_ = s.ToString();
  if (s.IsCorruption()) {
    // Damaged data must not be compacted into new files, and writes piling into level 0
    // would only hide it: stop, read-only, and let the operator verify.
    SetErrorLocked(s);
    return JobRound::Stop(s);
  }
  return JobRound::Retry(s);
}

Status DBImpl::RunCompaction(CompactionPlan plan) {
  Status s = CompactAndApply(plan);
  if (!s.ok()) {
    return s;
  }
  // The plan holds the replaced files; drop it before collecting so they can go now.
  plan = CompactionPlan();
  DeleteObsoleteFilesInBackground();
  return Status::OK();
}

Status DBImpl::CompactAndApply(const CompactionPlan& plan) {
  std::shared_ptr<const Version> version = versions_->current();
  VersionEdit edit;
  for (const Version::Files* files : {&plan.inputs, &plan.next_inputs}) {
    for (const auto& file : *files) {
      edit.deleted_segments.push_back({file->meta.level, file->meta.number});
    }
  }
  JobResult result;
  Status s;
  if (plan.trivial_move) {
    SegmentMeta moved = plan.inputs.front()->meta;
    moved.level = static_cast<uint32_t>(plan.output_level);
    edit.added_segments.push_back(moved);
  } else {
    s = CompactSegments(plan, *version, NewJobContext(), &result);
    edit.added_segments = result.outputs;
  }
  if (s.ok()) {
    s = ApplyJobEdit(std::move(edit)).WithContext("compaction: manifest");
  }
  ReleasePendingOutputs(result.output_numbers);
  CAIRN_RETURN_IF_ERROR(s);
  if (plan.trivial_move) {
    stats_.trivial_moves.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats_.compactions.fetch_add(1, std::memory_order_relaxed);
    stats_.compaction_bytes_read.fetch_add(result.bytes_read, std::memory_order_relaxed);
    stats_.compaction_bytes_written.fetch_add(result.bytes_written, std::memory_order_relaxed);
  }
  InstallVersion(nullptr);
  Log("compaction " + plan.reason + (plan.trivial_move ? " (moved)" : "") + ": " +
      std::to_string(plan.inputs.size() + plan.next_inputs.size()) + " inputs, " +
      std::to_string(result.outputs.size()) + " outputs, " + std::to_string(result.bytes_read) +
      " bytes read, " + std::to_string(result.bytes_written) + " written, " +
      std::to_string(result.dropped_versions + result.dropped_deletions) + " entries dropped");
  return Status::OK();
}

// The one file collector (DESIGN.md §3). A file is deleted only when nothing references it:
// not the current version nor an older one a reader still holds, not a running job's pending
// output, not a live WAL, not the current manifest. Files Cairn does not recognise, and
// quarantined ones, are never touched.
Status DBImpl::DeleteObsoleteFiles(bool at_open) {
  if (!versions_->manifest_healthy()) {
    return Status::OK();  // a failed manifest append may yet be what recovery reads: keep all
  }
  // Order matters. A job reserves an output's number (pending) before creating the file, and
  // installs its version before dropping the number from pending. So: list the directory
  // first (every file listed already had its number reserved), then read pending, then the
  // live versions; each listed output is in one or the other. (Both other orders once
  // deleted a live segment: found by the crash sweep and the WAL-cap test.)
  auto children = env_->GetChildren(dir_);
  if (!children.ok()) {
    return children.status().WithContext("collecting obsolete files");
  }
  std::set<uint64_t> pending;
  {
    MutexLock lock(&mu_);
    pending = pending_outputs_;
  }
  std::set<uint64_t> live_segments = versions_->LiveSegmentNumbers();
  uint64_t log_number = versions_->log_number();
  uint64_t manifest_number = versions_->manifest_number();
  for (const std::string& name : children.value()) {
    FileType type;
    uint64_t number;
    if (!ParseFileName(name, &type, &number)) {
      continue;
    }
    bool obsolete = false;
    switch (type) {
      case FileType::kSegment:
        obsolete = live_segments.count(number) == 0 && pending.count(number) == 0;
        break;
      case FileType::kWal:
        // Obsolete once every record in it is in a segment; the WAL manager may keep it to
        // overwrite as a future WAL.
        obsolete = number < log_number && (wal_ == nullptr || !wal_->OfferObsoleteWal(number));
        break;
      case FileType::kManifest:
        // While jobs run, a newer manifest may be a rollover in progress; at open nothing
        // runs, and one left by a failed rollover is an orphan.
        obsolete = at_open ? number != manifest_number : number < manifest_number;
        break;
      case FileType::kIdentity:
      case FileType::kLock:
      case FileType::kInfoLog:
      case FileType::kInfoLogOld:
      case FileType::kQuarantined:
      case FileType::kTemp:
      case FileType::kCurrent:
        break;  // not the collector's (kFileTypes says whose)
    }
    if (!obsolete) {
      continue;
    }
    assert(InfoOf(type).deleter == FileDeleter::kCollector);
    Status s = env_->RemoveFile(JoinPath(dir_, name));
    // A deletion that does not happen only delays it: the next collection retries. NotFound:
    // another collection (a concurrent job's) got there first.
    if (s.ok()) {
      Log("deleted obsolete " + name);
    } else if (!s.IsNotFound()) {
      Log("could not delete " + name + ": " + s.ToString());
    }
  }
  return Status::OK();
}

void DBImpl::DeleteObsoleteFilesInBackground() {
  Status s = DeleteObsoleteFiles(/*at_open=*/false);
  if (!s.ok()) {
    // Obsolete files only cost space; the next collection (after the next job) retries.
    Log(s.ToString());
  }
}

Status DBImpl::Flush() {
  CAIRN_RETURN_IF_ERROR(ReadOnlyError());
  // Switch the active MemTable through the write queue (the leader owns the WAL), so every
  // write acknowledged before this call is in an immutable MemTable afterwards.
  WriteBatch empty;
  WriteQueue::Writer self(&empty, /*sync=*/false, /*switch_only=*/true);
  bool leader = write_queue_.JoinAndWaitForLeadership(&self);
  assert(leader && "a switch request always leads its own group");
  (void)leader;
  std::vector<WriteQueue::Writer*> group = write_queue_.FormGroup(&self);
  Status s = CommitGroup(group);
  write_queue_.FinishGroup(group);
  CAIRN_RETURN_IF_ERROR(s);
  {
    MutexLock lock(&mu_);
    if (view_->immutables.empty()) {
      return Status::OK();  // nothing was written since the last flush
    }
  }
  // The round that serves this request flushes every MemTable that is immutable now, or
  // fails with the reason (the state is then unchanged and the flush is retried).
  s = flush_worker_->RequestAndWait();
  if (!s.ok()) {
    MutexLock lock(&mu_);
    if (!error_.ok() || closing_) {
      return ReadOnlyErrorLocked();
    }
  }
  return s;
}

Status DBImpl::CompactRange(const std::string_view* begin, const std::string_view* end) {
  CAIRN_RETURN_IF_ERROR(Flush());
  MutexLock compaction_lock(&compaction_mu_);
  int deepest = 0;
  std::shared_ptr<const Version> version = versions_->current();
  for (int level = 0; level < kNumLevels; level++) {
    if (!version
             ->Overlapping(level, begin != nullptr ? *begin : std::string_view(),
                           end != nullptr ? *end : std::string_view(), begin == nullptr,
                           end == nullptr)
             .empty()) {
      deepest = level;
    }
  }
  version.reset();  // a held version would keep the files compaction replaces
  // Each level above the deepest one holding the range moves down one level; the deepest is
  // rewritten in place (level 0 always moves to level 1), so its garbage goes too.
  for (int level = 0; level <= deepest; level++) {
    bool in_place = level == deepest && level >= 1;
    if (!in_place && level == kNumLevels - 1) {
      break;
    }
    std::optional<CompactionPlan> plan =
        picker_.PickRange(*versions_->current(), level, begin, end, in_place);
    if (!plan.has_value()) {
      continue;
    }
    plan->trivial_move = false;  // rewrite, so garbage is dropped
    Status s = RunCompaction(std::move(*plan));
    if (s.IsCorruption()) {
      // As for a background compaction: damaged data is never compacted into new files.
      MutexLock lock(&mu_);
      SetErrorLocked(s);
    }
    CAIRN_RETURN_IF_ERROR(s);
  }
  return Status::OK();
}

}  // namespace cairn
