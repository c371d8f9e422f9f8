// Fuzz target: the `cairn` program's input parsers (tools/cli_parse.h) and the shell
// commands they produce, run against a database in a MemEnv.
//
// Input: text, split into lines as the program splits them (std::getline). Every line is
// parsed both as a `cairn load` line and as a `cairn shell` line; the shell commands that
// touch data (put, get, del, scan) are then run, in order, against a fresh database and
// against a std::map model.
// What must hold, for every input:
//   - no crash, leak, hang or sanitizer report;
//   - load: a line is accepted exactly when it has a TAB after at least one byte; then the
//     key has no TAB and key + TAB + value is the line;
//   - shell: the command is the line's first whitespace-separated word, the key its second;
//     a put's value is the rest of the line without leading whitespace; scan takes up to
//     three more words (limit 100 by default, a plain decimal limit read exactly); printing
//     a parsed command back as a line and parsing that gives the same command;
//   - engine options (util/options_text.h, the `--option`/`--config` text): a line applied as
//     NAME=VALUE either is refused with InvalidArgument and leaves the options unchanged, or is
//     accepted and the options then format to config text that reads back to the same
//     options; the whole input read as a config file obeys the same rule;
//   - the database answers every get and scan exactly as the model does, and every write
//     succeeds.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "cairn/iterator.h"
#include "cli_parse.h"
#include "fuzz_util.h"
#include "testsupport/mem_env.h"
#include "util/options_text.h"

namespace cairn::fuzz {
namespace {

using cli::ShellCommand;

// Lines run against the database per input: keeps one input fast.
constexpr size_t kMaxDbCommands = 64;

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) i++;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) i++;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// The rest of `line` after its second word and the whitespace after it.
std::string RestAfterSecondWord(const std::string& line) {
  size_t i = 0;
  for (int word = 0; word < 2; word++) {
    while (i < line.size() && IsSpace(line[i])) i++;
    while (i < line.size() && !IsSpace(line[i])) i++;
  }
  while (i < line.size() && IsSpace(line[i])) i++;
  return line.substr(i);
}

void CheckLoadLine(const std::string& line) {
  cli::LoadLine parsed;
  bool ok = cli::ParseLoadLine(line, &parsed);
  size_t tab = line.find('\t');
  FUZZ_CHECK(ok == (tab != std::string::npos && tab > 0), "load accepts the wrong lines");
  if (ok) {
    FUZZ_CHECK(!parsed.key.empty() && parsed.key.find('\t') == std::string_view::npos,
               "load key is empty or holds a TAB");
    FUZZ_CHECK(std::string(parsed.key) + "\t" + std::string(parsed.value) == line,
               "load key and value do not make up the line");
  }
}

bool SameCommand(const ShellCommand& a, const ShellCommand& b) {
  return a.kind == b.kind && a.key == b.key && a.value == b.value && a.range.from == b.range.from &&
         a.range.to == b.range.to && a.range.limit == b.range.limit;
}

// Whether `word` is a plain decimal number that fits in 64 bits; sets *value.
bool PlainDecimal(const std::string& word, uint64_t* value) {
  if (word.empty() || word.size() > 19) return false;  // 19 digits always fit
  *value = 0;
  for (char c : word) {
    if (c < '0' || c > '9') return false;
    *value = *value * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

void CheckShellLine(const std::string& line, const ShellCommand& c) {
  std::vector<std::string> w = Words(line);
  using K = ShellCommand::Kind;
  if (w.empty()) {
    FUZZ_CHECK(c.kind == K::kEmpty, "a blank line is not kEmpty");
    return;
  }
  const std::string& cmd = w[0];
  K expected = K::kHelp;
  if (cmd == "quit" || cmd == "exit") expected = K::kQuit;
  if (cmd == "put" && w.size() > 1) expected = K::kPut;
  if (cmd == "get" && w.size() > 1) expected = K::kGet;
  if (cmd == "del" && w.size() > 1) expected = K::kDelete;
  if (cmd == "scan") expected = K::kScan;
  if (cmd == "stats") expected = K::kStats;
  FUZZ_CHECK(c.kind == expected, "shell command kind is wrong for: " + line);
  if (expected == K::kPut || expected == K::kGet || expected == K::kDelete) {
    FUZZ_CHECK(c.key == w[1], "shell key is not the second word");
  }
  if (expected == K::kPut) {
    FUZZ_CHECK(c.value == RestAfterSecondWord(line), "put value is not the rest of the line");
  }
  if (expected == K::kScan) {
    FUZZ_CHECK(c.range.from == (w.size() > 1 ? w[1] : ""), "scan from is wrong");
    FUZZ_CHECK(c.range.to == (w.size() > 2 ? w[2] : ""), "scan to is wrong");
    uint64_t limit = 0;
    if (w.size() <= 3) {
      FUZZ_CHECK(c.range.limit == cli::kShellScanDefaultLimit, "scan default limit is wrong");
    } else if (PlainDecimal(w[3], &limit)) {
      FUZZ_CHECK(c.range.limit == limit, "scan limit is not the number given");
    }
  }
  // Printed back in canonical form, the command parses the same.
  std::string printed;
  switch (c.kind) {
    case K::kPut:
      printed = "put " + c.key + " " + c.value;
      break;
    case K::kGet:
      printed = "get " + c.key;
      break;
    case K::kDelete:
      printed = "del " + c.key;
      break;
    case K::kScan:
      if (!c.range.to.empty()) {
        printed = "scan " + c.range.from + " " + c.range.to + " " + std::to_string(c.range.limit);
      }
      break;
    default:
      break;
  }
  if (!printed.empty()) {
    FUZZ_CHECK(SameCommand(cli::ParseShellLine(printed), c),
               "a printed command parses differently");
  }
}

// After ApplyOptionAssignment or ApplyOptionsText returned `s`, leaving `after`.
void CheckOptionsOutcome(const Status& s, const Options& after) {
  const std::string formatted = FormatOptions(after);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsInvalidArgument(), "options text failed without InvalidArgument");
    return;
  }
  Options reread;
  Status again = ApplyOptionsText(formatted, "formatted", &reread);
  FUZZ_CHECK(again.ok(), "formatted options are refused: " + again.ToString());
  FUZZ_CHECK(FormatOptions(reread) == formatted, "formatted options read back differently");
}

void CheckOptionLine(const std::string& line) {
  const Options before;
  Options after = before;
  Status s = ApplyOptionAssignment(line, &after);
  if (!s.ok()) {
    FUZZ_CHECK(FormatOptions(after) == FormatOptions(before), "a refused option changed Options");
  }
  CheckOptionsOutcome(s, after);
}

// Runs the data commands against `db` and the model; both must answer alike.
void RunAgainstModel(DB* db, const ShellCommand& c, std::map<std::string, std::string>* model) {
  using K = ShellCommand::Kind;
  if (c.kind == K::kPut) {
    FUZZ_CHECK(db->Put(WriteOptions(), c.key, c.value).ok(), "put failed");
    (*model)[c.key] = c.value;
  } else if (c.kind == K::kDelete) {
    FUZZ_CHECK(db->Delete(WriteOptions(), c.key).ok(), "del failed");
    model->erase(c.key);
  } else if (c.kind == K::kGet) {
    std::string value;
    Status s = db->Get(ReadOptions(), c.key, &value);
    auto it = model->find(c.key);
    FUZZ_CHECK(s.ok() == (it != model->end()) && (s.ok() || s.IsNotFound()),
               "get disagrees with the model: " + s.ToString());
    FUZZ_CHECK(!s.ok() || value == it->second, "get returns the wrong value");
  } else if (c.kind == K::kScan) {
    // As the shell's PrintRange does: [from, to), at most limit entries (0: no limit).
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    auto m = model->lower_bound(c.range.from);
    uint64_t printed = 0;
    for (c.range.from.empty() ? it->SeekToFirst() : it->Seek(c.range.from); it->Valid();
         it->Next(), ++m) {
      if (!c.range.to.empty() && it->key() >= c.range.to) break;
      if (c.range.limit != 0 && printed == c.range.limit) break;
      FUZZ_CHECK(m != model->end() && it->key() == m->first && it->value() == m->second,
                 "scan disagrees with the model");
      printed++;
    }
    FUZZ_CHECK(it->status().ok(), "scan failed: " + it->status().ToString());
    bool model_done = m == model->end() || (!c.range.to.empty() && m->first >= c.range.to) ||
                      (c.range.limit != 0 && printed == c.range.limit);
    FUZZ_CHECK(model_done, "scan stops before the model does");
  }
}

}  // namespace
}  // namespace cairn::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::fuzz;
  using cairn::cli::ShellCommand;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::vector<ShellCommand> data_commands;
  std::string line;
  {
    cairn::Options after;
    cairn::Status s = cairn::ApplyOptionsText(in.str(), "input", &after);
    CheckOptionsOutcome(s, after);
  }
  while (std::getline(in, line)) {
    CheckLoadLine(line);
    CheckOptionLine(line);
    ShellCommand c = cairn::cli::ParseShellLine(line);
    CheckShellLine(line, c);
    if (c.kind == ShellCommand::Kind::kPut || c.kind == ShellCommand::Kind::kGet ||
        c.kind == ShellCommand::Kind::kDelete || c.kind == ShellCommand::Kind::kScan) {
      if (data_commands.size() < kMaxDbCommands) data_commands.push_back(std::move(c));
    }
  }
  if (data_commands.empty()) {
    return 0;
  }
  cairn::MemEnv env;
  cairn::Options options;
  options.env = &env;
  options.wal_preallocate_bytes = kFuzzWalPreallocateBytes;
  std::unique_ptr<cairn::DB> db;
  cairn::Status s = cairn::DB::Open(options, kFuzzDbDir, &db);
  FUZZ_CHECK(s.ok(), "creating a database failed: " + s.ToString());
  std::map<std::string, std::string> model;
  for (const ShellCommand& c : data_commands) {
    RunAgainstModel(db.get(), c, &model);
  }
  return 0;
}
