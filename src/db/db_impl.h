// DBImpl: the DB implementation. It orchestrates; the algorithms live in their subsystems
// (wal/ for the log, its files and its recovery, memtable/, segment/ for files, manifest/ for
// versions and the manifest, jobs/ for flush and compaction and the background-worker
// pattern, db/write_queue.h for group commit).
//
// Files: db_impl.cc (reads, snapshots, properties, close), db_write.cc (the write path),
// db_open.cc (open and recovery), db_background.cc (the flush and compaction jobs, file
// collection).
//
// Concurrency:
//   - mu_ guards the read view, the sequence allocator, snapshots, the sticky error and the
//     background bookkeeping. It is held only for bookkeeping, never across I/O.
//   - The write queue elects one leader at a time; only the leader appends to the active WAL
//     (wal_->active()) and inserts into the active MemTable, so neither needs a lock.
//   - Readers copy the current ReadView (a shared_ptr) under mu_, then read without locks.
//   - Background jobs run on BackgroundWorkers (jobs/background_worker.h): one for flushes,
//     one for compactions (compaction_mu_ lets a manual compaction take its place), and the
//     WAL manager's own worker (preparing the next WAL, background syncs).
//   - Lock order: compaction_mu_, then the WAL manager's locks, then mu_. The WAL manager's
//     hooks take mu_, so DBImpl never calls into it with mu_ held.
#ifndef CAIRN_DB_DB_IMPL_H_
#define CAIRN_DB_DB_IMPL_H_

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "cairn/env.h"
#include "db/info_log.h"
#include "db/write_queue.h"
#include "jobs/background_worker.h"
#include "jobs/compaction_picker.h"
#include "jobs/jobs.h"
#include "manifest/version_set.h"
#include "memtable/memtable.h"
#include "record/record_format.h"
#include "segment/block_cache.h"
#include "util/mutex.h"
#include "wal/wal_manager.h"
#include "wal/wal_recovery.h"

namespace cairn {

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  // Locks the directory, creates or recovers the database, starts a new WAL and the
  // background jobs.
  Status Open();

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, const WriteBatch& batch) override;
  Status SyncWal() override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  Status Flush() override;
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override;
  bool GetProperty(std::string_view name, std::string* value) override;
  Status Close() override;

 private:
  // A MemTable waiting to be flushed.
  struct Immutable {
    std::shared_ptr<MemTable> memtable;
    uint64_t id = 0;               // increasing in switch order
    uint64_t next_wal_number = 0;  // the WAL opened after it: older WALs hold only it and
                                   // older MemTables
  };

  // What a reader needs. Immutable once published.
  struct ReadView {
    std::shared_ptr<MemTable> active;
    std::vector<Immutable> immutables;  // newest first
    std::shared_ptr<const Version> version;
  };

  class SnapshotImpl final : public Snapshot {
   public:
    explicit SnapshotImpl(uint64_t sequence) : sequence_(sequence) {}
    ~SnapshotImpl() override = default;
    uint64_t sequence() const override { return sequence_; }

   private:
    const uint64_t sequence_;
  };

  // --- Open (db_open.cc) ---
  Status LoadOrCreateIdentity(const std::vector<std::string>& children, bool* created);
  Status RecoverWal(const std::vector<std::string>& children, const ManifestState& state,
                    uint64_t* empty_wal, std::vector<uint64_t>* dropped_wals);
  Status RemoveLeftoverTemporaries(const std::vector<std::string>& children);
  // Creates the WAL manager (once the database id is known) and its first WAL, following
  // `prev_wal_number`, and makes what recovery replayed an immutable MemTable.
  Status StartWalManager(uint64_t prev_wal_number) EXCLUDES(mu_);
  wal::WalManagerHooks WalHooks();
  uint64_t WalCapBytes() const;

  // --- Writes (db_write.cc) ---
  Status CommitGroup(const std::vector<WriteQueue::Writer*>& group) EXCLUDES(mu_);
  Status SyncOnlyGroup() EXCLUDES(mu_);  // leader only: a group of sync requests
  // The leader's pre-commit step: switch the MemTable when full (or forced, or the WAL cap
  // is reached), slow down or wait under write pressure.
  Status MakeRoomForWrite(bool force_switch) EXCLUDES(mu_);
  Status SwitchMemTable() EXCLUDES(mu_);  // leader only
  // Makes the active MemTable, if it holds anything, immutable with `next_wal_number` as its
  // successor, and records the size of the WAL that stopped being active.
  void InstallSwitch(uint64_t next_wal_number, uint64_t old_wal_number, uint64_t old_wal_bytes)
      EXCLUDES(mu_);
  Status ReadOnlyError() EXCLUDES(mu_);
  Status ReadOnlyErrorLocked() REQUIRES(mu_);
  void SetErrorLocked(const Status& error) REQUIRES(mu_);

  // --- Background jobs (db_background.cc) ---
  // Creates the flush and compaction workers. A new background job is one class (or method)
  // returning a JobRound, plus one line here.
  void RegisterJobs();
  void StartJobs();
  void StopJobs();
  JobRound FlushRound(const JobControl& control) EXCLUDES(mu_);
  JobRound CompactionRound(const JobControl& control) EXCLUDES(mu_, compaction_mu_);
  Status FlushImmutable(const Immutable& immutable) EXCLUDES(mu_);
  Status RunCompaction(CompactionPlan plan) REQUIRES(compaction_mu_);  // then collects
  Status CompactAndApply(const CompactionPlan& plan) REQUIRES(compaction_mu_);
  void InstallVersion(const Immutable* flushed) EXCLUDES(mu_);  // updates the read view
  // Deletes files nothing references; an error listing the directory is returned (Open
  // fails on it), a file that cannot be deleted is logged and retried at the next collection.
  Status DeleteObsoleteFiles(bool at_open) EXCLUDES(mu_);
  void DeleteObsoleteFilesInBackground() EXCLUDES(mu_);  // logs instead of returning
  uint64_t NewOutputNumber() EXCLUDES(mu_);              // a file number, held as a pending output
  JobContext NewJobContext() EXCLUDES(mu_);
  // Appends a job's edit to the manifest with the current counters and installs it.
  Status ApplyJobEdit(VersionEdit edit) EXCLUDES(mu_);
  // After ApplyJobEdit (success or not): outputs are live now, or orphans.
  void ReleasePendingOutputs(const std::vector<uint64_t>& numbers) EXCLUDES(mu_);
  uint64_t OldestSnapshotSequence() EXCLUDES(mu_);

  std::shared_ptr<const ReadView> CurrentView() EXCLUDES(mu_);
  static size_t MemTableBytes(const ReadView& view);
  uint64_t LiveWalBytes() EXCLUDES(mu_);
  void Log(const std::string& message);
  std::string StatsText();
  double WriteAmplification();

  const Options options_;
  Env* const env_;
  const std::string dir_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<InfoLog> info_log_;
  record::DbId db_id_{};
  std::unique_ptr<segment::BlockCache> block_cache_;
  std::unique_ptr<VersionSet> versions_;

  WriteQueue write_queue_;
  std::string commit_buffer_;  // leader only
  // The WAL files: created at open once the database id is known. Its active WAL is the
  // leader's to append to.
  std::unique_ptr<wal::WalManager> wal_;

  Mutex compaction_mu_ ACQUIRED_BEFORE(mu_);  // one compaction at a time
  CompactionPicker picker_ GUARDED_BY(compaction_mu_);

  Mutex mu_;
  CondVar flush_done_cv_;  // a flush finished (or failed), or the database failed or closes
  std::shared_ptr<const ReadView> view_ GUARDED_BY(mu_);
  uint64_t allocated_sequence_ GUARDED_BY(mu_) = 0;  // never reused
  uint64_t last_commit_micros_ GUARDED_BY(mu_) = 0;  // never decreases
  // Live WAL files (>= the manifest's log number) and their sizes; the active WAL's entry is
  // 0 (its size is wal_->active_bytes()). Entries below the log number are dropped after
  // each flush.
  std::map<uint64_t, uint64_t> live_wal_bytes_ GUARDED_BY(mu_);
  std::multiset<std::pair<uint64_t, const SnapshotImpl*>> snapshots_ GUARDED_BY(mu_);
  Status error_ GUARDED_BY(mu_);  // sticky
  bool closing_ GUARDED_BY(mu_) = false;
  uint64_t next_memtable_id_ GUARDED_BY(mu_) = 1;
  uint64_t flushed_memtable_id_ GUARDED_BY(mu_) = 0;
  Status flush_error_ GUARDED_BY(mu_);  // the last flush attempt's
  std::set<uint64_t> pending_outputs_ GUARDED_BY(mu_);
  std::string last_background_error_ GUARDED_BY(mu_);

  std::atomic<uint64_t> visible_sequence_{0};
  struct Stats {
    std::atomic<uint64_t> commits{0}, syncs{0}, writes{0}, user_bytes{0}, wal_bytes{0};
    std::atomic<uint64_t> flushes{0}, flush_bytes{0};
    std::atomic<uint64_t> compactions{0}, trivial_moves{0}, compaction_bytes_read{0},
        compaction_bytes_written{0};
    std::atomic<uint64_t> delay_micros{0}, stop_micros{0}, delayed_groups{0}, stops{0};
  } stats_;
  uint64_t recovered_memtable_id_ = 0;  // written during Open only; 0: none
  std::string recovery_report_;         // written during Open only
  std::string recovery_lost_;           // written during Open only
  bool closed_ = false;                 // Close() ran (the owner's thread only)
  Status close_status_;                 // what it returned

  // The background jobs; last, so they are destroyed (stopped) before what they use.
  std::unique_ptr<BackgroundWorker> flush_worker_;
  std::unique_ptr<BackgroundWorker> compaction_worker_;
};

}  // namespace cairn

#endif  // CAIRN_DB_DB_IMPL_H_
