// DBImpl: the DB implementation. It orchestrates; the algorithms live in their subsystems
// (wal/ for the log and its recovery, memtable/, segment/ for files, manifest/ for versions
// and the manifest, jobs/ for flush and compaction, db/write_queue.h for group commit).
//
// Files: db_impl.cc (reads, snapshots, properties), db_write.cc (the write path),
// db_open.cc (open and recovery), db_background.cc (flush, compaction, file collection),
// db_wal.cc (WAL files: creation, recycling, preparation ahead of the switch, background
// sync).
//
// Concurrency:
//   - mu_ guards the read view, the sequence allocator, snapshots, the sticky error and the
//     background bookkeeping. It is held only for bookkeeping, never across I/O.
//   - The write queue elects one leader at a time; only the leader touches wal_ and inserts
//     into the active MemTable, so neither needs a lock of its own.
//   - Readers copy the current ReadView (a shared_ptr) under mu_, then read without locks.
//   - One flush thread and one compaction thread; compaction_mu_ lets a manual compaction
//     take the compaction thread's place.
//   - One WAL thread prepares the next WAL file (new or recycled) before the switch needs it
//     and syncs the active WAL in the background once enough of it is unsynced.
//     wal_prep_mu_ (taken before mu_) makes a switch and a preparation exclusive.
#ifndef CAIRN_DB_DB_IMPL_H_
#define CAIRN_DB_DB_IMPL_H_

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db.h"
#include "cairn/env.h"
#include "db/info_log.h"
#include "db/write_queue.h"
#include "jobs/compaction_picker.h"
#include "jobs/jobs.h"
#include "manifest/version_set.h"
#include "memtable/memtable.h"
#include "segment/block_cache.h"
#include "record/record_format.h"
#include "wal/wal_recovery.h"
#include "record/record_writer.h"

namespace cairn {

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  // Locks the directory, creates or recovers the database, starts a new WAL and the
  // background threads.
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

 private:
  // A MemTable waiting to be flushed.
  struct Immutable {
    std::shared_ptr<MemTable> memtable;
    uint64_t id = 0;               // increasing in switch order
    uint64_t next_log_number = 0;  // the WAL opened after it: older WALs hold only it and
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
  Status StartNewWal(uint64_t prev_log_number);  // creates, records and installs a WAL

  // --- WAL files (db_wal.cc) ---
  // Creates the WAL `number` following `prev_log_number`, recycling a pooled obsolete WAL if
  // there is one, and records it in the manifest.
  // Without a pooled file, the new WAL is zero-filled first only when `for_durable_writes`
  // (see CreateWalFromBlankFile).
  Result<std::unique_ptr<record::RecordWriter>> CreateAndRecordWal(uint64_t prev_log_number,
                                                             bool for_durable_writes);
  // Writes Options::wal_preallocate_bytes of zeros to a temporary file and recycles it as the
  // WAL at `path`. NotSupported when preallocation is off or the Env cannot overwrite files
  // (the caller then creates a growing file).
  Result<std::unique_ptr<record::RecordWriter>> CreateWalFromBlankFile(uint64_t number,
                                                                 const std::string& path,
                                                                 const record::FileHeader& header);
  // Whether the WAL after the active one should be zero-filled: only if the active one has
  // received a durable (synced) commit. Zeros make a synced append cheaper but cost a
  // sync=false load a second write of every WAL byte (measured: fills 20-30% slower).
  bool NextWalForDurableWrites() const {
    return active_wal_synced_.load(std::memory_order_relaxed);
  }
  void NoteSyncedCommit() {
    if (!active_wal_synced_.load(std::memory_order_relaxed)) {  // no store per commit
      active_wal_synced_.store(true, std::memory_order_relaxed);
    }
  }
  // Makes `next` the active WAL (the old one must be synced) and the active MemTable, if it
  // holds anything, immutable with `next` as its successor. Requires wal_prep_mu_.
  void InstallWal(std::unique_ptr<record::RecordWriter> next);
  void WalThreadMain();
  Status PrepareNextWal();  // WAL thread
  // After a commit: asks the WAL thread to sync if enough of the WAL is unsynced.
  void MaybeRequestBackgroundWalSync();
  // After a commit: asks the WAL thread to prepare the next WAL once the active one is half
  // way to its switch.
  void MaybeRequestWalPreparation(const MemTable& active);
  // The collector's question for an obsolete WAL: keep it in the pool for reuse (true) or
  // delete it (false).
  bool KeepObsoleteWalForReuse(uint64_t number);
  uint64_t WalCapBytes() const;

  // --- Writes (db_write.cc) ---
  Status CommitGroup(const std::vector<WriteQueue::Writer*>& group);
  Status SyncOnlyGroup();  // leader only: a group of sync requests
  // The leader's pre-commit step: switch the MemTable when full (or forced, or the WAL cap
  // is reached), slow down or wait under write pressure.
  Status MakeRoomForWrite(bool force_switch);
  Status SwitchMemTable();  // leader only
  Status ReadOnlyError();
  Status ReadOnlyErrorLocked();  // requires mu_
  void SetErrorLocked(const Status& error);  // requires mu_

  // --- Background work (db_background.cc) ---
  void StartBackgroundThreads();
  void StopBackgroundThreads();
  void FlushThreadMain();
  void CompactionThreadMain();
  Status FlushImmutable(const Immutable& immutable);
  Status RunCompaction(CompactionPlan plan);  // then collects the replaced files
  Status CompactAndApply(const CompactionPlan& plan);
  void InstallVersion(const Immutable* flushed);  // updates the read view
  // Deletes files nothing references; an error listing the directory is returned (Open
  // fails on it), a file that cannot be deleted is logged and retried at the next collection.
  Status DeleteObsoleteFiles(bool at_open);
  void DeleteObsoleteFilesInBackground();  // logs instead of returning
  uint64_t NewOutputNumber();  // a file number, held as a pending output
  JobContext NewJobContext();
  // Appends a job's edit to the manifest with the current counters and installs it.
  Status ApplyJobEdit(VersionEdit edit);
  // After ApplyJobEdit (success or not): outputs are live now, or orphans.
  void ReleasePendingOutputs(const std::vector<uint64_t>& numbers);
  uint64_t OldestSnapshotSequence();

  std::shared_ptr<const ReadView> CurrentView();
  static size_t MemTableBytes(const ReadView& view);
  uint64_t LiveWalBytes();
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
  // Leader-only state. wal_ is shared with the WAL thread (wal_for_sync_), which only syncs
  // it; the leader replaces it only under wal_prep_mu_.
  std::shared_ptr<record::RecordWriter> wal_;
  std::string commit_buffer_;

  std::mutex mu_;
  std::condition_variable background_cv_;  // work for the background threads, or shutdown
  std::condition_variable flush_done_cv_;  // a flush finished (or failed)
  std::shared_ptr<const ReadView> view_;           // guarded by mu_
  uint64_t allocated_sequence_ = 0;                // guarded by mu_; never reused
  uint64_t last_commit_micros_ = 0;                // guarded by mu_; never decreases
  // Live WAL files (>= the log number) and their sizes; the active WAL's entry is 0 (its size
  // is active_wal_bytes_). Entries below the log number are dropped after each flush.
  std::map<uint64_t, uint64_t> live_wal_bytes_;  // guarded by mu_
  std::multiset<std::pair<uint64_t, const SnapshotImpl*>> snapshots_;  // guarded by mu_
  Status error_;                                   // guarded by mu_; sticky
  bool shutting_down_ = false;                     // guarded by mu_
  uint64_t next_memtable_id_ = 1;                  // guarded by mu_
  uint64_t flushed_memtable_id_ = 0;               // guarded by mu_
  Status flush_error_;                             // guarded by mu_; last flush attempt
  bool compaction_requested_ = false;              // guarded by mu_
  std::set<uint64_t> pending_outputs_;             // guarded by mu_
  std::string last_background_error_;              // guarded by mu_

  // --- WAL thread state ---
  std::mutex wal_prep_mu_;  // a switch and a preparation never overlap; taken before mu_
  std::unique_ptr<record::RecordWriter> prepared_wal_;   // guarded by wal_prep_mu_: the next WAL,
                                                   // recorded, following the active one
  std::condition_variable wal_cv_;                 // with mu_: work for the WAL thread
  std::shared_ptr<record::RecordWriter> wal_for_sync_;   // guarded by mu_: the active WAL
  bool wal_prepare_requested_ = false;             // guarded by mu_
  std::atomic<bool> wal_sync_requested_{false};
  std::atomic<bool> wal_preparation_due_{false};  // requested since the last switch
  std::atomic<bool> active_wal_synced_{false};    // a synced commit since the last switch
  std::atomic<bool> wal_blank_unsupported_{false};  // the Env cannot reuse a zero-filled file
  // Obsolete WAL numbers kept on disk for reuse, and the one being reused right now (0 if
  // none); the collector deletes neither.
  std::set<uint64_t> wal_pool_;                    // guarded by mu_
  uint64_t wal_reusing_ = 0;                       // guarded by mu_
  uint64_t wal_pool_high_ = 0;                     // guarded by mu_: highest number pooled
  std::thread wal_thread_;

  std::mutex compaction_mu_;  // one compaction at a time
  CompactionPicker picker_;   // guarded by compaction_mu_
  std::thread flush_thread_;
  std::thread compaction_thread_;

  std::atomic<uint64_t> visible_sequence_{0};
  std::atomic<uint64_t> active_wal_bytes_{0};
  struct Stats {
    std::atomic<uint64_t> commits{0}, syncs{0}, writes{0}, user_bytes{0}, wal_bytes{0};
    std::atomic<uint64_t> flushes{0}, flush_bytes{0};
    std::atomic<uint64_t> compactions{0}, trivial_moves{0}, compaction_bytes_read{0},
        compaction_bytes_written{0};
    std::atomic<uint64_t> wal_recycled{0}, wal_preallocated{0}, wal_prepared{0},
        wal_background_syncs{0};
    std::atomic<uint64_t> delay_micros{0}, stop_micros{0}, delayed_groups{0}, stops{0};
  } stats_;
  uint64_t recovered_memtable_id_ = 0;  // written during Open only; 0: none
  std::string recovery_report_;  // written during Open only
  std::string recovery_lost_;    // written during Open only
};

}  // namespace cairn

#endif  // CAIRN_DB_DB_IMPL_H_
