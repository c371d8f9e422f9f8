#include "serve_command.h"

#include <memory>
#include <string>

#include "cairn/db.h"
#include "engine_options_flags.h"
#include "server/config.h"
#include "server/log.h"
#include "server/server.h"

namespace cairn::cli {
namespace {

int Fail(const std::string& message) {
  server::Log(server::LogLevel::kError, "cairn serve: " + message);
  return 1;
}

int RunServer(const server::ServerConfig& config, const Options& options) {
  // Before DB::Open starts the engine's threads, so they inherit the blocked signals and
  // SIGINT/SIGTERM reach only the server's signalfd.
  Status s = server::BlockShutdownSignals();
  if (!s.ok()) {
    return Fail(s.ToString());
  }
  s = server::ValidateConfig(config);
  if (!s.ok()) {
    return Fail(s.ToString());
  }
  std::unique_ptr<DB> db;
  s = DB::Open(options, config.db_dir, &db);
  if (!s.ok()) {
    return Fail("open " + config.db_dir + ": " + s.ToString());
  }
  {
    server::Server server(config, db.get());
    s = server.Listen();
    if (!s.ok()) {
      return Fail(s.ToString());
    }
    s = server.Run();
    if (!s.ok()) {
      return Fail(s.ToString());
    }
  }
  db.reset();  // closes the database cleanly after the server's final sync
  server::Log(server::LogLevel::kInfo, "cairn serve: database closed");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App* app, int* exit_code) {
  auto config = std::make_shared<server::ServerConfig>();
  auto durability = std::make_shared<std::string>("durable");
  auto log_level = std::make_shared<std::string>("info");
  auto engine_flags = std::make_shared<EngineOptionFlags>();
  CLI::App* serve = app->add_subcommand(
      "serve", "serve the database over the Redis protocol (RESP) on TCP; see docs/server.md");
  serve->add_option("--db", config->db_dir, "database directory")->required();
  serve
      ->add_option("--bind", config->bind,
                   "address to listen on; a non-loopback one requires --requirepass")
      ->capture_default_str();
  serve->add_option("--port", config->port, "TCP port (0: any free port)")->capture_default_str();
  serve
      ->add_option("--durability", *durability,
                   "durable: reply to a write after it is fsynced (group commit); relaxed: "
                   "reply at once, sync every second")
      ->check(CLI::IsMember({"durable", "relaxed"}))
      ->capture_default_str();
  serve->add_option("--requirepass", config->requirepass,
                    "password clients must send with AUTH before any other command");
  serve->add_option("--max-clients", config->max_clients, "maximum simultaneous connections")
      ->capture_default_str();
  serve
      ->add_option("--max-request-bytes", config->max_request_bytes,
                   "largest request (one command with its arguments)")
      ->capture_default_str();
  serve
      ->add_option("--max-bulk-bytes", config->max_bulk_bytes,
                   "largest single argument (key or value)")
      ->capture_default_str();
  serve
      ->add_option("--output-soft-limit-bytes", config->output_soft_limit_bytes,
                   "stop reading from a client whose unsent replies exceed this")
      ->capture_default_str();
  serve
      ->add_option("--output-hard-limit-bytes", config->output_hard_limit_bytes,
                   "close a client whose unsent replies exceed this")
      ->capture_default_str();
  serve
      ->add_option("--group-commit-wait-us", config->gather_micros,
                   "durable mode: after a sync, wait up to this long (and at most half a sync) "
                   "for the clients it answered, so the next sync covers them too; 0: never")
      ->capture_default_str();
  serve->add_option("--log-level", *log_level, "debug, info, warning or error")
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}))
      ->capture_default_str();
  serve->add_option("--port-file", config->port_file,
                    "write the bound port to this file once listening");
  AddEngineOptionFlags(serve, engine_flags.get());  // --option, --config: the engine's Options
  serve->callback([config, durability, log_level, engine_flags, exit_code] {
    // First: a bad engine option is a usage error, reported before anything starts.
    const Options options = ResolveEngineOptions(*engine_flags);
    server::LogLevel level = server::LogLevel::kInfo;
    if (server::ParseLogLevel(*log_level, &level)) {
      server::SetLogLevel(level);
    }
    config->durability =
        *durability == "relaxed" ? server::Durability::kRelaxed : server::Durability::kDurable;
    *exit_code = RunServer(*config, options);
  });
}

}  // namespace cairn::cli
