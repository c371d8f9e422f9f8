// The commands of the `cairn` program, one function each. Each returns the process exit
// code: 0 success, 1 error (message on stderr), 2 corruption found (verify).
#ifndef CAIRN_TOOLS_CLI_COMMANDS_H_
#define CAIRN_TOOLS_CLI_COMMANDS_H_

#include <cstdint>
#include <iosfwd>
#include <string>

#include "cli_parse.h"  // ScanRange

namespace cairn::cli {

int Put(const std::string& db, const std::string& key, const std::string& value);
int Get(const std::string& db, const std::string& key);
int Delete(const std::string& db, const std::string& key);
int Scan(const std::string& db, const ScanRange& range);
// Reads key<TAB>value lines from `in`, writes each with sync=true, prints "ACK <key>" to stdout
// (flushed) after each write returned OK.
int Load(const std::string& db, std::istream& in, int threads);
int Dump(const std::string& db);
int Stats(const std::string& db);
// Flushes the MemTables into segment files (DB::Flush).
int Flush(const std::string& db);
// Compacts [from, to] (empty: unbounded) down the levels (DB::CompactRange).
int Compact(const std::string& db, const std::string& from, const std::string& to);
int Verify(const std::string& db);
int Shell(const std::string& db, std::istream& in, bool interactive);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_CLI_COMMANDS_H_
