// DBImpl: the DB implementation. It orchestrates; the algorithms live in their subsystems
// (wal/ for the log and its recovery, memtable/ for the in-memory table, db/write_queue.h for
// group commit).
//
// Concurrency:
//   - mu_ guards the read view, the sequence allocator, the snapshot list and the sticky
//     error. It is held only for short bookkeeping, never across I/O.
//   - The write queue elects one leader at a time; only the leader touches wal_ and inserts
//     into the active MemTable, so neither needs a lock of its own.
//   - Readers copy the current ReadView (a shared_ptr) under mu_ and then read without locks.
#ifndef CAIRN_DB_DB_IMPL_H_
#define CAIRN_DB_DB_IMPL_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "cairn/env.h"
#include "db/info_log.h"
#include "db/write_queue.h"
#include "memtable/memtable.h"
#include "wal/wal_format.h"
#include "wal/wal_writer.h"

namespace cairn {

class DBImpl final : public DB {
 public:
  DBImpl(const Options& options, std::string dir);
  ~DBImpl() override;

  // Locks the directory, creates or recovers the database, and starts a new WAL.
  Status Open();

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, const WriteBatch& batch) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  const Snapshot* GetSnapshot() override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  bool GetProperty(std::string_view name, std::string* value) override;

 private:
  // What a reader needs: the MemTables, newest first. Immutable once published.
  struct ReadView {
    std::shared_ptr<MemTable> active;
    std::vector<std::shared_ptr<MemTable>> immutables;  // newest first
  };

  class SnapshotImpl final : public Snapshot {
   public:
    explicit SnapshotImpl(uint64_t sequence) : sequence_(sequence) {}
    ~SnapshotImpl() override = default;
    uint64_t sequence() const override { return sequence_; }

   private:
    const uint64_t sequence_;
  };

  // Open steps (db_open.cc).
  Status LoadOrCreateIdentity(const std::vector<std::string>& children);
  Status RecoverWal(const std::vector<std::string>& children);
  Status RemoveLeftoverTemporaries(const std::vector<std::string>& children);
  Status StartNewWal(uint64_t prev_log_number);

  // The leader's work for one commit group (db_write.cc).
  Status CommitGroup(const std::vector<WriteQueue::Writer*>& group);
  Status MaybeSwitchMemTable();
  // OK, or the error every write returns in the sticky read-only state.
  Status ReadOnlyError();
  Status ReadOnlyErrorLocked();  // requires mu_

  std::shared_ptr<const ReadView> CurrentView();
  uint64_t LiveWalBytes();
  void Log(const std::string& message);
  std::string StatsText();

  const Options options_;
  Env* const env_;
  const std::string dir_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<InfoLog> info_log_;
  wal::DbId db_id_{};

  WriteQueue write_queue_;
  // Leader-only state (see the class comment).
  std::unique_ptr<wal::WalWriter> wal_;
  std::string commit_buffer_;

  std::mutex mu_;
  std::shared_ptr<const ReadView> view_;          // guarded by mu_
  uint64_t allocated_sequence_ = 0;               // guarded by mu_; never reused
  uint64_t next_file_number_ = 1;                 // guarded by mu_
  uint64_t last_commit_micros_ = 0;               // guarded by mu_; never decreases
  std::vector<uint64_t> live_wal_numbers_;        // guarded by mu_
  uint64_t closed_wal_bytes_ = 0;                 // guarded by mu_: bytes of live, closed WALs
  std::multiset<std::pair<uint64_t, const SnapshotImpl*>> snapshots_;  // guarded by mu_
  Status error_;                                  // guarded by mu_; sticky

  std::atomic<uint64_t> visible_sequence_{0};
  std::atomic<uint64_t> active_wal_bytes_{0};  // written by the leader, read by stats
  std::atomic<uint64_t> stat_commits_{0};
  std::atomic<uint64_t> stat_syncs_{0};
  std::atomic<uint64_t> stat_writes_{0};
  std::atomic<uint64_t> stat_bytes_written_{0};
  std::string recovery_report_;  // written during Open only
  std::string recovery_lost_;    // written during Open only
};

}  // namespace cairn

#endif  // CAIRN_DB_DB_IMPL_H_
