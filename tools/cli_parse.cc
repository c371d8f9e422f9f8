#include "cli_parse.h"

#include <istream>
#include <sstream>

namespace cairn::cli {

bool ParseLoadLine(std::string_view line, LoadLine* out) {
  size_t tab = line.find('\t');
  if (tab == std::string_view::npos || tab == 0) {
    return false;
  }
  out->key = line.substr(0, tab);
  out->value = line.substr(tab + 1);
  return true;
}

ShellCommand ParseShellLine(const std::string& line) {
  ShellCommand c;
  std::istringstream words(line);
  std::string command;
  words >> command;
  if (command.empty()) {
    c.kind = ShellCommand::Kind::kEmpty;
  } else if (command == "quit" || command == "exit") {
    c.kind = ShellCommand::Kind::kQuit;
  } else if (command == "put" && (words >> c.key)) {
    c.kind = ShellCommand::Kind::kPut;
    std::getline(words >> std::ws, c.value);
  } else if (command == "get" && (words >> c.key)) {
    c.kind = ShellCommand::Kind::kGet;
  } else if (command == "del" && (words >> c.key)) {
    c.kind = ShellCommand::Kind::kDelete;
  } else if (command == "scan") {
    c.kind = ShellCommand::Kind::kScan;
    c.range.limit = kShellScanDefaultLimit;
    words >> c.range.from >> c.range.to >> c.range.limit;
  } else if (command == "stats") {
    c.kind = ShellCommand::Kind::kStats;
  } else {
    c.kind = ShellCommand::Kind::kHelp;
  }
  if (c.kind != ShellCommand::Kind::kPut && c.kind != ShellCommand::Kind::kGet &&
      c.kind != ShellCommand::Kind::kDelete) {
    c.key.clear();  // only put, get and del carry a key
  }
  return c;
}

}  // namespace cairn::cli
