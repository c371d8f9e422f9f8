// WalManager: the WAL files of one database while it is open (docs/durability.md §2 "The
// MemTable switch" and §7 "WAL recycling"). It owns
//   - the active WAL, which the write leader appends to;
//   - the next WAL, prepared ahead of the switch by the WAL thread (header durable, directory
//     entry durable, recorded in the manifest), so a switch creates no file on the write path;
//   - the pool of obsolete WALs kept for reuse: overwriting an already-written file from
//     offset 0 lets fdatasync commit only data (no size or extent change) and avoids the
//     discard stall of unlinking a large file; without a pooled file, a new WAL is made from
//     a synced zero-filled file instead (Options::wal_preallocate_bytes), for the same reason;
//   - background sync: for sync=false writers, the WAL thread syncs the active WAL once more
//     than Options::wal_background_sync_bytes are unsynced, so the switch's final sync is
//     short. It never blocks writers: RecordWriter serialises syncs, not writes.
// The WAL thread is a BackgroundWorker (jobs/background_worker.h).
//
// What it needs from its database (a file number, a manifest record, the sticky error, the
// info log) comes through WalManagerHooks, so wal/ depends on no other subsystem but the
// worker.
//
// Threads and locks:
//   - active() and the commit notifications are for the write leader (one at a time).
//   - Switch() and the WAL thread's preparation are exclusive (prep_mu_). A failed
//     preparation or switch may leave a WAL file following the active one, so no other WAL
//     may follow it: the failure is remembered under prep_mu_ and every later Switch fails.
//   - Lock order: prep_mu_ before mu_; the hooks may take the database's lock, so they are
//     never called with mu_ held, and the database never calls in with its lock held.
#ifndef CAIRN_WAL_WAL_MANAGER_H_
#define CAIRN_WAL_WAL_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "cairn/env.h"
#include "cairn/status.h"
#include "jobs/background_worker.h"
#include "record/record_writer.h"
#include "util/mutex.h"
#include "wal/wal_format.h"

namespace cairn::wal {

struct WalManagerOptions {
  // Obsolete WALs kept on disk for reuse (Options::wal_recycle_files).
  size_t recycle_files = 0;
  // Zeros written ahead of a new WAL that has no pooled file to reuse; 0 turns them off.
  // Bounded by the MemTable size and the WAL cap (a WAL rarely outgrows them before its
  // switch, and zeros beyond that would only be cut away again).
  uint64_t preallocate_bytes = 0;
  // Unsynced bytes of the active WAL that make the WAL thread sync it; 0: never.
  uint64_t background_sync_bytes = 0;
  // The switch triggers the next WAL is prepared half way to: a full MemTable, the WAL cap.
  uint64_t memtable_size_bytes = 0;
  uint64_t wal_cap_bytes = 0;
};

struct WalManagerHooks {
  // A new file number from the database's counter.
  std::function<uint64_t()> new_file_number;
  // Records WAL `number` in the manifest, durably. Called before any record in it can be
  // acknowledged, so a missing WAL is detected at open.
  std::function<Status(uint64_t number)> record_wal;
  // Whether the database is writable (no sticky error). Nothing is prepared, synced in the
  // background or pooled otherwise.
  std::function<bool()> healthy;
  // Makes the database read-only with `error` (a background sync or preparation failed).
  std::function<void(const Status& error)> set_error;
  // The info log.
  std::function<void(const std::string& line)> log;
};

class WalManager {
 public:
  WalManager(Env* env, std::string dir, record::DbId db_id, WalManagerOptions options,
             WalManagerHooks hooks);
  ~WalManager();  // stops the WAL thread; does not finish the active WAL (see Close)
  WalManager(const WalManager&) = delete;
  WalManager& operator=(const WalManager&) = delete;

  // --- Open and close (the thread opening or closing the database) ---

  // Creates and records the first WAL of this open, following `prev_number` (0: none), and
  // makes it active. It is zero-filled (sync=true is the default).
  Status OpenFirst(uint64_t prev_number) EXCLUDES(prep_mu_, mu_);
  void StartThread();
  // Stops the WAL thread, then ends the active WAL durably at its last record (so sync=false
  // writes survive a clean close) and closes it. Returns the first error, including the
  // active WAL's sticky error if a write or sync failed earlier (then unsynced writes may be
  // lost). Idempotent; nothing may be written afterwards.
  Status Close() EXCLUDES(prep_mu_, mu_);

  // --- The write leader ---

  // The WAL that commits append to. Leader only; replaced only by Switch().
  record::RecordWriter* active() const { return active_.get(); }
  // After a commit: `synced` if it synced the WAL. Asks the WAL thread for a background sync
  // or for the next WAL when they are due (`memtable_data_bytes`: the active MemTable's).
  void AfterCommit(bool synced, uint64_t memtable_data_bytes) EXCLUDES(mu_);

  // Ends the active WAL durably at its last record, then makes the next WAL active: the
  // prepared one, or one created now. On success `*old_number`/`*old_bytes` describe the WAL
  // that stopped being active. A failure is permanent (see the file comment): the caller
  // makes the database read-only.
  Status Switch(uint64_t* old_number, uint64_t* old_bytes) EXCLUDES(prep_mu_, mu_);

  // --- The collector ---

  // Offers an obsolete WAL (below the manifest's log number) for reuse. True: it is kept (in
  // the pool, or being reused right now), so the collector must not delete it.
  bool OfferObsoleteWal(uint64_t number) EXCLUDES(mu_);

  struct Counters {
    uint64_t recycled = 0;      // WALs made from a pooled obsolete WAL
    uint64_t preallocated = 0;  // WALs made from a zero-filled file
    uint64_t prepared = 0;      // WALs prepared by the WAL thread ahead of a switch
    uint64_t background_syncs = 0;
  };
  Counters counters() const;
  // Bytes written to the active WAL (for the WAL cap and properties). Any thread.
  uint64_t active_bytes() const { return active_bytes_.load(std::memory_order_relaxed); }

 private:
  // Creates WAL `number` following `prev_number` (recycled, zero-filled if
  // `for_durable_writes`, or growing) and records it.
  Result<std::unique_ptr<record::RecordWriter>> CreateAndRecord(uint64_t prev_number,
                                                                bool for_durable_writes)
      REQUIRES(prep_mu_);
  // A zero-filled temporary file, synced, then recycled as `path`. NotSupported when
  // preallocation is off, failed for lack of space, or the Env cannot overwrite files.
  Result<std::unique_ptr<record::RecordWriter>> CreateFromBlankFile(
      uint64_t number, const std::string& path, const record::FileHeader& header)
      REQUIRES(prep_mu_);
  // Makes `next` active; the old active WAL must be finished.
  void Install(std::unique_ptr<record::RecordWriter> next) REQUIRES(prep_mu_) EXCLUDES(mu_);
  void PrepareNext() EXCLUDES(prep_mu_, mu_);  // WAL thread
  // OfferObsoleteWal's decision: true if `number` is kept; *newly_pooled if by this call.
  bool PoolObsoleteWal(uint64_t number, bool healthy, bool* newly_pooled) EXCLUDES(mu_);
  JobRound ThreadRound(const JobControl& control) EXCLUDES(prep_mu_, mu_);
  void Log(const std::string& line) const;

  Env* const env_;
  const std::string dir_;
  const record::DbId db_id_;
  const WalManagerOptions options_;
  const WalManagerHooks hooks_;

  Mutex prep_mu_ ACQUIRED_BEFORE(mu_);
  std::unique_ptr<record::RecordWriter> prepared_
      GUARDED_BY(prep_mu_);                  // recorded, follows the active
  Status chain_error_ GUARDED_BY(prep_mu_);  // a failed preparation or switch; permanent
  bool closed_ GUARDED_BY(prep_mu_) = false;

  // The active WAL: replaced by Install() under prep_mu_ (and mu_ for active_for_sync_);
  // read by the leader without a lock (the leader is the only one that calls Switch).
  std::shared_ptr<record::RecordWriter> active_;

  mutable Mutex mu_;
  std::shared_ptr<record::RecordWriter> active_for_sync_
      GUARDED_BY(mu_);  // what a background sync syncs
  bool prepare_requested_ GUARDED_BY(mu_) = false;
  // Obsolete WAL numbers kept on disk for reuse, and the one being reused right now (0 if
  // none); the collector deletes neither.
  std::set<uint64_t> pool_ GUARDED_BY(mu_);
  uint64_t reusing_ GUARDED_BY(mu_) = 0;
  uint64_t pool_high_ GUARDED_BY(mu_) = 0;  // the highest number ever pooled

  std::atomic<bool> sync_requested_{false};
  std::atomic<bool> preparation_due_{false};    // requested since the last switch
  std::atomic<bool> active_synced_{false};      // a synced commit since the last switch
  std::atomic<bool> blank_unsupported_{false};  // the Env cannot reuse a zero-filled file
  std::atomic<uint64_t> active_bytes_{0};
  struct AtomicCounters {
    std::atomic<uint64_t> recycled{0}, preallocated{0}, prepared{0}, background_syncs{0};
  } counters_;

  BackgroundWorker thread_;  // last: stopped before the members it uses are destroyed
};

}  // namespace cairn::wal

#endif  // CAIRN_WAL_WAL_MANAGER_H_
