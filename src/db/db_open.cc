// Opening a database (docs/durability.md §3): lock, identity, manifest, WAL recovery, the
// first new WAL, background threads, and the removal of files nothing references.
//
// Creation order, so that a crash at any point is recognisable:
//   1. the first manifest and CURRENT;  2. IDENTITY;  3. the first WAL.
// A directory without IDENTITY and without any WAL or segment therefore holds no data (a
// creation that stopped early) and is created afresh; with IDENTITY, a missing CURRENT is
// Corruption, never a new database.
#include <algorithm>

#include "db/batch_payload.h"
#include "db/db_impl.h"
#include "db/identity.h"
#include "env/env_util.h"
#include "util/filename.h"
#include "wal/wal_recovery.h"

namespace cairn {

Status DBImpl::Open() {
  if (options_.create_if_missing) {
    CAIRN_RETURN_IF_ERROR(CreateDirDurably(env_, dir_));
  } else {
    auto exists = env_->FileExists(dir_);
    if (!exists.ok()) {
      return exists.status();
    }
    if (!exists.value()) {
      return Status::InvalidArgument("no database at " + dir_ + " (create_if_missing is false)");
    }
  }
  auto lock = env_->LockFile(JoinPath(dir_, kLockFileName));
  if (!lock.ok()) {
    return lock.status();
  }
  lock_ = std::move(lock).value();
  info_log_ = InfoLog::Open(env_, dir_);

  auto children = env_->GetChildren(dir_);
  if (!children.ok()) {
    return children.status();
  }
  for (const std::string& name : children.value()) {
    FileType type;
    uint64_t number;
    if (ParseFileName(name, &type, &number)) {
      versions_->MarkFileNumberUsed(number);
    }
  }
  bool created = false;
  CAIRN_RETURN_IF_ERROR(LoadOrCreateIdentity(children.value(), &created));
  ManifestState state;
  if (!created) {
    Status s = versions_->Recover(db_id_, &state);
    if (s.IsNotFound()) {
      return Status::Corruption("CURRENT is missing in " + dir_ +
                                " while IDENTITY exists: the pointer to the manifest was lost; "
                                "refusing to open it as a new database (" +
                                s.message() + ")");
    }
    CAIRN_RETURN_IF_ERROR(s);
    for (const std::string& event : state.events) {
      Log("manifest recovery: " + event);
    }
  }
  uint64_t empty_wal = 0;
  std::vector<uint64_t> dropped_wals;  // removed or quarantined by recovery
  CAIRN_RETURN_IF_ERROR(RecoverWal(children.value(), state, &empty_wal, &dropped_wals));
  if (!created) {
    // The manifest forgets the empty WAL before it is removed, and it is removed before the
    // next WAL (which chains past it) is created: a crash between any two steps is recoverable.
    // WALs salvage set aside are forgotten too, or every later open would find them missing.
    dropped_wals.push_back(empty_wal);
    CAIRN_RETURN_IF_ERROR(versions_->FinishRecovery(dropped_wals));
  }
  if (empty_wal != 0) {
    CAIRN_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(dir_, WalFileName(empty_wal))));
    CAIRN_RETURN_IF_ERROR(env_->SyncDir(dir_));
    Log("removed " + WalFileName(empty_wal) + ", which held no record");
  }
  CAIRN_RETURN_IF_ERROR(RemoveLeftoverTemporaries(children.value()));
  uint64_t prev_wal = 0;
  bool recovered_anything = false;
  {
    MutexLock lock(&mu_);
    prev_wal = live_wal_bytes_.empty() ? 0 : live_wal_bytes_.rbegin()->first;
    recovered_anything = view_->active->entry_count() > 0;
  }
  CAIRN_RETURN_IF_ERROR(StartWalManager(prev_wal));
  if (recovered_anything) {
    MutexLock lock(&mu_);
    recovered_memtable_id_ = next_memtable_id_ - 1;  // made immutable by StartWalManager
  }
  Log("opened " + dir_ + ": " + recovery_report_);
  CAIRN_RETURN_IF_ERROR(DeleteObsoleteFiles(/*at_open=*/true));
  StartJobs();
  return Status::OK();
}

Status DBImpl::LoadOrCreateIdentity(const std::vector<std::string>& children, bool* created) {
  bool has_identity = false;
  std::string data_files;
  for (const std::string& name : children) {
    FileType type;
    uint64_t number;
    if (!ParseFileName(name, &type, &number)) {
      continue;
    }
    if (type == FileType::kIdentity) {
      has_identity = true;
    } else if (InfoOf(type).holds_data) {
      data_files += (data_files.empty() ? "" : ", ") + name;
    }
  }
  if (has_identity) {
    if (options_.error_if_exists) {
      return Status::InvalidArgument("database already exists at " + dir_);
    }
    *created = false;
    return ReadIdentity(env_, dir_, &db_id_).WithContext(JoinPath(dir_, kIdentityFileName));
  }
  if (!data_files.empty()) {
    // IDENTITY is published before any data file exists, so data without it means the
    // metadata was lost. Opening as a new database would hide that loss.
    return Status::Corruption("IDENTITY is missing in " + dir_ + " but data files exist (" +
                              data_files + "); refusing to open it as a new, empty database");
  }
  if (!options_.create_if_missing) {
    return Status::InvalidArgument("no database at " + dir_ + " (create_if_missing is false)");
  }
  env_->RandomBytes(db_id_.data(), db_id_.size());
  CAIRN_RETURN_IF_ERROR(versions_->Create(db_id_));
  CAIRN_RETURN_IF_ERROR(WriteIdentity(env_, dir_, db_id_));
  *created = true;
  Log("created a new database in " + dir_);
  return Status::OK();
}

namespace {

// The WALs recovery reads: those at or above the manifest's log number. Every WAL the
// manifest records must be among them (Corruption otherwise), except, under salvage, one an
// earlier salvage set aside: those are returned in *set_aside_earlier.
Status ListWals(const std::vector<std::string>& children, const ManifestState& state, bool salvage,
                const std::string& dir, std::vector<wal::WalFile>* logs,
                std::vector<uint64_t>* set_aside_earlier) {
  std::set<uint64_t> present;
  std::set<uint64_t> quarantined;
  for (const std::string& name : children) {
    FileType type;
    uint64_t number;
    if (!ParseFileName(name, &type, &number)) {
      continue;
    }
    if (type == FileType::kWal && number >= state.log_number) {
      logs->push_back({number, name});
      present.insert(number);
    } else if (type == FileType::kQuarantined) {
      quarantined.insert(number);
    }
  }
  for (uint64_t expected : state.expected_wals) {
    if (present.count(expected) != 0) {
      continue;
    }
    // Salvage sets a recorded WAL aside (renamed to *.corrupt, durably) before the manifest
    // forgets it; a crash in between leaves it recorded and missing. Its bytes are all in the
    // quarantined copy, so another salvage finishes the job rather than failing for ever.
    if (quarantined.count(expected) != 0 && salvage) {
      set_aside_earlier->push_back(expected);
      continue;
    }
    return Status::Corruption(
        "WAL " + WalFileName(expected) + " is recorded in the manifest but missing from " + dir +
        (quarantined.count(expected) != 0
             ? " (a salvage that did not finish set it aside as " + WalFileName(expected) +
                   ".corrupt; open with WalRecovery::kSalvage to finish it)"
             : ""));
  }
  return Status::OK();
}

}  // namespace

Status DBImpl::RecoverWal(const std::vector<std::string>& children, const ManifestState& state,
                          uint64_t* empty_wal, std::vector<uint64_t>* dropped_wals) {
  const bool salvage = options_.wal_recovery == WalRecovery::kSalvage;
  std::vector<wal::WalFile> logs;
  std::vector<uint64_t> set_aside_earlier;
  CAIRN_RETURN_IF_ERROR(ListWals(children, state, salvage, dir_, &logs, &set_aside_earlier));
  auto recovered = std::make_shared<MemTable>();
  wal::RecoveryOptions recovery_options;
  recovery_options.dir = dir_;
  recovery_options.db_id = db_id_;
  recovery_options.first_prev_bound = std::max<uint64_t>(state.log_number, 1);
  recovery_options.salvage = salvage;
  recovery_options.recorded_wals.insert(state.expected_wals.begin(), state.expected_wals.end());
  wal::RecoveryResult result;
  uint64_t last_commit_micros = state.last_commit_micros;
  uint64_t start_micros = env_->NowMonotonicMicros();
  Status s = wal::RecoverWals(
      env_, logs, recovery_options,
      [&](const record::Record& record) {
        recovered->NoteCommitTime(record.commit_micros);
        last_commit_micros = std::max(last_commit_micros, record.commit_micros);
        return InsertBatchPayload(record.payload, record.seq_count, record.first_seq,
                                  recovered.get());
      },
      &result);
  if (!s.ok()) {
    Log("recovery failed: " + s.ToString());
    return s;
  }
  uint64_t elapsed_micros = env_->NowMonotonicMicros() - start_micros;
  *empty_wal = result.empty_newest_wal;
  *dropped_wals = result.dropped_wals;
  for (uint64_t number : set_aside_earlier) {
    dropped_wals->push_back(number);
    result.lost += std::string(result.lost.empty() ? "" : "; ") +
                   "finished an earlier salvage: " + WalFileName(number) +
                   " had been set aside as " + WalFileName(number) + ".corrupt";
    result.events.push_back("salvage: " + WalFileName(number) +
                            " was set aside by an earlier salvage; the manifest forgets it");
  }
  for (const std::string& event : result.events) {
    Log("recovery: " + event);
  }
  for (const wal::WalFile& log : logs) {
    if (log.number <= result.newest_wal_number) {
      auto size = env_->GetFileSize(JoinPath(dir_, log.name));
      if (!size.ok()) {
        return size.status();
      }
      MutexLock lock(&mu_);
      live_wal_bytes_[log.number] = size.value();
    }
  }
  uint64_t last_sequence = std::max(state.last_sequence, result.last_sequence);
  visible_sequence_.store(last_sequence, std::memory_order_release);
  recovery_lost_ = result.lost;
  recovery_report_ = "replayed " + std::to_string(result.records_replayed) + " records (" +
                     std::to_string(result.bytes_replayed) + " bytes) from " +
                     std::to_string(logs.size()) + " WAL files in " +
                     std::to_string(elapsed_micros / 1000) + " ms; last sequence " +
                     std::to_string(last_sequence) + "; " +
                     std::to_string(versions_->current()->FileCount()) + " segments";
  for (const std::string& event : result.events) {
    recovery_report_ += "; " + event;
  }
  auto view = std::make_shared<ReadView>();
  view->active = std::move(recovered);
  view->version = versions_->current();
  MutexLock lock(&mu_);
  last_commit_micros_ = last_commit_micros;
  allocated_sequence_ = last_sequence;
  view_ = std::move(view);
  return Status::OK();
}

Status DBImpl::RemoveLeftoverTemporaries(const std::vector<std::string>& children) {
  bool removed = false;
  for (const std::string& name : children) {
    FileType type;
    uint64_t number;
    if (ParseFileName(name, &type, &number) && InfoOf(type).deleter == FileDeleter::kOpenCleanup) {
      // The listing predates this open's own steps: publishing a file may already have
      // renamed this temporary away, so a file already gone is what we wanted.
      Status s = env_->RemoveFile(JoinPath(dir_, name));
      if (s.IsNotFound()) {
        continue;
      }
      CAIRN_RETURN_IF_ERROR(s);
      Log("removed leftover temporary file " + name);
      removed = true;
    }
  }
  return removed ? env_->SyncDir(dir_) : Status::OK();
}

uint64_t DBImpl::WalCapBytes() const {
  // Replaying the WAL at its cap must not produce more MemTable memory than writers may use,
  // or every open after a crash at the cap would start in a hard stop. A MemTable's memory
  // per byte of log stays below 2 for any record size (about 1.05 measured with 1000-byte
  // values), so half the memory limit is a safe cap.
  return std::min<uint64_t>(options_.max_wal_size_bytes, options_.max_memtable_memory_bytes / 2);
}

wal::WalManagerHooks DBImpl::WalHooks() {
  wal::WalManagerHooks hooks;
  hooks.new_file_number = [this] { return versions_->NewFileNumber(); };
  hooks.record_wal = [this](uint64_t number) {
    VersionEdit edit;
    edit.added_wals.push_back(number);
    uint64_t last_micros;
    {
      MutexLock lock(&mu_);
      last_micros = last_commit_micros_;
    }
    return versions_->LogAndApply(std::move(edit),
                                  visible_sequence_.load(std::memory_order_acquire), last_micros);
  };
  hooks.healthy = [this] {
    MutexLock lock(&mu_);
    return error_.ok() && !closing_;
  };
  hooks.set_error = [this](const Status& error) {
    MutexLock lock(&mu_);
    SetErrorLocked(error);
  };
  hooks.log = [this](const std::string& line) { Log(line); };
  return hooks;
}

Status DBImpl::StartWalManager(uint64_t prev_wal_number) {
  wal::WalManagerOptions wal_options;
  wal_options.recycle_files = options_.wal_recycle_files;
  wal_options.preallocate_bytes = options_.wal_preallocate_bytes;
  wal_options.background_sync_bytes = options_.wal_background_sync_bytes;
  wal_options.memtable_size_bytes = options_.memtable_size_bytes;
  wal_options.wal_cap_bytes = WalCapBytes();
  wal_ = std::make_unique<wal::WalManager>(env_, dir_, db_id_, wal_options, WalHooks());
  CAIRN_RETURN_IF_ERROR(wal_->OpenFirst(prev_wal_number));
  // What recovery replayed becomes immutable, with the new WAL as its successor: it is
  // flushed by the first flush round.
  InstallSwitch(wal_->active()->file_number(), /*old_wal_number=*/0, /*old_wal_bytes=*/0);
  return Status::OK();
}

}  // namespace cairn
