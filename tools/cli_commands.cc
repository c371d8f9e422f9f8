#include "cli_commands.h"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cairn/db.h"
#include "cairn/env.h"
#include "cli_parse.h"
#include "db/verify.h"
#include "util/options_text.h"

namespace cairn::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitCorruption = 2;

int Fail(const Status& status) {
  std::cerr << "cairn: " << status.ToString() << "\n";
  return status.IsCorruption() ? kExitCorruption : kExitError;
}

Status OpenDb(const DbTarget& target, std::unique_ptr<DB>* db) {
  return DB::Open(target.options, target.dir, db);
}

// Prints key<TAB>value lines of [range.from, range.to), at most range.limit of them.
Status PrintRange(DB* db, const ScanRange& range, std::ostream& out) {
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  uint64_t printed = 0;
  for (range.from.empty() ? it->SeekToFirst() : it->Seek(range.from); it->Valid(); it->Next()) {
    if (!range.to.empty() && it->key() >= range.to) {
      break;
    }
    if (range.limit != 0 && printed == range.limit) {
      break;
    }
    out << it->key() << '\t' << it->value() << '\n';
    printed++;
  }
  return it->status();
}

// A bounded hand-off of input lines from the reader to the writer threads.
class LineQueue {
 public:
  explicit LineQueue(size_t capacity) : capacity_(capacity) {}
  void Push(std::string line) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return lines_.size() < capacity_; });
    lines_.push_back(std::move(line));
    not_empty_.notify_one();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  bool Pop(std::string* line) {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return !lines_.empty() || closed_; });
    if (lines_.empty()) {
      return false;
    }
    *line = std::move(lines_.front());
    lines_.pop_front();
    not_full_.notify_one();
    return true;
  }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::string> lines_;
  bool closed_ = false;
};

}  // namespace

int Put(const DbTarget& target, const std::string& key, const std::string& value) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (s.ok()) {
    s = db->Put(WriteOptions(), key, value);
  }
  return s.ok() ? kExitOk : Fail(s);
}

int Get(const DbTarget& target, const std::string& key) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  std::string value;
  if (s.ok()) {
    s = db->Get(ReadOptions(), key, &value);
  }
  if (!s.ok()) {
    return Fail(s);
  }
  std::cout << value << "\n";
  return kExitOk;
}

int Delete(const DbTarget& target, const std::string& key) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (s.ok()) {
    s = db->Delete(WriteOptions(), key);
  }
  return s.ok() ? kExitOk : Fail(s);
}

int Scan(const DbTarget& target, const ScanRange& range) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (s.ok()) {
    s = PrintRange(db.get(), range, std::cout);
  }
  return s.ok() ? kExitOk : Fail(s);
}

int Dump(const DbTarget& target) { return Scan(target, ScanRange()); }

int Load(const DbTarget& target, std::istream& in, int threads) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (!s.ok()) {
    return Fail(s);
  }
  LineQueue queue(static_cast<size_t>(threads) * 4);
  std::mutex out_mu;
  Status first_error;
  auto worker = [&] {
    std::string line;
    while (queue.Pop(&line)) {
      LoadLine parsed;
      bool well_formed = ParseLoadLine(line, &parsed);
      assert(well_formed && "only well-formed lines are queued");
      (void)well_formed;
      std::string_view key = parsed.key;
      Status w = db->Put(WriteOptions(), key, parsed.value);
      std::lock_guard<std::mutex> lock(out_mu);
      if (w.ok()) {
        // Printed only after the write is durable; flushed so a reader sees it at once.
        std::fprintf(stdout, "ACK %.*s\n", static_cast<int>(key.size()), key.data());
        std::fflush(stdout);
      } else if (first_error.ok()) {
        first_error = w;
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; i++) {
    workers.emplace_back(worker);
  }
  std::string line;
  uint64_t line_number = 0;
  while (std::getline(in, line)) {
    line_number++;
    LoadLine parsed;
    if (!ParseLoadLine(line, &parsed)) {
      std::cerr << "cairn load: line " << line_number << ": expected key<TAB>value, skipped\n";
      continue;
    }
    queue.Push(std::move(line));
  }
  queue.Close();
  for (std::thread& t : workers) {
    t.join();
  }
  return first_error.ok() ? kExitOk : Fail(first_error);
}

int Stats(const DbTarget& target) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (!s.ok()) {
    return Fail(s);
  }
  std::string stats;
  if (db->GetProperty("cairn.stats", &stats)) {
    // Comments, so that the whole output can be given back as a --config file.
    std::cout << "# statistics\n";
    for (size_t begin = 0; begin < stats.size();) {
      size_t end = std::min(stats.find('\n', begin), stats.size());
      std::cout << "# " << std::string_view(stats).substr(begin, end - begin) << "\n";
      begin = end + 1;
    }
  }
  // What the database runs with: what was handed to DB::Open, with any value Open raised to
  // fit the others (docs/options.md).
  std::string options;
  if (!db->GetProperty("cairn.options", &options)) {
    options = FormatOptions(target.options);
  }
  std::cout << "# options in force\n" << options;
  return kExitOk;
}

int PrintOptions(const Options& options) {
  std::cout << FormatOptions(options, /*describe=*/true);
  return kExitOk;
}

int Flush(const DbTarget& target) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (s.ok()) {
    s = db->Flush();
  }
  return s.ok() ? kExitOk : Fail(s);
}

int Compact(const DbTarget& target, const std::string& from, const std::string& to) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (!s.ok()) {
    return Fail(s);
  }
  std::string_view begin(from), end(to);
  s = db->CompactRange(from.empty() ? nullptr : &begin, to.empty() ? nullptr : &end);
  if (!s.ok()) {
    return Fail(s);
  }
  std::string stats;
  if (db->GetProperty("cairn.stats", &stats)) {
    std::cout << stats;
  }
  return kExitOk;
}

int Verify(const std::string& dir) {
  VerifyReport report;
  Status s = VerifyDatabase(Env::Default(), dir, &report);
  if (!s.ok()) {
    return Fail(s);
  }
  for (const std::string& note : report.notes) {
    std::cout << "note: " << note << "\n";
  }
  for (const std::string& problem : report.problems) {
    std::cout << "CORRUPTION: " << problem << "\n";
  }
  std::cout << report.files_checked << " files, " << report.records_checked << " records, "
            << report.bytes_checked << " bytes checked; "
            << (report.problems.empty() ? "no corruption found"
                                        : std::to_string(report.problems.size()) + " problems")
            << "\n";
  return report.problems.empty() ? kExitOk : kExitCorruption;
}

namespace {

const char kShellHelp[] =
    "commands:\n"
    "  put KEY VALUE          set KEY (VALUE is the rest of the line)\n"
    "  get KEY                print the value of KEY\n"
    "  del KEY                delete KEY\n"
    "  scan [FROM [TO [N]]]   print up to N key/value pairs in [FROM, TO)\n"
    "  stats                  engine statistics\n"
    "  help, quit\n";

// Runs one shell line against `db`. Returns false on quit.
bool RunShellLine(DB* db, const std::string& line) {
  ShellCommand c = ParseShellLine(line);
  Status s;
  switch (c.kind) {
    case ShellCommand::Kind::kEmpty:
      return true;
    case ShellCommand::Kind::kQuit:
      return false;
    case ShellCommand::Kind::kPut:
      s = db->Put(WriteOptions(), c.key, c.value);
      if (s.ok()) std::cout << "OK\n";
      break;
    case ShellCommand::Kind::kGet: {
      std::string value;
      s = db->Get(ReadOptions(), c.key, &value);
      if (s.ok()) std::cout << value << "\n";
      break;
    }
    case ShellCommand::Kind::kDelete:
      s = db->Delete(WriteOptions(), c.key);
      if (s.ok()) std::cout << "OK\n";
      break;
    case ShellCommand::Kind::kScan:
      s = PrintRange(db, c.range, std::cout);
      break;
    case ShellCommand::Kind::kStats: {
      std::string stats;
      db->GetProperty("cairn.stats", &stats);
      std::cout << stats;
      break;
    }
    case ShellCommand::Kind::kHelp:
      std::cout << kShellHelp;
      break;
  }
  if (!s.ok()) {
    std::cout << s.ToString() << "\n";
  }
  return true;
}

}  // namespace

int Shell(const DbTarget& target, std::istream& in, bool interactive) {
  std::unique_ptr<DB> db;
  Status s = OpenDb(target, &db);
  if (!s.ok()) {
    return Fail(s);
  }
  if (interactive) {
    std::cout << "cairn shell on " << target.dir << " (type help)\n";
  }
  std::string line;
  for (;;) {
    if (interactive) {
      std::cout << "cairn> " << std::flush;
    }
    if (!std::getline(in, line) || !RunShellLine(db.get(), line)) {
      break;
    }
  }
  return kExitOk;
}

}  // namespace cairn::cli
