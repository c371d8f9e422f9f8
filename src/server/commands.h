// The command table of `cairn serve`: every supported Redis command, its arity, and its
// handler; Dispatch runs one parsed command against the database and writes its reply.
//
// All commands run on the event-loop thread, one at a time in arrival order, which is what
// makes INCR's read-modify-write and MSET's all-or-nothing batch atomic without locks.
// Writes are collected in PendingWrites (visible at once to later commands) and committed by
// the server with WriteOptions::sync = false; the server holds the replies until a shared
// DB::SyncWal covers them (see server.h and docs/server.md).
#ifndef CAIRN_SERVER_COMMANDS_H_
#define CAIRN_SERVER_COMMANDS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/db.h"
#include "server/config.h"
#include "server/pending_writes.h"
#include "server/resp_writer.h"
#include "server/scan_cursors.h"

namespace cairn::server {

constexpr const char* kCairnVersion = "0.1.0";
// Reported as redis_version by INFO and HELLO: some client libraries gate features on it, and
// Cairn answers the Redis 7 commands it implements the Redis 7 way.
constexpr const char* kRedisCompatVersion = "7.0.0";

// Counters shown by INFO; written by the loop thread (commands) and read by it (INFO), plus
// the sync figures the loop copies from the Syncer.
struct ServerStats {
  uint64_t commands_processed = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t protocol_errors = 0;
  uint64_t connected_clients = 0;
  uint64_t writes_applied = 0;    // write commands executed (each one's writes are pending,
                                  // then committed; replies are tagged with this count)
  uint64_t writes_committed = 0;  // writes_applied handed to the engine (DB::Write), whether
                                  // it applied or refused them
  uint64_t commits = 0;           // DB::Write calls that committed pending writes
  uint64_t syncs = 0;             // SyncWal calls completed
  uint64_t sync_micros = 0;       // time spent in them, in total
  uint64_t sync_failures = 0;
  uint64_t writes_durable = 0;    // writes_applied covered by a successful sync (refused
                                  // ones included: they are settled)
  uint64_t writes_refused = 0;    // write commands whose commit the engine refused cleanly
  std::string sync_error;       // the first failed sync, or empty
  uint16_t port = 0;
};

// What the command handlers share: owned by the server, used only on the loop thread.
struct ServerContext {
  DB* db = nullptr;
  const ServerConfig* config = nullptr;
  ServerStats* stats = nullptr;
  ScanCursors* cursors = nullptr;
  PendingWrites* pending = nullptr;
  // Commits pending writes now (SCAN, DBSIZE and CAIRN.FLUSH read the engine directly). OK if
  // the engine then holds exactly what commands may read: also after a clean refusal (the
  // refused writes are gone), not after a failure that left values of unknown outcome in it.
  std::function<Status()> commit_pending;
  // Not OK once a commit or sync failed: writes are refused with it from then on (the engine
  // is read-only until the server restarts).
  const Status* write_error = nullptr;
  std::chrono::steady_clock::time_point started;
};

// Per-connection state a command can read or change.
struct Session {
  uint64_t client_id = 0;
  bool authenticated = false;
  int protocol = 2;  // 2 or 3 (HELLO)
  bool quit = false;  // QUIT: close after this reply is sent
  std::string name;   // CLIENT SETNAME
};

// Executes `args` (args[0] is the command name, any case) and appends exactly one reply to
// *reply. Never fails: errors are error replies.
void Dispatch(ServerContext* context, Session* session, std::vector<std::string>& args,
              std::string* reply);

// --- for the handler files ---

struct CommandSpec;
using Handler = void (*)(ServerContext* context, Session* session,
                         std::vector<std::string>& args, RespWriter* out);

struct CommandSpec {
  const char* name;  // lower case
  int arity;         // > 0: exactly that many words (with the name); < 0: at least -arity
  const char* flags;  // for COMMAND: space-separated, e.g. "write fast"
  Handler handler;
};

// The handler groups, each in its own file.
void AddStringCommands(std::vector<CommandSpec>* table);    // string_commands.cc
void AddKeyspaceCommands(std::vector<CommandSpec>* table);  // keyspace_commands.cc
void AddAdminCommands(std::vector<CommandSpec>* table);     // admin_commands.cc
const std::vector<CommandSpec>& CommandTable();

// Handlers defined in info_command.cc, registered by AddAdminCommands.
void InfoCommand(ServerContext* context, Session* session, std::vector<std::string>& args,
                 RespWriter* out);
void ConfigCommand(ServerContext* context, Session* session, std::vector<std::string>& args,
                   RespWriter* out);
void CommandCommand(ServerContext* context, Session* session, std::vector<std::string>& args,
                    RespWriter* out);

// Writes an engine error as a Redis error reply ("ERR <status>", "IOERR ..." for I/O errors).
void WriteStatusError(const Status& status, RespWriter* out);
// Lower-cases ASCII letters.
std::string ToLower(std::string_view text);

}  // namespace cairn::server

#endif  // CAIRN_SERVER_COMMANDS_H_
