// WAL files: creation, recycling, preparation ahead of the switch, background sync
// (docs/durability.md §2 "The MemTable switch" and §7 "WAL recycling").
//
// The switch must not create files on the write path: the WAL thread prepares the next WAL
// (header durable, directory entry durable, recorded in the manifest) right after each
// switch, so the switch only finishes the old WAL and installs the prepared one. The next
// WAL is preferably a recycled obsolete WAL: overwriting an already-written file from offset
// 0 lets fdatasync write only data (no file size or extent change to commit through the
// journal) and avoids the discard stall of unlinking a large file. Without a pooled file (a
// new database), the next WAL is made from a zero-filled file instead, for the same reason.
//
// For sync=false writers, the WAL thread also syncs the active WAL once more than
// Options::wal_background_sync_bytes are unsynced, so the switch's final sync of the old WAL
// is short. It never blocks writers: WalWriter serialises syncs, not writes.
#include <algorithm>

#include "db/db_impl.h"
#include "env/env_util.h"
#include "util/filename.h"
#include "wal/wal_format.h"

namespace cairn {

uint64_t DBImpl::WalCapBytes() const {
  // Replaying the WAL at its cap must not produce more MemTable memory than writers may use,
  // or every open after a crash at the cap would start in a hard stop. A MemTable's memory
  // per byte of log stays below 2 for any record size (about 1.05 measured with 1000-byte
  // values), so half the memory limit is a safe cap.
  return std::min<uint64_t>(options_.max_wal_size_bytes, options_.max_memtable_memory_bytes / 2);
}

Result<std::unique_ptr<record::RecordWriter>> DBImpl::CreateAndRecordWal(uint64_t prev_log_number,
                                                                   bool for_durable_writes) {
  uint64_t number = versions_->NewFileNumber();
  record::FileHeader header;
  header.magic = wal::kWalMagic;
  header.file_number = number;
  header.prev_file_number = prev_log_number;
  header.db_id = db_id_;
  const std::string path = JoinPath(dir_, WalFileName(number));
  uint64_t pooled = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!wal_pool_.empty()) {
      pooled = *wal_pool_.begin();
      wal_pool_.erase(wal_pool_.begin());
      wal_reusing_ = pooled;  // the collector must not delete it while it is renamed
    }
  }
  std::unique_ptr<record::RecordWriter> writer;
  if (pooled != 0) {
    auto reused =
        record::RecordWriter::Reuse(env_, dir_, JoinPath(dir_, WalFileName(pooled)), path, header);
    {
      std::lock_guard<std::mutex> lock(mu_);
      wal_reusing_ = 0;
    }
    if (reused.ok()) {
      writer = std::move(reused).value();
      stats_.wal_recycled.fetch_add(1, std::memory_order_relaxed);
      Log("recycled " + WalFileName(pooled) + " as " + WalFileName(number));
    } else if (!reused.status().IsNotSupported() && !reused.status().IsNotFound()) {
      return reused.status().WithContext("recycling " + WalFileName(pooled) + " as " +
                                         WalFileName(number));
    } else {
      // NotSupported: the Env cannot overwrite in place (the pooled file, no longer in the
      // pool, is deleted by the next collection). NotFound: the file vanished before it was
      // renamed, so nothing exists under the new name. Either way a new file is created.
      Log("could not recycle " + WalFileName(pooled) + ": " + reused.status().ToString());
    }
  }
  if (writer == nullptr && for_durable_writes) {
    auto blank = CreateWalFromBlankFile(number, path, header);
    if (blank.ok()) {
      writer = std::move(blank).value();
    } else if (!blank.status().IsNotSupported()) {
      return blank.status().WithContext("creating " + WalFileName(number));
    }
  }
  if (writer == nullptr) {
    auto created = record::RecordWriter::Create(env_, dir_, path, header);
    if (!created.ok()) {
      return created.status().WithContext("creating " + WalFileName(number));
    }
    writer = std::move(created).value();
  }
  // Recorded before any record in it is acknowledged, so a missing WAL is detected.
  VersionEdit edit;
  edit.added_wals.push_back(number);
  uint64_t last_sequence = visible_sequence_.load(std::memory_order_acquire);
  uint64_t last_micros;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_micros = last_commit_micros_;
  }
  CAIRN_RETURN_IF_ERROR(versions_->LogAndApply(std::move(edit), last_sequence, last_micros)
                            .WithContext("recording " + WalFileName(number) + " in the manifest"));
  return writer;
}

Result<std::unique_ptr<record::RecordWriter>> DBImpl::CreateWalFromBlankFile(
    uint64_t number, const std::string& path, const record::FileHeader& header) {
  // A WAL rarely outgrows one MemTable's worth of log before the switch, so zeros beyond
  // that would only be cut away again.
  const uint64_t blank_bytes = std::min<uint64_t>(
      {options_.wal_preallocate_bytes, WalCapBytes(), options_.memtable_size_bytes});
  if (blank_bytes <= record::kFileHeaderSize ||
      wal_blank_unsupported_.load(std::memory_order_relaxed)) {
    return Status::NotSupported("WAL preallocation is off or the Env cannot reuse files");
  }
  // Zeros first, synced: the file's size and extents are then durable, so a durable write
  // into them commits only data. The zeros read as the end of the log (docs/format-wal.md,
  // "Recycled files"); a crash leaves NNNNNN.wal.tmp, which the next open removes.
  const std::string blank_path = path + ".tmp";
  Status close_error;
  Status zeroed = WriteZeroFilledFile(env_, blank_path, blank_bytes, &close_error);
  if (!zeroed.ok()) {
    // Outside the WAL chain nothing is in doubt, and the zeros are only an optimisation: a
    // disk with less free space than them (ENOSPC) must still get a growing WAL, which needs
    // room for its header only.
    env_->RemoveFile(blank_path).IgnoreError();  // else removed by the next open
    Log("writing the zeros of " + WalFileName(number) + ".tmp failed, creating a growing WAL: " +
        zeroed.ToString());
    return Status::NotSupported("zero-filling failed: " + zeroed.ToString());
  }
  if (!close_error.ok()) {
    Log("closing " + WalFileName(number) + ".tmp (its zeros were synced): " +
        close_error.ToString());
  }
  auto reused = record::RecordWriter::Reuse(env_, dir_, blank_path, path, header);
  if (reused.ok()) {
    stats_.wal_preallocated.fetch_add(1, std::memory_order_relaxed);
    return reused;
  }
  if (reused.status().IsNotSupported()) {
    // The Env cannot overwrite in place: a growing file it is (the caller creates one), now
    // and from now on, without writing zeros first.
    wal_blank_unsupported_.store(true, std::memory_order_relaxed);
    env_->RemoveFile(blank_path).IgnoreError();  // else removed by the next open
  }
  return reused.status();
}

void DBImpl::InstallWal(std::unique_ptr<record::RecordWriter> next) {
  const uint64_t number = next->file_number();
  uint64_t old_bytes = 0;
  uint64_t old_number = 0;
  if (wal_ != nullptr) {
    old_bytes = wal_->written_offset();
    old_number = wal_->file_number();
    Status closed = wal_->Close();
    if (!closed.ok()) {
      // Its bytes were synced before the switch; a close error loses nothing.
      Log("closing " + WalFileName(old_number) + ": " + closed.ToString());
    }
  }
  wal_ = std::shared_ptr<record::RecordWriter>(std::move(next));
  active_wal_bytes_.store(wal_->written_offset(), std::memory_order_relaxed);
  wal_preparation_due_.store(false, std::memory_order_release);
  active_wal_synced_.store(false, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  wal_for_sync_ = wal_;
  auto view = std::make_shared<ReadView>(*view_);
  if (view_->active->entry_count() > 0) {
    Immutable immutable;
    immutable.memtable = view_->active;
    immutable.id = next_memtable_id_++;
    immutable.next_log_number = number;
    view->immutables.insert(view->immutables.begin(), std::move(immutable));
    background_cv_.notify_all();  // work for the flush thread
  }
  view->active = std::make_shared<MemTable>();
  view->version = versions_->current();
  view_ = std::move(view);
  if (old_number != 0 && old_number >= versions_->log_number()) {
    live_wal_bytes_[old_number] = old_bytes;
  }
  live_wal_bytes_[number] = 0;  // the active WAL: counted by active_wal_bytes_
}

Status DBImpl::PrepareNextWal() {
  std::lock_guard<std::mutex> prep(wal_prep_mu_);
  if (prepared_wal_ != nullptr) {
    return Status::OK();
  }
  uint64_t prev = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (wal_for_sync_ == nullptr || !error_.ok() || shutting_down_) {
      return Status::OK();
    }
    // Stable: the active WAL changes only under wal_prep_mu_, which this thread holds.
    prev = wal_for_sync_->file_number();
  }
  auto writer = CreateAndRecordWal(prev, NextWalForDurableWrites());
  if (!writer.ok()) {
    // As a failed switch: the file may exist unrecorded, or recorded; the next open judges
    // it. No other WAL may follow the active one now, so the error is set before
    // wal_prep_mu_ is released (the switch checks it under that lock).
    std::lock_guard<std::mutex> lock(mu_);
    SetErrorLocked(writer.status().WithContext("preparing the next WAL"));
    return writer.status();
  }
  prepared_wal_ = std::move(writer).value();
  stats_.wal_prepared.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

void DBImpl::MaybeRequestWalPreparation(const MemTable& active) {
  if (wal_preparation_due_.load(std::memory_order_acquire)) {
    return;  // requested already since the last switch
  }
  // Half way to a switch, so a small or idle database keeps a single WAL file, while a
  // switch that comes because the MemTable filled or the WAL cap was reached finds its
  // successor ready. (A DB::Flush of a MemTable less than half full creates it on the spot.)
  if (active.ApproximateDataBytes() < options_.memtable_size_bytes / 2 &&
      wal_->written_offset() < WalCapBytes() / 2) {
    return;
  }
  wal_preparation_due_.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(mu_);
  wal_prepare_requested_ = true;
  wal_cv_.notify_all();
}

void DBImpl::MaybeRequestBackgroundWalSync() {
  if (options_.wal_background_sync_bytes == 0 ||
      wal_->unsynced_bytes() < options_.wal_background_sync_bytes) {
    return;
  }
  if (!wal_sync_requested_.exchange(true, std::memory_order_acq_rel)) {
    std::lock_guard<std::mutex> lock(mu_);  // so the WAL thread cannot miss the wake-up
    wal_cv_.notify_all();
  }
}

void DBImpl::WalThreadMain() {
  for (;;) {
    std::shared_ptr<record::RecordWriter> to_sync;
    bool prepare = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wal_cv_.wait(lock, [&] {
        return shutting_down_ || wal_prepare_requested_ ||
               wal_sync_requested_.load(std::memory_order_acquire);
      });
      if (shutting_down_) {
        return;
      }
      prepare = wal_prepare_requested_;
      wal_prepare_requested_ = false;
      // Consumed before the sync, not cleared after it: a writer that asks while this sync
      // runs (its bytes may be past what the sync covers) then gets another round instead of
      // being forgotten. With the DB in error the request is dropped (nothing is synced).
      if (wal_sync_requested_.exchange(false, std::memory_order_acq_rel) && error_.ok()) {
        to_sync = wal_for_sync_;
      }
    }
    // A request made while the previous round ran may be covered by it already, or leave only
    // a little unsynced: sync only while the writers' own threshold is still exceeded, so the
    // extra round costs no fdatasync for a few bytes.
    if (to_sync != nullptr && to_sync->unsynced_bytes() >= options_.wal_background_sync_bytes) {
      Status s = to_sync->Sync();
      stats_.wal_background_syncs.fetch_add(1, std::memory_order_relaxed);
      if (!s.ok()) {
        // The writer is poisoned: every later write and sync of this WAL fails with it.
        std::lock_guard<std::mutex> lock(mu_);
        SetErrorLocked(s.WithContext("background WAL sync"));
      }
    }
    if (prepare) {
      // A failure has already made the DB read-only (PrepareNextWal).
      PrepareNextWal().IgnoreError();
    }
  }
}

bool DBImpl::KeepObsoleteWalForReuse(uint64_t number) {
  std::lock_guard<std::mutex> lock(mu_);
  if (wal_pool_.count(number) > 0 || wal_reusing_ == number) {
    return true;
  }
  // A collector may work from a listing taken before a pooled file was reused (renamed):
  // such a stale name must not enter the pool again. WAL files become obsolete in number
  // order, so only numbers above every number pooled before are new.
  if (wal_pool_.size() >= options_.wal_recycle_files || !error_.ok() || number <= wal_pool_high_) {
    return false;
  }
  wal_pool_.insert(number);
  wal_pool_high_ = number;
  Log("kept obsolete " + WalFileName(number) + " for reuse");
  return true;
}

}  // namespace cairn
