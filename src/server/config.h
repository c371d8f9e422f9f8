// ServerConfig: everything `cairn serve` can be told on its command line, with documented
// defaults (limits.h), and the check that a configuration is safe to start with.
#ifndef CAIRN_SERVER_CONFIG_H_
#define CAIRN_SERVER_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "cairn/status.h"
#include "server/limits.h"
#include "server/log.h"

namespace cairn::server {

enum class Durability {
  // A reply to a write (and every reply that could show one) is sent only after the write is
  // durable: writes share fdatasyncs (group commit). The default.
  kDurable,
  // Writes are acknowledged when applied; a background sync runs every second, like Redis'
  // appendfsync everysec. A kill -9 loses nothing; an OS crash or power cut may lose the last
  // second of acknowledged writes.
  kRelaxed,
};

const char* DurabilityName(Durability durability);

struct ServerConfig {
  std::string db_dir;
  std::string bind = "127.0.0.1";
  uint16_t port = kDefaultPort;  // 0: any free port (the chosen one is logged)
  Durability durability = Durability::kDurable;
  // Empty: no password. Required when `bind` is not a loopback address.
  std::string requirepass;
  int max_clients = kDefaultMaxClients;
  size_t max_request_bytes = kDefaultMaxRequestBytes;
  size_t max_bulk_bytes = kDefaultMaxBulkBytes;
  size_t max_args = kDefaultMaxArgs;
  size_t output_soft_limit_bytes = kDefaultOutputSoftLimitBytes;
  size_t output_hard_limit_bytes = kDefaultOutputHardLimitBytes;
  // Durable mode: how long the next commit may wait for clients just answered by a sync
  // (see kDefaultGatherMicros); at most half the last sync's duration. 0: never wait.
  int gather_micros = kDefaultGatherMicros;
  LogLevel log_level = LogLevel::kInfo;
  // If non-empty, the bound port is written to this file once listening (for tests and
  // scripts that start the server on port 0).
  std::string port_file;
};

// Whether `address` is a loopback address (127.0.0.0/8, ::1, "localhost").
bool IsLoopbackAddress(const std::string& address);

// InvalidArgument naming the problem if `config` may not be used: a non-loopback bind without
// a password (protected mode), or a limit outside its range.
Status ValidateConfig(const ServerConfig& config);

}  // namespace cairn::server

#endif  // CAIRN_SERVER_CONFIG_H_
