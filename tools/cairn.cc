// cairn: the command-line program for a Cairn database. See README.md ("Command line").
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "cli_commands.h"
#include "engine_options_flags.h"
#include "serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"cairn: a crash-safe embedded key/value store"};
  app.require_subcommand(1);
  std::string db;
  cairn::cli::EngineOptionFlags engine_flags;
  // Every command that opens the database: --db, --option and --config.
  auto add_db = [&](CLI::App* command) {
    command->add_option("--db", db, "database directory")->required();
    cairn::cli::AddEngineOptionFlags(command, &engine_flags);
  };
  // Called first in each such command's callback: a bad option is a usage error, thrown
  // before anything is opened.
  auto target = [&] {
    return cairn::cli::DbTarget{db, cairn::cli::ResolveEngineOptions(engine_flags)};
  };
  std::string key, value;
  cairn::cli::ScanRange range;
  int threads = 1;
  int exit_code = 0;

  CLI::App* put = app.add_subcommand("put", "set KEY to VALUE (durable when it returns)");
  add_db(put);
  put->add_option("key", key)->required();
  put->add_option("value", value)->required();
  put->callback([&] { exit_code = cairn::cli::Put(target(), key, value); });

  CLI::App* get = app.add_subcommand("get", "print the value of KEY");
  add_db(get);
  get->add_option("key", key)->required();
  get->callback([&] { exit_code = cairn::cli::Get(target(), key); });

  CLI::App* del = app.add_subcommand("del", "delete KEY");
  add_db(del);
  del->add_option("key", key)->required();
  del->callback([&] { exit_code = cairn::cli::Delete(target(), key); });

  CLI::App* scan = app.add_subcommand("scan", "print key<TAB>value lines in key order");
  add_db(scan);
  scan->add_option("--from", range.from, "first key (inclusive)");
  scan->add_option("--to", range.to, "end key (exclusive)");
  scan->add_option("--limit", range.limit, "at most this many lines");
  scan->callback([&] { exit_code = cairn::cli::Scan(target(), range); });

  CLI::App* load = app.add_subcommand(
      "load", "write key<TAB>value lines from stdin durably, printing ACK <key> after each");
  add_db(load);
  load->add_option("--threads", threads, "writer threads")->check(CLI::Range(1, 256));
  load->callback([&] { exit_code = cairn::cli::Load(target(), std::cin, threads); });

  CLI::App* dump = app.add_subcommand("dump", "print every live key<TAB>value, sorted");
  add_db(dump);
  dump->callback([&] { exit_code = cairn::cli::Dump(target()); });

  CLI::App* stats = app.add_subcommand("stats", "print engine statistics");
  add_db(stats);
  stats->callback([&] { exit_code = cairn::cli::Stats(target()); });

  CLI::App* flush = app.add_subcommand("flush", "write the MemTables into segment files");
  add_db(flush);
  flush->callback([&] { exit_code = cairn::cli::Flush(target()); });

  CLI::App* compact = app.add_subcommand(
      "compact", "compact a key range (default: everything) down the levels, dropping garbage");
  add_db(compact);
  compact->add_option("--from", range.from, "first key (inclusive)");
  compact->add_option("--to", range.to, "last key (inclusive)");
  compact->callback([&] { exit_code = cairn::cli::Compact(target(), range.from, range.to); });

  CLI::App* verify = app.add_subcommand(
      "verify", "check every checksum of every file; exit 2 if corruption is found");
  verify->add_option("--db", db, "database directory")->required();  // reads files, no Open
  verify->callback([&] { exit_code = cairn::cli::Verify(db); });

  CLI::App* shell = app.add_subcommand("shell", "interactive prompt: put/get/del/scan/stats");
  add_db(shell);
  shell->callback(
      [&] { exit_code = cairn::cli::Shell(target(), std::cin, isatty(STDIN_FILENO) != 0); });

  CLI::App* options = app.add_subcommand(
      "options",
      "print every engine option with its description, as a --config file; opens "
      "nothing (with --option/--config: checks them and prints the result)");
  cairn::cli::AddEngineOptionFlags(options, &engine_flags);
  options->callback([&] {
    exit_code = cairn::cli::PrintOptions(cairn::cli::ResolveEngineOptions(engine_flags));
  });

  cairn::cli::AddServeCommand(&app, &exit_code);  // the Redis-protocol server

  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
