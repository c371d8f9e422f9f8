// Keyspace commands: SCAN (a cursor over key order) and DBSIZE.
#include <charconv>
#include <memory>

#include "server/commands.h"
#include "server/glob.h"
#include "server/limits.h"
#include "server/resp_parser.h"

namespace cairn::server {
namespace {

bool ParseUint64(std::string_view text, uint64_t* value) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

struct ScanOptions {
  std::string pattern;  // empty: every key
  bool has_pattern = false;
  uint64_t count = kScanDefaultCount;
  bool strings_only = true;  // TYPE string (or no TYPE); any other type matches nothing
};

// Parses SCAN's options (from args[2] on); false after writing the error reply.
bool ParseScanOptions(const std::vector<std::string>& args, ScanOptions* options,
                      RespWriter* out) {
  for (size_t i = 2; i < args.size(); i += 2) {
    std::string option = ToLower(args[i]);
    if (i + 1 >= args.size()) {
      out->Error("ERR syntax error");
      return false;
    }
    if (option == "match") {
      options->pattern = args[i + 1];
      options->has_pattern = options->pattern != "*";
    } else if (option == "count") {
      long long count = 0;
      if (!ParseInt64(args[i + 1], &count) || count < 1) {
        out->Error(count < 1 && ParseInt64(args[i + 1], &count)
                       ? "ERR syntax error"
                       : "ERR value is not an integer or out of range");
        return false;
      }
      options->count = std::min<uint64_t>(static_cast<uint64_t>(count), kScanMaxCount);
    } else if (option == "type") {
      options->strings_only = ToLower(args[i + 1]) == "string";
    } else {
      out->Error("ERR syntax error");
      return false;
    }
  }
  return true;
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: examines up to COUNT keys in key
// order from the cursor's resume key and returns those matching, with the next cursor ("0"
// at the end). Keys written during a scan are seen if they sort after the cursor; every key
// present for the whole scan is returned exactly once.
void ScanCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                 RespWriter* out) {
  uint64_t cursor = 0;
  if (!ParseUint64(args[1], &cursor)) {
    out->Error("ERR invalid cursor");
    return;
  }
  std::string resume_key;
  if (cursor != 0 && !context->cursors->Lookup(cursor, &resume_key)) {
    out->Error("ERR invalid cursor (unknown, or forgotten after " +
               std::to_string(kMaxScanCursors) + " newer cursors)");
    return;
  }
  ScanOptions options;
  if (!ParseScanOptions(args, &options, out)) {
    return;
  }
  Status committed = context->commit_pending();  // the iterator reads the engine only
  if (!committed.ok()) {
    WriteStatusError(committed, out);
    return;
  }
  std::unique_ptr<Iterator> it = context->db->NewIterator(ReadOptions());
  cursor == 0 ? it->SeekToFirst() : it->Seek(resume_key);
  std::vector<std::string> keys;
  for (uint64_t examined = 0; it->Valid() && examined < options.count; examined++) {
    std::string_view key = it->key();
    if (options.strings_only && (!options.has_pattern || GlobMatch(options.pattern, key))) {
      keys.emplace_back(key);
    }
    it->Next();
  }
  if (!it->status().ok()) {
    WriteStatusError(it->status(), out);
    return;
  }
  uint64_t next = it->Valid() ? context->cursors->Add(std::string(it->key())) : 0;
  out->ArrayHeader(2);
  out->Bulk(std::to_string(next));
  out->ArrayHeader(keys.size());
  for (const std::string& key : keys) {
    out->Bulk(key);
  }
}

// DBSIZE: the exact number of keys, counted by iterating over all of them (O(keys); the
// engine keeps no key count, since an overwrite and a new key look alike to a blind Put).
void DbSizeCommand(ServerContext* context, Session*, std::vector<std::string>&,
                   RespWriter* out) {
  Status committed = context->commit_pending();  // the iterator reads the engine only
  if (!committed.ok()) {
    WriteStatusError(committed, out);
    return;
  }
  std::unique_ptr<Iterator> it = context->db->NewIterator(ReadOptions());
  long long count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    count++;
  }
  if (!it->status().ok()) {
    WriteStatusError(it->status(), out);
    return;
  }
  out->Integer(count);
}

}  // namespace

void AddKeyspaceCommands(std::vector<CommandSpec>* table) {
  table->insert(table->end(), {
                                  {"scan", -2, "readonly", ScanCommand},
                                  {"dbsize", 1, "readonly fast", DbSizeCommand},
                              });
}

}  // namespace cairn::server
