// DB: the Cairn database handle.
//
// Open a database with DB::Open; close it with Close() (to learn whether the close itself
// succeeded) and/or by destroying the object, after every Iterator is destroyed and every
// Snapshot released. One DB object per directory at a time: a second
// Open of the same directory, from this process or another, fails with Busy.
//
// Thread safety: every method may be called from any number of threads concurrently.
// Concurrent writes are committed in groups: one thread writes and syncs the WAL for all of
// them (group commit), so many concurrent durable writers share each fdatasync.
//
// Durability (docs/durability.md has the full contract):
//   - A write with WriteOptions::sync = true (the default) that returns OK is durable: it
//     survives kill -9, an OS crash and power loss.
//   - If writing or syncing the WAL fails, the writers of that commit group get IOError with
//     IsOutcomeUnknown(): the write may or may not survive a reopen, and it is never visible
//     through this DB object. The database then enters a sticky read-only state: reads and
//     iterators keep working, every later write returns IOError with IsReadOnly() and the
//     original cause. Reopen the database to recover exactly what is durable.
#ifndef CAIRN_DB_H_
#define CAIRN_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/iterator.h"
#include "cairn/options.h"
#include "cairn/status.h"
#include "cairn/write_batch.h"

namespace cairn {

// A consistent point-in-time view, from DB::GetSnapshot. Opaque; owned by the DB until
// DB::ReleaseSnapshot.
class Snapshot {
 public:
  // The sequence number the snapshot reads at: every write with a sequence number at or below
  // it is visible.
  virtual uint64_t sequence() const = 0;

 protected:
  virtual ~Snapshot() = default;
};

class DB {
 public:
  // Opens (and, with Options::create_if_missing, creates) the database in directory `dir`,
  // recovering from the WAL whatever a previous run left. On success *db owns the new
  // handle. Returns:
  //   - Busy if the directory is locked by another DB object or process;
  //   - Corruption if acknowledged data is damaged or missing (see WalRecovery), naming the
  //     file, offset and sequence range; nothing on disk is changed in that case;
  //   - InvalidArgument for a missing database without create_if_missing, or an existing one
  //     with error_if_exists;
  //   - IOError if the file system fails.
  static Status Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Closes the database if Close() has not (its status is then only logged, to the LOG).
  virtual ~DB() = default;

  // Closes the database: waits for writes in progress and for the running flush or
  // compaction round, stops the background jobs, and makes the WAL end durably at its last
  // record, so writes with sync = false become durable too. Writes that returned OK with
  // sync = true were durable already. Returns:
  //   - OK if everything written is durable and every file closed cleanly;
  //   - the error of the final WAL sync or of closing the WAL, or the WAL's sticky error if a
  //     write or sync failed earlier (sync = false writes may then be lost; sync = true
  //     writes that returned OK are not).
  // Unflushed MemTables are not flushed: their WAL files are replayed at the next open.
  // After Close(), writes, Flush and CompactRange fail with IOError; reads of what was
  // written still work until the object is destroyed. A second Close() returns the first
  // one's status. Call it from one thread, with no other call in progress.
  virtual Status Close() = 0;

  // Sets key to value. See WriteOptions::sync for what OK means.
  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;

  // Removes key (a no-op if absent).
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;

  // Applies every operation of `batch` atomically, also across a crash.
  virtual Status Write(const WriteOptions& options, const WriteBatch& batch) = 0;

  // Makes every write that returned before this call durable (fdatasync of the WAL), exactly
  // as if each had been written with WriteOptions::sync = true. Shares its fdatasync with
  // concurrent writers (group commit), so a server can apply writes with sync = false, call
  // SyncWal once for many of them, and acknowledge them all after it returns OK. Returns
  // IOError with IsOutcomeUnknown() if the sync fails (the database then turns read-only:
  // see above), or the read-only error if it already is. Thread-safe.
  virtual Status SyncWal() = 0;

  // Reads the value of key into *value. NotFound if absent.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;

  // Returns a new iterator over the database (see iterator.h). The caller owns it and must
  // destroy it before the DB. Never null.
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // Returns a snapshot of the current state. Release it with ReleaseSnapshot before the DB is
  // destroyed. Never null.
  virtual const Snapshot* GetSnapshot() = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Makes every write acknowledged before the call part of a segment recorded in a durable
  // manifest, so it no longer depends on the WAL. Returns OK only then; otherwise the error,
  // with the stage that failed ("build segment", which includes its fdatasync, or "manifest";
  // a MemTable switch that fails first makes the database read-only), and the previous
  // durable state stays the recovery point. Concurrent calls share one flush. Writers are not
  // blocked while it runs.
  virtual Status Flush() = 0;

  // Compacts the key range [*begin, *end] (nullptr: unbounded) down the levels, dropping
  // overwritten versions and deletions no snapshot needs. Returns when done.
  virtual Status CompactRange(const std::string_view* begin, const std::string_view* end) = 0;

  // Reads an introspection property into *value; returns false if the name is unknown.
  // Names (docs/properties.md lists them all):
  //   "cairn.stats"              human-readable summary of everything below
  //   "cairn.last-sequence"      last visible sequence number
  //   "cairn.wal.commits"        commit groups written to the WAL
  //   "cairn.wal.syncs"          fdatasync calls on the WAL
  //   "cairn.wal.writes"         writes (batches) committed through the WAL
  //   "cairn.wal.writes-per-sync" writes acknowledged per fdatasync, as a decimal
  //   "cairn.wal.live-bytes"     bytes in live WAL files
  //   "cairn.wal.files-recycled" WAL files made from a pooled obsolete WAL since open
  //   "cairn.wal.files-preallocated" WAL files made from a zero-filled file since open
  //   "cairn.memtable.bytes"     bytes in the active and immutable MemTables
  //   "cairn.background-error"   the sticky error, or empty
  //   "cairn.recovery"           what the last open recovered and repaired
  //   "cairn.recovery.lost"      with WalRecovery::kSalvage, what was dropped, or empty
  //   "cairn.options"            the options in force, one NAME=VALUE line each (a --config
  //                              file for `cairn`; docs/options.md), after Open raised any
  //                              value to fit the others
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;
};

}  // namespace cairn

#endif  // CAIRN_DB_H_
