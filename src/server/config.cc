#include "server/config.h"

#include <arpa/inet.h>

#include <string>

namespace cairn::server {

const char* DurabilityName(Durability durability) {
  return durability == Durability::kDurable ? "durable" : "relaxed";
}

bool IsLoopbackAddress(const std::string& address) {
  if (address == "localhost" || address == "::1") {
    return true;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  return false;
}

Status ValidateConfig(const ServerConfig& config) {
  if (config.db_dir.empty()) {
    return Status::InvalidArgument("--db is required");
  }
  if (!IsLoopbackAddress(config.bind) && config.requirepass.empty()) {
    return Status::InvalidArgument(
        "binding " + config.bind +
        " (not a loopback address) requires --requirepass: without a password anyone on "
        "the network could read and overwrite the database (protected mode)");
  }
  if (config.max_clients < 1 || config.max_clients > kMaxClientsCeiling) {
    return Status::InvalidArgument("--max-clients must be in [1, " +
                                   std::to_string(kMaxClientsCeiling) + "]");
  }
  if (config.max_request_bytes < 1024 || config.max_request_bytes > kMaxRequestBytesCeiling) {
    return Status::InvalidArgument("--max-request-bytes must be in [1024, " +
                                   std::to_string(kMaxRequestBytesCeiling) + "]");
  }
  if (config.max_bulk_bytes < 1 || config.max_bulk_bytes > kMaxValueSizeBytes ||
      config.max_bulk_bytes > config.max_request_bytes) {
    return Status::InvalidArgument(
        "--max-bulk-bytes must be in [1, min(--max-request-bytes, engine value limit " +
        std::to_string(kMaxValueSizeBytes) + ")]");
  }
  if (config.max_args < 1 || config.max_args > kDefaultMaxArgs) {
    return Status::InvalidArgument("--max-args must be in [1, " +
                                   std::to_string(kDefaultMaxArgs) + "]");
  }
  if (config.gather_micros < 0 || config.gather_micros > kMaxGatherMicros) {
    return Status::InvalidArgument("--group-commit-wait-us must be in [0, " +
                                   std::to_string(kMaxGatherMicros) + "]");
  }
  if (config.output_soft_limit_bytes < 1024 ||
      config.output_hard_limit_bytes < config.output_soft_limit_bytes) {
    return Status::InvalidArgument(
        "output buffer limits: soft must be >= 1024 and hard >= soft");
  }
  return Status::OK();
}

}  // namespace cairn::server
