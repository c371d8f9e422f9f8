// Syncer: the thread that makes the server's writes durable, so the event loop never waits
// for an fdatasync itself.
//
// The loop applies writes with WriteOptions::sync = false and counts them ("applied"). It
// calls Request(applied) at the end of every loop iteration. In durable mode the syncer thread
// then calls DB::SyncWal() (which shares its fdatasync with any concurrent engine writers);
// when it returns OK every write counted before the request is durable, and the syncer
// publishes that count and wakes the loop through an eventfd. While one sync runs, the loop
// keeps executing commands; the next sync covers all of them at once (group commit across
// connections and pipelined requests). In relaxed mode the thread syncs once a second instead.
//
// A failed sync is final: the engine turns read-only (DB::SyncWal's contract), the syncer
// records the error, stops syncing, and the loop drops its pending writes and turns every
// reply it still holds above the durable count into an error ("outcome unknown").
//
// Thread safety: Request, Poll and Stop are called by the loop thread only.
#ifndef CAIRN_SERVER_SYNCER_H_
#define CAIRN_SERVER_SYNCER_H_

#include <cstdint>
#include <string>
#include <thread>

#include "cairn/db.h"
#include "server/config.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace cairn::server {

class Syncer {
 public:
  Syncer(DB* db, Durability durability) : db_(db), durability_(durability) {}
  Syncer(const Syncer&) = delete;
  Syncer& operator=(const Syncer&) = delete;
  // Stops the thread (with a final sync) if it still runs.
  ~Syncer();

  // Creates the eventfd and starts the thread.
  Status Start();
  // Readable (in the loop's epoll) whenever a sync finished since the last Poll.
  int event_fd() const { return event_fd_; }

  // Asks for every write counted up to `applied` to become durable.
  void Request(uint64_t applied);

  struct Outcome {
    uint64_t durable = 0;            // every write counted up to this is durable
    uint64_t syncs = 0;              // SyncWal calls finished
    uint64_t last_sync_micros = 0;   // how long the latest SyncWal took
    uint64_t total_sync_micros = 0;  // how long all of them took
    bool failed = false;
    std::string error;  // the failed sync's status, if failed
  };
  // Drains the eventfd and returns the current state.
  Outcome Poll();

  // Syncs whatever was requested and not yet synced, then ends the thread. Idempotent.
  void Stop();

 private:
  void Run();
  // A sync is due: something was requested beyond what is durable, and no sync failed.
  bool HasWork() const REQUIRES(mu_) { return requested_ > outcome_.durable && !outcome_.failed; }

  DB* const db_;
  const Durability durability_;
  int event_fd_ = -1;
  std::thread thread_;
  Mutex mu_;
  CondVar cv_;
  uint64_t requested_ GUARDED_BY(mu_) = 0;
  Outcome outcome_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
};

}  // namespace cairn::server

#endif  // CAIRN_SERVER_SYNCER_H_
