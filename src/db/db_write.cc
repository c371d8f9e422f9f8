// The write path: group commit through the WAL into the MemTable.
//
// Per group, the leader:
//   1. switches to a new MemTable and WAL if the active one is full;
//   2. allocates the group's sequence numbers (never reused, even if the commit fails);
//   3. encodes one WAL record per batch and writes them all with one write(2);
//   4. fdatasyncs if any writer asked for sync;
//   5. inserts the batches into the MemTable and only then publishes the new visible sequence;
//   6. wakes each writer with its result.
// A failure in 3 or 4 poisons the WAL and puts the DB in its sticky read-only state; the
// group's writers get IOError "outcome unknown", and nothing of the group becomes visible.
#include "db/batch_payload.h"
#include "db/db_impl.h"
#include "env/env_util.h"
#include "util/filename.h"

namespace cairn {

Status DBImpl::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, batch);
}

Status DBImpl::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, batch);
}

Status DBImpl::ReadOnlyError() {
  std::lock_guard<std::mutex> lock(mu_);
  return ReadOnlyErrorLocked();
}

Status DBImpl::ReadOnlyErrorLocked() {
  if (error_.ok()) {
    return Status::OK();
  }
  return Status::IOError("database is read-only after a write-path failure; reopen it to "
                         "recover (cause: " + error_.ToString() + ")",
                         Status::SubCode::kReadOnly);
}

Status DBImpl::Write(const WriteOptions& options, const WriteBatch& batch) {
  CAIRN_RETURN_IF_ERROR(batch.Validate());
  CAIRN_RETURN_IF_ERROR(ReadOnlyError());
  if (batch.Count() == 0) {
    return Status::OK();
  }
  WriteQueue::Writer self(&batch, options.sync);
  if (!write_queue_.JoinAndWaitForLeadership(&self)) {
    return self.status;  // a leader committed this write
  }
  std::vector<WriteQueue::Writer*> group = write_queue_.FormGroup(&self);
  Status s = CommitGroup(group);
  for (WriteQueue::Writer* writer : group) {
    writer->status = s;
  }
  write_queue_.FinishGroup(group);
  return s;
}

Status DBImpl::CommitGroup(const std::vector<WriteQueue::Writer*>& group) {
  // A previous group may have failed while this leader was queued.
  CAIRN_RETURN_IF_ERROR(ReadOnlyError());
  CAIRN_RETURN_IF_ERROR(MaybeSwitchMemTable());

  bool sync = false;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  uint64_t commit_micros = 0;
  std::shared_ptr<MemTable> memtable;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Commit times never decrease, even if the wall clock steps back, so a segment's time
    // range always bounds its records (retention relies on it).
    last_commit_micros_ = std::max(last_commit_micros_, env_->NowMicros());
    commit_micros = last_commit_micros_;
    first_sequence = allocated_sequence_ + 1;
    for (WriteQueue::Writer* writer : group) {
      writer->first_sequence = allocated_sequence_ + 1;
      allocated_sequence_ += writer->batch->Count();
      sync = sync || writer->sync;
    }
    last_sequence = allocated_sequence_;
    memtable = view_->active;
  }
  assert(last_sequence <= kMaxSequenceNumber);

  commit_buffer_.clear();
  for (WriteQueue::Writer* writer : group) {
    wal_->AppendRecord(wal::RecordType::kBatch, writer->first_sequence, writer->batch->Count(),
                       commit_micros, writer->batch->rep(), &commit_buffer_);
  }
  Status s = wal_->Write(commit_buffer_);
  if (s.ok() && sync) {
    s = wal_->Sync();
    stat_syncs_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) {
      error_ = s;
    }
    Log("write path failed; database is now read-only: " + s.ToString() + " (sequence numbers " +
        std::to_string(first_sequence) + ".." + std::to_string(last_sequence) + " unknown)");
    return Status::IOError("write outcome unknown: " + s.ToString(),
                           Status::SubCode::kOutcomeUnknown);
  }
  for (WriteQueue::Writer* writer : group) {
    // The batch was validated by Write(); a failure here would be a bug, not bad input.
    Status inserted = InsertBatchPayload(writer->batch->rep(), writer->batch->Count(),
                                         writer->first_sequence, memtable.get());
    assert(inserted.ok());
    inserted.IgnoreError();
  }
  memtable->NoteCommitTime(commit_micros);
  visible_sequence_.store(last_sequence, std::memory_order_release);
  active_wal_bytes_.store(wal_->written_offset(), std::memory_order_relaxed);
  stat_commits_.fetch_add(1, std::memory_order_relaxed);
  stat_writes_.fetch_add(group.size(), std::memory_order_relaxed);
  stat_bytes_written_.fetch_add(commit_buffer_.size(), std::memory_order_relaxed);
  return Status::OK();
}

Status DBImpl::MaybeSwitchMemTable() {
  std::shared_ptr<const ReadView> view = CurrentView();
  if (view->active->ApproximateMemoryUsage() < options_.memtable_size_bytes) {
    return Status::OK();
  }
  // The old log is synced completely before its successor exists: recovery relies on every
  // log but the newest being whole (docs/durability.md).
  Status s = wal_->Sync();
  if (s.ok()) {
    s = StartNewWal(wal_->file_number());
  }
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_.ok()) {
      error_ = s.WithContext("switching to a new WAL");
    }
    Log("WAL switch failed; database is now read-only: " + s.ToString());
    return ReadOnlyErrorLocked();
  }
  return Status::OK();
}

}  // namespace cairn
