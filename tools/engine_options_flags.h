// The `--option NAME=VALUE` and `--config FILE` flags that every `cairn` command opening a
// database takes (docs/options.md), and how they become the Options it opens with.
#ifndef CAIRN_TOOLS_ENGINE_OPTIONS_FLAGS_H_
#define CAIRN_TOOLS_ENGINE_OPTIONS_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cairn/options.h"

namespace cairn::cli {

struct EngineOptionFlags {
  std::string config_path;               // --config; empty: none
  std::vector<std::string> assignments;  // each --option, in command-line order
};

// Adds --option (repeatable) and --config to `command`, storing into *flags, which must
// outlive the parse.
void AddEngineOptionFlags(CLI::App* command, EngineOptionFlags* flags);

// The defaults, then the --config file, then each --option in order (so an --option overrides
// the file wherever it stands on the line). A bad file, name or value throws
// CLI::ValidationError naming it: a usage error that CLI11_PARSE reports with the exit code of
// every other bad flag, before any database is opened. Call from a subcommand's callback.
Options ResolveEngineOptions(const EngineOptionFlags& flags);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_ENGINE_OPTIONS_FLAGS_H_
