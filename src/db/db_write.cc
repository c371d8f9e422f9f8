// The write path: group commit through the WAL into the MemTable (docs/durability.md §2).
//
// Per group, the leader:
//   1. makes room: switches to a new MemTable and WAL if the active one is full (or a flush
//      asked for it, or the WAL cap is reached), and slows down or waits under write pressure.
//      The switch finishes the old WAL and installs the next one, which the WAL manager's
//      thread has normally prepared already (wal/wal_manager.h);
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
  MutexLock lock(&mu_);
  return ReadOnlyErrorLocked();
}

Status DBImpl::ReadOnlyErrorLocked() {
  if (closing_) {
    return Status::IOError("database is closed");
  }
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
  flush_done_cv_.SignalAll();  // writers waiting for room must see it
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
    MutexLock lock(&mu_);
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

  record::RecordWriter* wal = wal_->active();
  commit_buffer_.clear();
  uint64_t user_bytes = 0;
  uint64_t batches = 0;
  for (WriteQueue::Writer* writer : group) {
    if (writer->batch->Count() == 0) {
      continue;  // a sync request
    }
    batches++;
    wal->AppendRecord(record::RecordType::kBatch, writer->first_sequence, writer->batch->Count(),
                      commit_micros, writer->batch->rep(), &commit_buffer_);
    user_bytes += writer->batch->rep().size();
  }
  Status s = wal->Write(commit_buffer_);
  if (s.ok() && sync) {
    s = wal->Sync();
    stats_.syncs.fetch_add(1, std::memory_order_relaxed);
  }
  if (!s.ok()) {
    MutexLock lock(&mu_);
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
  wal_->AfterCommit(sync, memtable->ApproximateDataBytes());
  stats_.commits.fetch_add(1, std::memory_order_relaxed);
  stats_.writes.fetch_add(batches, std::memory_order_relaxed);
  stats_.user_bytes.fetch_add(user_bytes, std::memory_order_relaxed);
  stats_.wal_bytes.fetch_add(commit_buffer_.size(), std::memory_order_relaxed);
  return Status::OK();
}

Status DBImpl::SyncOnlyGroup() {
  Status s = wal_->active()->Sync();
  stats_.syncs.fetch_add(1, std::memory_order_relaxed);
  wal_->AfterCommit(/*synced=*/true, /*memtable_data_bytes=*/0);
  if (!s.ok()) {
    MutexLock lock(&mu_);
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
        pressure.memtable_bytes -=
            std::min(pressure.memtable_bytes, immutable.memtable->ApproximateMemoryUsage());
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
      {
        MutexLock lock(&mu_);
        if (!flush_error_.ok()) {
          return flush_error_.WithContext(
              "writes stopped: MemTable memory is full and flushing fails");
        }
        // One wait of at most 100 ms for a flush to end (or the database to fail or close:
        // both signal too), then the pressure is judged again.
        if (error_.ok() && !closing_) {
          flush_done_cv_.WaitForMicros(&mu_, 100 * 1000);
        }
      }
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
  uint64_t old_number = 0;
  uint64_t old_bytes = 0;
  Status s = ReadOnlyError();
  if (s.ok()) {
    s = wal_->Switch(&old_number, &old_bytes);
  }
  if (s.ok()) {
    InstallSwitch(wal_->active()->file_number(), old_number, old_bytes);
    return Status::OK();
  }
  MutexLock lock(&mu_);
  SetErrorLocked(s.WithContext("switching to a new WAL"));
  return ReadOnlyErrorLocked();
}

void DBImpl::InstallSwitch(uint64_t next_wal_number, uint64_t old_wal_number,
                           uint64_t old_wal_bytes) {
  MutexLock lock(&mu_);
  auto view = std::make_shared<ReadView>(*view_);
  if (view_->active->entry_count() > 0) {
    Immutable immutable;
    immutable.memtable = view_->active;
    immutable.id = next_memtable_id_++;
    immutable.next_wal_number = next_wal_number;
    view->immutables.insert(view->immutables.begin(), std::move(immutable));
  }
  view->active = std::make_shared<MemTable>();
  view->version = versions_->current();
  const bool flush_due = view->immutables.size() > view_->immutables.size();
  view_ = std::move(view);
  if (old_wal_number != 0 && old_wal_number >= versions_->log_number()) {
    live_wal_bytes_[old_wal_number] = old_wal_bytes;
  }
  live_wal_bytes_[next_wal_number] = 0;  // the active WAL: counted by wal_->active_bytes()
  if (flush_due && flush_worker_ != nullptr) {
    flush_worker_->Request();  // its own lock, taken after mu_ (never before it)
  }
}

}  // namespace cairn
