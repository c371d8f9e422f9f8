// Parsing of the `cairn` program's line-oriented input, apart from any database so that it
// can be tested and fuzzed on its own (fuzz/cli_fuzz.cc):
//   - `cairn load` reads key<TAB>value lines;
//   - `cairn shell` reads command lines (put/get/del/scan/stats/help/quit).
// Pure functions; thread-safe.
#ifndef CAIRN_TOOLS_CLI_PARSE_H_
#define CAIRN_TOOLS_CLI_PARSE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::cli {

struct ScanRange {
  std::string from;    // inclusive; empty: from the first key
  std::string to;      // exclusive; empty: to the last key
  uint64_t limit = 0;  // 0: no limit
};

// One line of `cairn load` input: the key is everything before the first TAB, the value
// everything after it (it may contain more TABs, and may be empty). Returns false for a line
// with no TAB or an empty key (the caller reports and skips it).
struct LoadLine {
  std::string_view key;  // views into the line
  std::string_view value;
};
bool ParseLoadLine(std::string_view line, LoadLine* out);

// One line of `cairn shell` input. Words are separated by whitespace (isspace in the "C"
// locale). `put KEY VALUE`: VALUE is the rest of the line after KEY and the whitespace that
// follows it, and may be empty. `scan [FROM [TO [N]]]`: N defaults to 100; an N that is not
// a number leaves 0 (no limit), as the stream extraction it is defined by does. A known
// command missing its KEY, or an unknown command, is kHelp.
struct ShellCommand {
  enum class Kind { kEmpty, kQuit, kPut, kGet, kDelete, kScan, kStats, kHelp };
  Kind kind = Kind::kEmpty;
  std::string key;    // kPut, kGet, kDelete
  std::string value;  // kPut
  ScanRange range;    // kScan
};
// The default N of `scan`.
inline constexpr uint64_t kShellScanDefaultLimit = 100;
ShellCommand ParseShellLine(const std::string& line);

}  // namespace cairn::cli

#endif  // CAIRN_TOOLS_CLI_PARSE_H_
