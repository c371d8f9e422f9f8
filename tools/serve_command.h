// `cairn serve`: the Redis-protocol server (src/server/, docs/server.md) as a subcommand of
// the cairn program.
#ifndef CAIRN_TOOLS_SERVE_COMMAND_H_
#define CAIRN_TOOLS_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>

namespace cairn::cli {

// Adds the "serve" subcommand to `app`; when it runs, its exit code is stored in *exit_code
// (0 after a clean shutdown, 1 on an error, which is printed to stderr).
void AddServeCommand(CLI::App* app, int* exit_code);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_SERVE_COMMAND_H_
