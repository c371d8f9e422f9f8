// Server: the event loop of `cairn serve`.
//
// One thread (the caller of Run) owns every connection: it accepts clients, reads and parses
// requests, executes commands one at a time in arrival order (commands.h), and writes
// replies. epoll (level-triggered) watches the listening socket, every client socket, a
// signalfd for SIGINT/SIGTERM and the Syncer's eventfd. A second thread, the Syncer, makes
// writes durable; replies wait (Connection's held replies) until the sync covering them
// returns. docs/server.md explains the design and its reasons.
//
// Shutdown (SIGINT or SIGTERM): the listening socket is closed, no more requests are read,
// replies of commands already executed are released after their sync and sent (for at most
// kShutdownDrainTimeoutMs), then every connection is closed and the Syncer stops after a
// final sync. The caller then destroys the DB, which closes it cleanly.
#ifndef CAIRN_SERVER_SERVER_H_
#define CAIRN_SERVER_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cairn/db.h"
#include "server/commands.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/pending_writes.h"
#include "server/scan_cursors.h"
#include "server/syncer.h"

namespace cairn::server {

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it creates afterwards
// (call it first in main, before DB::Open starts threads), so they arrive only through the
// server's signalfd; ignores SIGPIPE.
Status BlockShutdownSignals();

class Server {
 public:
  // `db` is not owned and must outlive the server.
  Server(const ServerConfig& config, DB* db);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens (and writes the port file, if configured).
  Status Listen();
  uint16_t port() const { return stats_.port; }

  // Serves until SIGINT or SIGTERM (or RequestStop), then shuts down as described above.
  // Returns an error only if the loop could not be set up or epoll failed.
  Status Run();

  // Starts the same graceful shutdown as SIGTERM. Thread-safe; valid after Listen succeeded.
  void RequestStop();

 private:
  Status SetUpLoop();
  void AcceptClients();
  void OnClientEvent(Connection* conn, uint32_t events);
  // Executes buffered commands until input runs out or backpressure pauses the connection.
  // Returns how many commands ran.
  int ProcessInput(Connection* conn);
  void OnSyncDone();
  // Commits pending writes (one DB::Write). If the engine failed (IsEngineFailure), enters
  // the failed state; if it cleanly refused them, RefusePending. Returns DB::Write's status.
  Status CommitPending();
  // DB::Write refused the pending writes without applying any: the replies that could reflect
  // them become an error, the server goes on serving.
  void RefusePending(const Status& cause);
  // ServerContext::commit_pending: CommitPending for a command that reads the engine directly.
  // OK after a clean refusal (nothing pending is left to miss); after a failure, the error if
  // the engine holds a value that may not be durable.
  Status CommitForEngineRead();
  // After each loop iteration: commits pending writes when no sync runs (always, in relaxed
  // mode), requests the next sync, and releases replies.
  void EndOfIteration();
  // Moves every releasable held reply to its connection's output and services it.
  void ReleaseHeld();
  // A commit or sync failed: the engine is read-only. The pending writes are dropped, held
  // replies above the durable count become errors, and every later write is refused with
  // `cause`.
  void EnterFailedState(const std::string& cause);
  // Connection::FailHeldAbove on every connection holding replies; then releases them.
  void FailHeldAbove(uint64_t tag, const std::string& error_reply);
  // Writes what can be written, closes the connection if done or over its limits, and
  // updates its epoll registration.
  void Service(Connection* conn);
  void CloseConnection(Connection* conn, const char* why);
  void BeginShutdown();
  // The count of applied writes whose replies may be sent.
  uint64_t Released() const;

  ServerConfig config_;
  DB* db_;
  ServerStats stats_;
  ScanCursors cursors_;
  ServerContext context_;
  Syncer syncer_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int signal_fd_ = -1;
  int stop_fd_ = -1;  // eventfd written by RequestStop
  uint64_t next_client_id_ = 0;
  PendingWrites pending_;
  Status write_error_;        // see ServerContext::write_error
  uint64_t requested_ = 0;    // writes (stats_.writes_applied units) the Syncer was asked for
  uint64_t durable_ = 0;      // writes the Syncer made durable
  bool failed_ = false;       // a commit or sync failed: replies are released (held ones
                              // above durable_ as errors), writes refused
  bool refusing_ = false;     // the last commit was refused (logged once per run of them)
  bool release_needed_ = false;  // held replies became releasable outside OnSyncDone
  // Gathering (see kMaxGatherMicros): connections released by the last sync that have not
  // sent a command since, and when the gathering ends at the latest.
  std::unordered_set<uint64_t> gather_waiting_;
  std::chrono::steady_clock::time_point gather_deadline_;
  // Loop time per command executed (moving average, microseconds): decides whether waiting
  // for a released group pays (see OnSyncDone).
  double exec_micros_per_command_ = 0;
  bool shutting_down_ = false;
  std::chrono::steady_clock::time_point shutdown_deadline_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_set<uint64_t> with_held_;  // connections holding replies
  std::vector<std::string> args_;           // reused for every command
  std::string reply_;                       // reused for every reply
};

}  // namespace cairn::server

#endif  // CAIRN_SERVER_SERVER_H_
