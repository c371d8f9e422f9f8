// Every limit of `cairn serve`, with the reason for it. The configurable ones are defaults of
// ServerConfig (config.h) with a hard ceiling here; relations to the engine's own limits
// (util/constants.h) are checked at compile time.
#ifndef CAIRN_SERVER_LIMITS_H_
#define CAIRN_SERVER_LIMITS_H_

#include <cstddef>
#include <cstdint>

#include "util/constants.h"

namespace cairn::server {

// 7379: next to Redis' 6379, so both can run on one machine (the benchmark does).
constexpr uint16_t kDefaultPort = 7379;

// Connections beyond this are answered "-ERR max number of clients reached" and closed. Each
// connection costs a file descriptor and its buffers; 10000 is Redis' default too.
constexpr int kDefaultMaxClients = 10000;
constexpr int kMaxClientsCeiling = 1000000;

// A single bulk string (a key or a value) in a request. Values larger than the engine accepts
// are refused while parsing, before their bytes are buffered.
constexpr size_t kDefaultMaxBulkBytes = kMaxValueSizeBytes;  // 64 MiB
// A whole request (every argument of one command plus RESP framing). 128 MiB admits one SET
// of a maximal value; it bounds what one connection can make the server buffer.
constexpr size_t kDefaultMaxRequestBytes = 128u << 20;
constexpr size_t kMaxRequestBytesCeiling = 128u << 20;
// Writes executed while a sync runs wait in one pending WriteBatch (pending_writes.h); past
// this size it is committed at once (the loop then waits for the running sync), so the batch
// and its read overlay stay bounded. The engine's group-commit size is a natural choice.
constexpr size_t kPendingCommitBytes = kMaxGroupCommitBytes;  // 4 MiB
// A Put costs the batch at most 8 bytes beyond its key and value, RESP at least 12 ("$0\r\n"
// and CRLF for each), so a request's writes never take more batch bytes than the request;
// the pending batch plus one maximal request must fit in one WriteBatch.
static_assert(kPendingCommitBytes + kMaxRequestBytesCeiling <= kMaxBatchSizeBytes,
              "pending writes plus a maximal request must fit in one WriteBatch");
static_assert(kDefaultMaxBulkBytes <= kDefaultMaxRequestBytes);
// In durable mode the keys of each commit are kept until a sync covers it, so that after a
// failure reads of keys with an unknown outcome can be refused (pending_writes.h). Normally
// one or two commits wait for a sync; the early commits above and SCAN/DBSIZE (which commit
// first) can add more while one sync runs. Past this many the newest ones are merged, which
// only keeps keys a little longer than needed.
constexpr size_t kMaxUnsyncedCommits = 16;

// Arguments of one command (Redis allows far more; 1 Mi arguments is ample for MSET/MGET and
// bounds the per-request vector). The parser never reserves more than kArgsReserveMax up
// front, so a huge declared count costs nothing until its bytes arrive.
constexpr size_t kDefaultMaxArgs = 1u << 20;
constexpr size_t kArgsReserveMax = 1024;

// An inline command (a plain text line, as typed into telnet) or a RESP header line. 64 KiB is
// Redis' PROTO_INLINE_MAX_SIZE.
constexpr size_t kMaxInlineBytes = 64u << 10;
// "*" or "$", at most 20 digits and a sign, CRLF: anything longer is not a header.
constexpr size_t kMaxHeaderLineBytes = 32;

// One read(2) per readable connection per loop iteration takes at most this much, so one busy
// client cannot starve the others.
constexpr size_t kReadChunkBytes = 64u << 10;

// Backpressure: while a connection's unsent (and held) replies exceed the soft limit, the
// server neither executes its next command nor reads from it; reading resumes once the client
// drained them. Past the hard limit (a single reply can be large: MGET of big values) the
// connection is closed, like Redis' client-output-buffer-limit.
constexpr size_t kDefaultOutputSoftLimitBytes = 1u << 20;
constexpr size_t kDefaultOutputHardLimitBytes = 512u << 20;
static_assert(kDefaultOutputHardLimitBytes > 2 * kDefaultMaxBulkBytes + 1024,
              "a GET of a maximal value must not get its connection closed");

// SCAN: the default and the largest COUNT (keys examined per call), so one call's work and
// reply stay bounded.
constexpr uint64_t kScanDefaultCount = 10;
constexpr uint64_t kScanMaxCount = 100000;
// SCAN cursors are numbers (clients parse them as integers) naming a resume key kept by the
// server. At most this many live cursors and this many bytes of resume keys are kept; the
// oldest are forgotten first ("-ERR invalid cursor" after that).
constexpr size_t kMaxScanCursors = 16384;
constexpr size_t kMaxScanCursorBytes = 64u << 20;

// Durable mode: after a sync releases replies, the next commit waits up to this long (and at
// most half the last sync's duration) for the released clients to send their next requests,
// so one sync covers them too. Without it the clients settle into two groups that alternate
// between syncs, each sync covering only half of them. Ends early once all have sent. The
// default of --group-commit-wait-us; 0 disables the wait.
constexpr int kDefaultGatherMicros = 1000;
constexpr int kMaxGatherMicros = 100000;

// --durability relaxed: writes are synced in the background this often (Redis' everysec).
constexpr int kRelaxedSyncIntervalMs = 1000;

// Shutdown: in-flight replies are flushed to clients for at most this long.
constexpr int kShutdownDrainTimeoutMs = 5000;

// epoll_wait returns at most this many events per call.
constexpr int kEpollMaxEvents = 256;
// The listen(2) backlog; 511 is Redis' default.
constexpr int kListenBacklog = 511;

}  // namespace cairn::server

#endif  // CAIRN_SERVER_LIMITS_H_
