// The write path: group commit through the WAL into the MemTable (docs/durability.md §2).
//
// Per group, the leader:
//   1. makes room: switches to a new MemTable and WAL if the active one is full (or a flush
//      asked for it, or the WAL cap is reached), and slows down or waits under write pressure.
//      The switch finishes the old WAL and installs the next one, which the WAL thread has
//      normally prepared already (db_wal.cc);
//   2. allocates the group's sequence numbers (never reused, even if the commit fails);
//   3. encodes one WAL record per batch and writes them all with one write(2);
//   4. fdatasyncs if any writer asked for sync;
//   5. inserts the batches into the MemTable and only then publishes the new visible sequence;
//   6. wakes each writer with its result.
// A failure in 3 or 4 poisons the WAL and puts the DB in its sticky read-only state; the
// group's writers get IOError "outcome unknown", and nothing of the group becomes visible.
#include "db/batch_payload.h"
#include "db/db_impl.h"
#include "db/write_pressure.h"
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
  return Status::IOError("database is read-only after a failure; reopen it to recover (cause: " +
                             error_.ToString() + ")",
                         Status::SubCode::kReadOnly);
}

void DBImpl::SetErrorLocked(const Status& error) {
  if (error_.ok()) {
    error_ = error;
    last_background_error_ = error.ToString();
    Log("database is now read-only: " + error.ToString());
  }
  flush_done_cv_.notify_all();  // writers waiting for room must see it
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

Status DBImpl::SyncWal() {
  CAIRN_RETURN_IF_ERROR(ReadOnlyError());
  // Every write that returned before this call was written by a group that has finished, and
  // groups are strictly ordered, so when this request leads or joins a group the current WAL
  // holds them all (older WALs were synced whole before their successor received a record).
  WriteBatch empty;
  WriteQueue::Writer self(&empty, /*sync=*/true);
  if (!write_queue_.JoinAndWaitForLeadership(&self)) {
    return self.status;
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
  bool writes_anything = false;
  for (const WriteQueue::Writer* writer : group) {
    writes_anything = writes_anything || writer->batch->Count() > 0 || writer->force_switch;
  }
  if (!writes_anything) {
    return SyncOnlyGroup();  // only sync requests: no room needed, nothing to write
  }
  CAIRN_RETURN_IF_ERROR(MakeRoomForWrite(/*force_switch=*/group.front()->force_switch));
  if (group.front()->force_switch) {
    return Status::OK();  // a flush request: the switch was the whole job
  }
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
  uint64_t user_bytes = 0;
  uint64_t batches = 0;
  for (WriteQueue::Writer* writer : group) {
    if (writer->batch->Count() == 0) {
      continue;  // a sync request
    }
    batches++;
    wal_->AppendRecord(record::RecordType::kBatch, writer->first_sequence, writer->batch->Count(),
                       commit_micros, writer->batch->rep(), &commit_buffer_);
    user_bytes += writer->batch->rep().size();
  }
  Status s = wal_->Write(commit_buffer_);
  if (s.ok() && sync) {
    s = wal_->Sync();
    stats_.syncs.fetch_add(1, std::memory_order_relaxed);
    NoteSyncedCommit();
  }
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    SetErrorLocked(s);
    Log("write path failed (sequence numbers " + std::to_string(first_sequence) + ".." +
        std::to_string(last_sequence) + " have an unknown outcome)");
    return Status::IOError("write outcome unknown: " + s.ToString(),
                           Status::SubCode::kOutcomeUnknown);
  }
  for (WriteQueue::Writer* writer : group) {
    if (writer->batch->Count() == 0) {
      continue;
    }
    // The batch was validated by Write(); a failure here would be a bug, not bad input.
    Status inserted = InsertBatchPayload(writer->batch->rep(), writer->batch->Count(),
                                         writer->first_sequence, memtable.get());
    assert(inserted.ok());
    inserted.IgnoreError();
  }
  memtable->NoteCommitTime(commit_micros);
  visible_sequence_.store(last_sequence, std::memory_order_release);
  active_wal_bytes_.store(wal_->written_offset(), std::memory_order_relaxed);
  MaybeRequestBackgroundWalSync();
  MaybeRequestWalPreparation(*memtable);
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  stats_.writes.fetch_add(batches, std::memory_order_relaxed);
  stats_.user_bytes.fetch_add(user_bytes, std::memory_order_relaxed);
  stats_.wal_bytes.fetch_add(commit_buffer_.size(), std::memory_order_relaxed);
  return Status::OK();
}

Status DBImpl::SyncOnlyGroup() {
  Status s = wal_->Sync();
  stats_.syncs.fetch_add(1, std::memory_order_relaxed);
  NoteSyncedCommit();
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    SetErrorLocked(s);
    return Status::IOError("sync outcome unknown: " + s.ToString(),
                           Status::SubCode::kOutcomeUnknown);
  }
  return Status::OK();
}

Status DBImpl::MakeRoomForWrite(bool force_switch) {
  bool delayed = false;
  for (;;) {
    std::shared_ptr<const ReadView> view = CurrentView();
    CAIRN_RETURN_IF_ERROR(ReadOnlyError());
    WritePressure pressure;
    pressure.memtable_bytes = MemTableBytes(*view);
    for (const Immutable& immutable : view->immutables) {
      if (immutable.id == recovered_memtable_id_) {
        // The MemTable replayed at open is not counted: replaying a WAL at its cap can give
        // more than the memory limit, and stopping writers would not free it any sooner
        // (its flush is already queued). Memory is bounded by it plus the limit meanwhile.
        pressure.memtable_bytes -= std::min(pressure.memtable_bytes,
                                            immutable.memtable->ApproximateMemoryUsage());
      }
    }
    pressure.l0_files = static_cast<int>(view->version->files(0).size());
    bool active_empty = view->active->entry_count() == 0;
    // "Full" counts the bytes entries use, not the arena's reserved blocks, so a small
    // memtable_size_bytes still holds many writes. An empty MemTable is never switched.
    bool full = view->active->ApproximateDataBytes() >= options_.memtable_size_bytes;
    // Past the WAL cap, switch so a flush can retire the old WALs; while a flush is already
    // pending, switching again would only make tiny MemTables.
    bool wal_cap = view->immutables.empty() && LiveWalBytes() > WalCapBytes();
    bool wants_switch = !active_empty && (force_switch || full || wal_cap);
    if (MustStopWrites(pressure, options_) && !view->immutables.empty()) {
      // The hard stop: MemTable memory at its limit. Wait for a flush to free some; if the
      // last flush failed, fail this write cleanly rather than wait for ever.
      uint64_t start = env_->NowMonotonicMicros();
      std::unique_lock<std::mutex> lock(mu_);
      if (!flush_error_.ok()) {
        return flush_error_.WithContext("writes stopped: MemTable memory is full and flushing "
                                        "fails");
      }
      uint64_t flushed = flushed_memtable_id_;
      flush_done_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] {
        return flushed_memtable_id_ != flushed || !error_.ok() || !flush_error_.ok();
      });
      stats_.stops.fetch_add(1, std::memory_order_relaxed);
      stats_.stop_micros.fetch_add(env_->NowMonotonicMicros() - start, std::memory_order_relaxed);
      continue;
    }
    if (wants_switch) {
      CAIRN_RETURN_IF_ERROR(SwitchMemTable());
      force_switch = false;
      continue;
    }
    uint64_t delay = delayed ? 0 : WriteDelayMicros(pressure, options_);
    if (delay > 0) {
      env_->SleepMicros(delay);
      delayed = true;
      stats_.delayed_groups.fetch_add(1, std::memory_order_relaxed);
      stats_.delay_micros.fetch_add(delay, std::memory_order_relaxed);
      continue;  // re-evaluate: the MemTable may have filled meanwhile
    }
    return Status::OK();
  }
}

Status DBImpl::SwitchMemTable() {
  // The old log ends durably at its last record before its successor receives one: recovery
  // relies on every log but the newest holding records being whole (docs/durability.md).
  // The WAL thread's background syncs keep what is left to sync here small.
  Status s = wal_->Finish(env_);
  // Waits only if the WAL thread is preparing right now (a few small syncs); normally the
  // next WAL is ready and the switch creates nothing.
  std::lock_guard<std::mutex> prep(wal_prep_mu_);
  if (s.ok()) {
    // A failed preparation (or switch) may have left a WAL file following the active one;
    // creating another would break the chain. Its error is set before wal_prep_mu_ is
    // released, so it is seen here.
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_RETURN_IF_ERROR(ReadOnlyErrorLocked());
  }
  if (s.ok()) {
    std::unique_ptr<record::RecordWriter> next = std::move(prepared_wal_);
    if (next == nullptr) {
      auto created = CreateAndRecordWal(wal_->file_number(), NextWalForDurableWrites());
      if (created.ok()) {
        next = std::move(created).value();
      } else {
        s = created.status();
      }
    }
    if (s.ok()) {
      assert(next->file_number() > wal_->file_number());
      InstallWal(std::move(next));
      return Status::OK();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  SetErrorLocked(s.WithContext("switching to a new WAL"));
  return ReadOnlyErrorLocked();
}

}  // namespace cairn
