// The commands of the `cairn` program, one function each. Each returns the process exit
// code: 0 success, 1 error (message on stderr), 2 corruption found (verify).
#ifndef CAIRN_TOOLS_CLI_COMMANDS_H_
#define CAIRN_TOOLS_CLI_COMMANDS_H_

#include <cstdint>
#include <iosfwd>
#include <string>

#include "cairn/options.h"
#include "cli_parse.h"  // ScanRange

namespace cairn::cli {

// The database a command works on: its directory and the options it is opened with
// (--option/--config, engine_options_flags.h).
struct DbTarget {
  std::string dir;
  Options options;
};

int Put(const DbTarget& db, const std::string& key, const std::string& value);
int Get(const DbTarget& db, const std::string& key);
int Delete(const DbTarget& db, const std::string& key);
int Scan(const DbTarget& db, const ScanRange& range);
// Reads key<TAB>value lines from `in`, writes each with sync=true, prints "ACK <key>" to stdout
// (flushed) after each write returned OK.
int Load(const DbTarget& db, std::istream& in, int threads);
int Dump(const DbTarget& db);
// Prints the statistics (cairn.stats) as "# " comment lines, then every option in force as
// NAME=VALUE lines, so the whole output is a valid --config file.
int Stats(const DbTarget& db);
// Prints every option of `options` with its description, as a --config file. Opens nothing.
int PrintOptions(const Options& options);
// Flushes the MemTables into segment files (DB::Flush).
int Flush(const DbTarget& db);
// Compacts [from, to] (empty: unbounded) down the levels (DB::CompactRange).
int Compact(const DbTarget& db, const std::string& from, const std::string& to);
// Reads the files directly (no DB::Open), so it takes no engine options.
int Verify(const std::string& db);
int Shell(const DbTarget& db, std::istream& in, bool interactive);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_CLI_COMMANDS_H_
