// PendingWrites: the writes commands have executed but the server has not yet handed to the
// engine, combined into one WriteBatch, with an overlay so later commands read them.
//
// Why: the engine orders writes behind a running WAL sync, so a loop that called DB::Write
// per command would stall for every fdatasync, and pay one write(2) per command. Instead the
// loop keeps executing while a sync runs, collecting writes here; when the sync returns, one
// DB::Write commits all of them (still sync = false) and the next sync starts. Commands see
// their own and earlier commands' writes through Get, so execution stays strictly sequential
// (INCR, SET NX/GET, DEL counts). The combined batch is atomic, so MSET stays all-or-nothing.
// Replies that depend on pending writes are held by the server until a sync covers them.
//
// After a failure (the engine turned read-only) nothing that is not durable may be read:
// Abandon() drops the pending writes (they never reached the engine), and reads of a key whose
// committed write was not yet covered by a sync, or whose commit failed with an unknown
// outcome, are answered with an outcome-unknown error instead of the engine's value, which a
// restart may not have. For that, in durable mode, each commit's keys are kept until
// ForgetSynced() says a sync covered it.
//
// Owned and used by the event-loop thread only.
#ifndef CAIRN_SERVER_PENDING_WRITES_H_
#define CAIRN_SERVER_PENDING_WRITES_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cairn/db.h"

namespace cairn::server {

class PendingWrites {
 public:
  // `db` is not owned and must outlive this object. `track_unsynced`: keep each commit's keys
  // until a sync covers it (durable mode); relaxed mode acknowledges before syncing anyway.
  PendingWrites(DB* db, bool track_unsynced) : db_(db), track_unsynced_(track_unsynced) {}

  // InvalidArgument if the engine would refuse this Put (key or value over its limit).
  static Status CheckPut(std::string_view key, std::string_view value);

  // The value of key as commands see it: pending, else the database. NotFound if absent or
  // deleted. After Abandon(), IOError with IsOutcomeUnknown() for a key whose latest
  // committed write is not known to be durable; the engine's errors otherwise.
  Status Get(std::string_view key, std::string* value) const;

  // Adds a Put (after CheckPut passed) or a Delete. Not after Abandon().
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);

  bool empty() const { return batch_.Count() == 0; }
  size_t bytes() const { return batch_.ApproximateSizeBytes(); }

  // Hands every pending write to the engine in one DB::Write with sync = false, then forgets
  // them as pending (also on failure: a failed write is never visible, so neither are they).
  // `tag` is the count of writes the batch completes (the server's writes_applied): on
  // success, and on a failure with IsOutcomeUnknown(), the batch's keys are kept (if tracked)
  // until ForgetSynced(tag or more). Returns DB::Write's status.
  Status Commit(uint64_t tag);

  // Every write counted up to `durable` is durable: forgets the keys of the commits it covers.
  void ForgetSynced(uint64_t durable);

  // The engine failed and stays read-only: drops the pending writes (they never reached the
  // engine, so their values must not be read), and from now on Get refuses the kept keys.
  void Abandon();

  // OK, or after Abandon() the outcome-unknown error if some kept key exists: a read of the
  // whole engine (SCAN, DBSIZE) would show its value, which may not be durable.
  Status CheckEveryKeyKnown() const;

 private:
  // Latest pending value per key; nullopt for a pending Delete.
  using Overlay = std::unordered_map<std::string, std::optional<std::string>>;
  // The keys of a commit not yet covered by a sync (their values dropped: never read again).
  struct Unsynced {
    uint64_t tag;
    Overlay keys;
  };

  // Keeps the just-committed overlay as unsynced keys (or drops it, if untracked).
  void KeepUnsynced(uint64_t tag);
  bool IsUnsynced(const std::string& key) const;

  DB* db_;
  const bool track_unsynced_;
  bool abandoned_ = false;
  WriteBatch batch_;
  Overlay overlay_;
  std::deque<Unsynced> unsynced_;  // oldest first, tags increasing; at most kMaxUnsyncedCommits
};

}  // namespace cairn::server

#endif  // CAIRN_SERVER_PENDING_WRITES_H_
