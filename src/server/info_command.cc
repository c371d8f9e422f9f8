// The introspection commands: INFO, CONFIG GET and COMMAND (enough of each for redis-cli,
// redis-benchmark and client libraries).
#include <unistd.h>

#include <chrono>
#include <utility>

#include "server/commands.h"
#include "server/glob.h"

namespace cairn::server {
namespace {

void AddLine(std::string* text, std::string_view name, std::string_view value) {
  text->append(name).append(":").append(value).append("\r\n");
}

void ServerSection(ServerContext* context, std::string* text) {
  auto uptime = std::chrono::steady_clock::now() - context->started;
  text->append("# Server\r\n");
  AddLine(text, "redis_version", kRedisCompatVersion);
  AddLine(text, "cairn_version", kCairnVersion);
  AddLine(text, "redis_mode", "standalone");
  AddLine(text, "process_id", std::to_string(getpid()));
  AddLine(text, "tcp_port", std::to_string(context->stats->port));
  AddLine(text, "uptime_in_seconds",
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(uptime).count()));
  AddLine(text, "db_dir", context->config->db_dir);
}

void ClientsSection(ServerContext* context, std::string* text) {
  text->append("# Clients\r\n");
  AddLine(text, "connected_clients", std::to_string(context->stats->connected_clients));
  AddLine(text, "maxclients", std::to_string(context->config->max_clients));
}

void PersistenceSection(ServerContext* context, std::string* text) {
  const ServerStats& stats = *context->stats;
  bool durable = context->config->durability == Durability::kDurable;
  text->append("# Persistence\r\n");
  AddLine(text, "durability", DurabilityName(context->config->durability));
  AddLine(text, "durability_meaning",
          durable ? "a write is acknowledged after the fdatasync that covers it"
                  : "a write is acknowledged when applied; synced every second");
  AddLine(text, "aof_enabled", "1");  // the WAL plays the role of Redis' append-only file
  AddLine(text, "appendfsync", durable ? "always" : "everysec");
  AddLine(text, "syncs", std::to_string(stats.syncs));
  AddLine(text, "writes_applied", std::to_string(stats.writes_applied));
  AddLine(text, "writes_durable", std::to_string(stats.writes_durable));
  char ratio[32];
  snprintf(ratio, sizeof(ratio), "%.2f",
           stats.syncs == 0 ? 0.0
                            : static_cast<double>(stats.writes_durable) /
                                  static_cast<double>(stats.syncs));
  AddLine(text, "writes_per_sync", ratio);
  snprintf(ratio, sizeof(ratio), "%.0f",
           stats.syncs == 0 ? 0.0
                            : static_cast<double>(stats.sync_micros) /
                                  static_cast<double>(stats.syncs));
  AddLine(text, "sync_micros_avg", ratio);
  AddLine(text, "commits", std::to_string(stats.commits));
  AddLine(text, "writes_refused", std::to_string(stats.writes_refused));
  AddLine(text, "sync_failures", std::to_string(stats.sync_failures));
  AddLine(text, "read_only", stats.sync_error.empty() ? "0" : "1");
  AddLine(text, "last_sync_error", stats.sync_error);
}

void StatsSection(ServerContext* context, std::string* text) {
  const ServerStats& stats = *context->stats;
  text->append("# Stats\r\n");
  AddLine(text, "total_connections_received", std::to_string(stats.connections_received));
  AddLine(text, "total_commands_processed", std::to_string(stats.commands_processed));
  AddLine(text, "rejected_connections", std::to_string(stats.rejected_connections));
  AddLine(text, "total_error_replies_protocol", std::to_string(stats.protocol_errors));
}

void EngineSection(ServerContext* context, std::string* text) {
  static constexpr const char* kProperties[] = {
      "cairn.last-sequence",       "cairn.wal.commits",      "cairn.wal.syncs",
      "cairn.wal.writes",          "cairn.wal.writes-per-sync", "cairn.wal.live-bytes",
      "cairn.memtable.bytes",      "cairn.background-error"};
  text->append("# Engine\r\n");
  for (const char* property : kProperties) {
    std::string value;
    if (context->db->GetProperty(property, &value)) {
      std::string name = property;
      for (char& c : name) {
        c = (c == '.' || c == '-') ? '_' : c;
      }
      for (char& c : value) {
        c = (c == '\r' || c == '\n') ? ' ' : c;
      }
      AddLine(text, name, value);
    }
  }
}

}  // namespace

// INFO [section ...]: server, clients, persistence, stats, engine; "all"/"everything"/
// "default" or none: every section.
void InfoCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                 RespWriter* out) {
  using Section = void (*)(ServerContext*, std::string*);
  static constexpr std::pair<const char*, Section> kSections[] = {
      {"server", ServerSection},   {"clients", ClientsSection}, {"persistence", PersistenceSection},
      {"stats", StatsSection},     {"engine", EngineSection}};
  bool all = args.size() == 1;
  for (size_t i = 1; i < args.size(); i++) {
    std::string name = ToLower(args[i]);
    all = all || name == "all" || name == "everything" || name == "default";
  }
  std::string text;
  for (const auto& [name, section] : kSections) {
    bool wanted = all;
    for (size_t i = 1; i < args.size() && !wanted; i++) {
      wanted = ToLower(args[i]) == name;
    }
    if (wanted) {
      if (!text.empty()) {
        text.append("\r\n");
      }
      section(context, &text);
    }
  }
  out->Bulk(text);
}

// CONFIG GET pattern [pattern ...]: the server's settings under Redis' names where one exists.
// CONFIG SET and the rest are refused: settings are command-line flags.
void ConfigCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                   RespWriter* out) {
  if (ToLower(args[1]) == "resetstat" && args.size() == 2) {
    out->SimpleString("OK");  // nothing to reset that clients rely on
    return;
  }
  if (ToLower(args[1]) != "get" || args.size() < 3) {
    out->Error("ERR CONFIG " + ToLower(args[1]) +
               " is not supported: Cairn's settings are cairn serve flags (CONFIG GET works)");
    return;
  }
  const ServerConfig& config = *context->config;
  bool durable = config.durability == Durability::kDurable;
  const std::pair<std::string, std::string> params[] = {
      {"bind", config.bind},
      {"port", std::to_string(context->stats->port)},
      {"dir", config.db_dir},
      {"maxclients", std::to_string(config.max_clients)},
      {"requirepass", config.requirepass.empty() ? "" : "(set)"},
      {"appendonly", "yes"},
      {"appendfsync", durable ? "always" : "everysec"},
      {"save", ""},
      {"databases", "1"},
      {"maxmemory", "0"},
      {"proto-max-bulk-len", std::to_string(config.max_bulk_bytes)},
      {"client-query-buffer-limit", std::to_string(config.max_request_bytes)},
      {"cairn-durability", DurabilityName(config.durability)},
  };
  std::vector<const std::pair<std::string, std::string>*> matched;
  for (const auto& param : params) {
    for (size_t i = 2; i < args.size(); i++) {
      if (GlobMatch(ToLower(args[i]), param.first)) {
        matched.push_back(&param);
        break;
      }
    }
  }
  out->MapHeader(matched.size());
  for (const auto* param : matched) {
    out->Bulk(param->first);
    out->Bulk(param->second);
  }
}

namespace {

// Key positions (first, last, step) for COMMAND's reply.
void KeySpec(std::string_view name, int* first, int* last, int* step) {
  *first = 0, *last = 0, *step = 0;
  if (name == "get" || name == "set" || name == "incr" || name == "decr" ||
      name == "incrby" || name == "decrby") {
    *first = 1, *last = 1, *step = 1;
  } else if (name == "mget" || name == "del" || name == "exists") {
    *first = 1, *last = -1, *step = 1;
  } else if (name == "mset") {
    *first = 1, *last = -1, *step = 2;
  }
}

void CommandEntry(const CommandSpec& spec, RespWriter* out) {
  int first = 0, last = 0, step = 0;
  KeySpec(spec.name, &first, &last, &step);
  std::vector<std::string> flags;
  std::string_view rest = spec.flags;
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    flags.emplace_back(rest.substr(0, space));
    rest = space == std::string_view::npos ? "" : rest.substr(space + 1);
  }
  out->ArrayHeader(6);
  out->Bulk(spec.name);
  out->Integer(spec.arity);
  out->ArrayHeader(flags.size());
  for (const std::string& flag : flags) {
    out->SimpleString(flag);
  }
  out->Integer(first);
  out->Integer(last);
  out->Integer(step);
}

}  // namespace

// COMMAND, COMMAND COUNT, COMMAND LIST, COMMAND INFO name..., COMMAND DOCS [name...] (empty).
void CommandCommand(ServerContext*, Session*, std::vector<std::string>& args,
                    RespWriter* out) {
  const std::vector<CommandSpec>& table = CommandTable();
  std::string sub = args.size() > 1 ? ToLower(args[1]) : "";
  if (sub.empty()) {
    out->ArrayHeader(table.size());
    for (const CommandSpec& spec : table) {
      CommandEntry(spec, out);
    }
  } else if (sub == "count") {
    out->Integer(static_cast<long long>(table.size()));
  } else if (sub == "list") {
    out->ArrayHeader(table.size());
    for (const CommandSpec& spec : table) {
      out->Bulk(spec.name);
    }
  } else if (sub == "info") {
    out->ArrayHeader(args.size() - 2);
    for (size_t i = 2; i < args.size(); i++) {
      const CommandSpec* found = nullptr;
      for (const CommandSpec& spec : table) {
        found = ToLower(args[i]) == spec.name ? &spec : found;
      }
      found != nullptr ? CommandEntry(*found, out) : out->Null();
    }
  } else if (sub == "docs") {
    out->MapHeader(0);  // no documentation is served; redis-cli then shows no hints
  } else {
    out->Error("ERR unknown subcommand '" + sub + "'. Try COMMAND COUNT, LIST, INFO, DOCS.");
  }
}

}  // namespace cairn::server
