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
// Owned and used by the event-loop thread only.
#ifndef CAIRN_SERVER_PENDING_WRITES_H_
#define CAIRN_SERVER_PENDING_WRITES_H_

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cairn/db.h"

namespace cairn::server {

class PendingWrites {
 public:
  explicit PendingWrites(DB* db) : db_(db) {}

  // InvalidArgument if the engine would refuse this Put (key or value over its limit).
  static Status CheckPut(std::string_view key, std::string_view value);

  // The value of key as commands see it: pending, else the database. NotFound if absent or
  // deleted.
  Status Get(std::string_view key, std::string* value) const;

  // Adds a Put (after CheckPut passed) or a Delete.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);

  bool empty() const { return batch_.Count() == 0; }
  size_t bytes() const { return batch_.ApproximateSizeBytes(); }

  // Hands every pending write to the engine in one DB::Write with sync = false, then forgets
  // them (also on failure: a failed write is never visible, so neither are they).
  Status Commit();

 private:
  DB* db_;
  WriteBatch batch_;
  // Latest pending value per key; nullopt for a pending Delete.
  std::unordered_map<std::string, std::optional<std::string>> overlay_;
};

}  // namespace cairn::server

#endif  // CAIRN_SERVER_PENDING_WRITES_H_
