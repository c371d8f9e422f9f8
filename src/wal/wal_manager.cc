#include "wal/wal_manager.h"

#include <algorithm>
#include <cassert>

#include "env/env_util.h"
#include "util/filename.h"

namespace cairn::wal {

WalManager::WalManager(Env* env, std::string dir, record::DbId db_id, WalManagerOptions options,
                       WalManagerHooks hooks)
    : env_(env),
      dir_(std::move(dir)),
      db_id_(db_id),
      options_(options),
      hooks_(std::move(hooks)),
      // A failed preparation makes the database read-only (no retry: the chain is in doubt),
      // and a failed background sync poisons the WAL, so rounds never ask for a retry.
      thread_(
          env, "WAL thread", BackoffPolicy{},
          [this](const JobControl& control) { return ThreadRound(control); }, hooks_.log) {}

WalManager::~WalManager() { thread_.Stop(); }

void WalManager::Log(const std::string& line) const {
  if (hooks_.log) {
    hooks_.log(line);
  }
}

Status WalManager::OpenFirst(uint64_t prev_number) {
  MutexLock prep(&prep_mu_);
  assert(active_ == nullptr);
  // sync=true is the default, so the first WAL gets the zeros that make durable writes cheap.
  auto writer = CreateAndRecord(prev_number, /*for_durable_writes=*/true);
  CAIRN_RETURN_IF_ERROR(writer.status());
  Install(std::move(writer).value());
  return Status::OK();
}

void WalManager::StartThread() { thread_.Start(); }

Status WalManager::Close() {
  thread_.Stop();
  MutexLock prep(&prep_mu_);
  if (closed_ || active_ == nullptr) {
    closed_ = true;
    return Status::OK();
  }
  closed_ = true;
  Status result;
  if (active_->poisoned()) {
    result = active_->error();
  } else {
    // The active WAL may be followed by a prepared (empty) one, so it must end at its last
    // record like any WAL that is not the newest (a recycled file's previous life is cut).
    result = active_->Finish(env_).WithContext("closing: finishing " +
                                               WalFileName(active_->file_number()));
  }
  Status closed = active_->Close();
  if (result.ok() && !closed.ok()) {
    result = closed.WithContext("closing " + WalFileName(active_->file_number()));
  }
  return result;
}

void WalManager::AfterCommit(bool synced, uint64_t memtable_data_bytes) {
  record::RecordWriter* wal = active_.get();
  if (synced && !active_synced_.load(std::memory_order_relaxed)) {  // no store per commit
    active_synced_.store(true, std::memory_order_relaxed);
  }
  active_bytes_.store(wal->written_offset(), std::memory_order_relaxed);
  if (options_.background_sync_bytes != 0 &&
      wal->unsynced_bytes() >= options_.background_sync_bytes &&
      !sync_requested_.exchange(true, std::memory_order_acq_rel)) {
    thread_.Request();
  }
  if (preparation_due_.load(std::memory_order_acquire)) {
    return;  // requested already since the last switch
  }
  // Half way to a switch, so a small or idle database keeps a single WAL file, while a
  // switch that comes because the MemTable filled or the WAL cap was reached finds its
  // successor ready. (A DB::Flush of a MemTable less than half full creates it on the spot.)
  if (memtable_data_bytes < options_.memtable_size_bytes / 2 &&
      wal->written_offset() < options_.wal_cap_bytes / 2) {
    return;
  }
  preparation_due_.store(true, std::memory_order_release);
  {
    MutexLock lock(&mu_);
    prepare_requested_ = true;
  }
  thread_.Request();
}

Status WalManager::Switch(uint64_t* old_number, uint64_t* old_bytes) {
  // The old WAL ends durably at its last record before its successor receives one: recovery
  // relies on every WAL but the newest holding whole records (docs/durability.md). The
  // background syncs keep what is left to sync here small.
  Status s = active_->Finish(env_);
  // Waits only if the WAL thread is preparing right now (a few small syncs); normally the
  // next WAL is ready and the switch creates nothing.
  MutexLock prep(&prep_mu_);
  CAIRN_RETURN_IF_ERROR(s);
  CAIRN_RETURN_IF_ERROR(chain_error_);
  if (closed_) {
    return Status::IOError("the WAL manager is closed");
  }
  std::unique_ptr<record::RecordWriter> next = std::move(prepared_);
  if (next == nullptr) {
    auto created =
        CreateAndRecord(active_->file_number(), active_synced_.load(std::memory_order_relaxed));
    if (!created.ok()) {
      chain_error_ = created.status();
      return created.status();
    }
    next = std::move(created).value();
  }
  assert(next->file_number() > active_->file_number());
  *old_number = active_->file_number();
  *old_bytes = active_->written_offset();
  Install(std::move(next));
  return Status::OK();
}

void WalManager::Install(std::unique_ptr<record::RecordWriter> next) {
  if (active_ != nullptr) {
    Status closed = active_->Close();
    if (!closed.ok()) {
      // Its bytes were synced before the switch; a close error loses nothing.
      Log("closing " + WalFileName(active_->file_number()) + ": " + closed.ToString());
    }
  }
  active_ = std::shared_ptr<record::RecordWriter>(std::move(next));
  active_bytes_.store(active_->written_offset(), std::memory_order_relaxed);
  preparation_due_.store(false, std::memory_order_release);
  active_synced_.store(false, std::memory_order_relaxed);
  MutexLock lock(&mu_);
  active_for_sync_ = active_;
}

Result<std::unique_ptr<record::RecordWriter>> WalManager::CreateAndRecord(uint64_t prev_number,
                                                                          bool for_durable_writes) {
  const uint64_t number = hooks_.new_file_number();
  record::FileHeader header;
  header.magic = kWalMagic;
  header.file_number = number;
  header.prev_file_number = prev_number;
  header.db_id = db_id_;
  const std::string path = JoinPath(dir_, WalFileName(number));
  uint64_t pooled = 0;
  {
    MutexLock lock(&mu_);
    if (!pool_.empty()) {
      pooled = *pool_.begin();
      pool_.erase(pool_.begin());
      reusing_ = pooled;  // the collector must not delete it while it is renamed
    }
  }
  std::unique_ptr<record::RecordWriter> writer;
  if (pooled != 0) {
    auto reused =
        record::RecordWriter::Reuse(env_, dir_, JoinPath(dir_, WalFileName(pooled)), path, header);
    {
      MutexLock lock(&mu_);
      reusing_ = 0;
    }
    if (reused.ok()) {
      writer = std::move(reused).value();
      counters_.recycled.fetch_add(1, std::memory_order_relaxed);
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
    auto blank = CreateFromBlankFile(number, path, header);
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
  CAIRN_RETURN_IF_ERROR(hooks_.record_wal(number).WithContext("recording " + WalFileName(number) +
                                                              " in the manifest"));
  return writer;
}

Result<std::unique_ptr<record::RecordWriter>> WalManager::CreateFromBlankFile(
    uint64_t number, const std::string& path, const record::FileHeader& header) {
  const uint64_t blank_bytes = std::min<uint64_t>(
      {options_.preallocate_bytes, options_.wal_cap_bytes, options_.memtable_size_bytes});
  if (blank_bytes <= record::kFileHeaderSize ||
      blank_unsupported_.load(std::memory_order_relaxed)) {
    return Status::NotSupported("WAL preallocation is off or the Env cannot reuse files");
  }
  // Zeros first, synced: the file's size and extents are then durable, so a durable write
  // into them commits only data. The zeros read as the end of the WAL (docs/format-wal.md,
  // "Recycled files"); a crash leaves NNNNNN.wal.tmp, which the next open removes.
  const std::string blank_path = path + ".tmp";
  Status close_error;
  Status zeroed = WriteZeroFilledFile(env_, blank_path, blank_bytes, &close_error);
  if (!zeroed.ok()) {
    // Outside the WAL chain nothing is in doubt, and the zeros are only an optimisation: a
    // disk with less free space than them (ENOSPC) must still get a growing WAL, which needs
    // room for its header only.
    env_->RemoveFile(blank_path).IgnoreError();  // else removed by the next open
    Log("writing the zeros of " + WalFileName(number) +
        ".tmp failed, creating a growing WAL: " + zeroed.ToString());
    return Status::NotSupported("zero-filling failed: " + zeroed.ToString());
  }
  if (!close_error.ok()) {
    Log("closing " + WalFileName(number) +
        ".tmp (its zeros were synced): " + close_error.ToString());
  }
  auto reused = record::RecordWriter::Reuse(env_, dir_, blank_path, path, header);
  if (reused.ok()) {
    counters_.preallocated.fetch_add(1, std::memory_order_relaxed);
    return reused;
  }
  if (reused.status().IsNotSupported()) {
    // The Env cannot overwrite in place: a growing file it is (the caller creates one), now
    // and from now on, without writing zeros first.
    blank_unsupported_.store(true, std::memory_order_relaxed);
    env_->RemoveFile(blank_path).IgnoreError();  // else removed by the next open
  }
  return reused.status();
}

void WalManager::PrepareNext() {
  MutexLock prep(&prep_mu_);
  if (prepared_ != nullptr || closed_ || !chain_error_.ok() || !hooks_.healthy()) {
    return;
  }
  uint64_t prev = 0;
  {
    MutexLock lock(&mu_);
    if (active_for_sync_ == nullptr) {
      return;
    }
    // Stable: the active WAL changes only under prep_mu_, which this thread holds.
    prev = active_for_sync_->file_number();
  }
  // Zeros only after a WAL that received a durable commit: they make a synced append
  // cheaper but cost a sync=false load a second write of every WAL byte (measured: fills
  // 20-30% slower).
  auto writer = CreateAndRecord(prev, active_synced_.load(std::memory_order_relaxed));
  if (!writer.ok()) {
    // As a failed switch: the file may exist unrecorded, or recorded; the next open judges
    // it. No other WAL may follow the active one now, so the error is remembered before
    // prep_mu_ is released (Switch checks it under that lock).
    chain_error_ = writer.status().WithContext("preparing the next WAL");
    hooks_.set_error(chain_error_);
    return;
  }
  prepared_ = std::move(writer).value();
  counters_.prepared.fetch_add(1, std::memory_order_relaxed);
}

JobRound WalManager::ThreadRound(const JobControl& control) {
  if (control.stopping()) {
    return JobRound::Idle();
  }
  bool prepare = false;
  std::shared_ptr<record::RecordWriter> to_sync;
  {
    MutexLock lock(&mu_);
    prepare = prepare_requested_;
    prepare_requested_ = false;
    // Consumed before the sync, not cleared after it: a writer that asks while this sync
    // runs (its bytes may be past what the sync covers) then gets another round instead of
    // being forgotten.
    if (sync_requested_.exchange(false, std::memory_order_acq_rel)) {
      to_sync = active_for_sync_;
    }
  }
  // A request made while the previous round ran may be covered by it already, or leave only
  // a little unsynced: sync only while the writers' own threshold is still exceeded, so the
  // extra round costs no fdatasync for a few bytes. With the database in error nothing is
  // synced.
  if (to_sync != nullptr && to_sync->unsynced_bytes() >= options_.background_sync_bytes &&
      hooks_.healthy()) {
    Status s = to_sync->Sync();
    counters_.background_syncs.fetch_add(1, std::memory_order_relaxed);
    if (!s.ok()) {
      // The writer is poisoned: every later write and sync of this WAL fails with it.
      hooks_.set_error(s.WithContext("background WAL sync"));
    }
  }
  if (prepare) {
    PrepareNext();  // a failure has made the database read-only
  }
  return JobRound::Idle();
}

bool WalManager::OfferObsoleteWal(uint64_t number) {
  const bool healthy = hooks_.healthy();  // before mu_: the hooks are never called under it
  bool newly_pooled = false;
  if (!PoolObsoleteWal(number, healthy, &newly_pooled)) {
    return false;
  }
  if (newly_pooled) {
    Log("kept obsolete " + WalFileName(number) + " for reuse");
  }
  return true;
}

bool WalManager::PoolObsoleteWal(uint64_t number, bool healthy, bool* newly_pooled) {
  MutexLock lock(&mu_);
  if (pool_.count(number) > 0 || reusing_ == number) {
    return true;
  }
  // A collector may work from a listing taken before a pooled file was reused (renamed):
  // such a stale name must not enter the pool again. WAL files become obsolete in number
  // order, so only numbers above every number pooled before are new.
  if (pool_.size() >= options_.recycle_files || !healthy || number <= pool_high_) {
    return false;
  }
  pool_.insert(number);
  pool_high_ = number;
  *newly_pooled = true;
  return true;
}

WalManager::Counters WalManager::counters() const {
  Counters c;
  c.recycled = counters_.recycled.load(std::memory_order_relaxed);
  c.preallocated = counters_.preallocated.load(std::memory_order_relaxed);
  c.prepared = counters_.prepared.load(std::memory_order_relaxed);
  c.background_syncs = counters_.background_syncs.load(std::memory_order_relaxed);
  return c;
}

}  // namespace cairn::wal
