// String commands: GET, SET, MGET, MSET, DEL, EXISTS, INCR, INCRBY, DECR, DECRBY.
#include <limits>
#include <unordered_set>

#include "server/commands.h"
#include "server/resp_parser.h"

namespace cairn::server {
namespace {

// After a failed commit or sync the engine is read-only: writes are refused at once.
bool WritesRefused(ServerContext* context, RespWriter* out) {
  if (context->write_error->ok()) {
    return false;
  }
  WriteStatusError(*context->write_error, out);
  return true;
}

// Counts one executed write command; its reply is tagged with the new count.
void CountWrite(ServerContext* context) { context->stats->writes_applied++; }

// Reads key (pending writes first): OK with *found set, or the engine's error.
Status Lookup(ServerContext* context, std::string_view key, std::string* value, bool* found) {
  Status s = context->pending->Get(key, value);
  *found = s.ok();
  return s.IsNotFound() ? Status::OK() : s;
}

void GetCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                RespWriter* out) {
  std::string value;
  bool found = false;
  Status s = Lookup(context, args[1], &value, &found);
  if (!s.ok()) {
    WriteStatusError(s, out);
  } else if (found) {
    out->Bulk(value);
  } else {
    out->Null();
  }
}

struct SetFlags {
  bool nx = false;
  bool xx = false;
  bool get = false;
};

// Parses SET's options; false after writing the error reply.
bool ParseSetFlags(const std::vector<std::string>& args, SetFlags* flags, RespWriter* out) {
  for (size_t i = 3; i < args.size(); i++) {
    std::string option = ToLower(args[i]);
    if (option == "nx") {
      flags->nx = true;
    } else if (option == "xx") {
      flags->xx = true;
    } else if (option == "get") {
      flags->get = true;
    } else if (option == "keepttl") {
      // No key has a time to live, so keeping it is a no-op.
    } else if (option == "ex" || option == "px" || option == "exat" || option == "pxat") {
      out->Error("ERR SET " + ToLower(args[i]) +
                 ": key expiry is not supported by Cairn (keys never expire)");
      return false;
    } else {
      out->Error("ERR syntax error");
      return false;
    }
  }
  if (flags->nx && flags->xx) {
    out->Error("ERR syntax error");
    return false;
  }
  return true;
}

void SetCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                RespWriter* out) {
  SetFlags flags;
  if (!ParseSetFlags(args, &flags, out) || WritesRefused(context, out)) {
    return;
  }
  Status check = PendingWrites::CheckPut(args[1], args[2]);
  if (!check.ok()) {
    WriteStatusError(check, out);
    return;
  }
  std::string old_value;
  bool found = false;
  if (flags.nx || flags.xx || flags.get) {
    Status s = Lookup(context, args[1], &old_value, &found);
    if (!s.ok()) {
      WriteStatusError(s, out);
      return;
    }
  }
  bool apply = !(flags.nx && found) && !(flags.xx && !found);
  if (apply) {
    context->pending->Put(args[1], args[2]);
    CountWrite(context);
  }
  if (flags.get) {
    found ? out->Bulk(old_value) : out->Null();
  } else if (apply) {
    out->SimpleString("OK");
  } else {
    out->Null();
  }
}

void MGetCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                 RespWriter* out) {
  // Read everything first, so an engine error becomes one error reply, not half an array.
  std::vector<std::string> values(args.size() - 1);
  std::vector<bool> found(args.size() - 1);
  for (size_t i = 1; i < args.size(); i++) {
    bool here = false;
    Status s = Lookup(context, args[i], &values[i - 1], &here);
    if (!s.ok()) {
      WriteStatusError(s, out);
      return;
    }
    found[i - 1] = here;
  }
  out->ArrayHeader(values.size());
  for (size_t i = 0; i < values.size(); i++) {
    found[i] ? out->Bulk(values[i]) : out->Null();
  }
}

void MSetCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                 RespWriter* out) {
  if ((args.size() - 1) % 2 != 0) {
    out->Error("ERR wrong number of arguments for 'mset' command");
    return;
  }
  if (WritesRefused(context, out)) {
    return;
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    Status check = PendingWrites::CheckPut(args[i], args[i + 1]);
    if (!check.ok()) {
      WriteStatusError(check, out);  // nothing of the MSET is applied
      return;
    }
  }
  // All pairs go into the same pending batch, committed as one atomic WriteBatch.
  for (size_t i = 1; i < args.size(); i += 2) {
    context->pending->Put(args[i], args[i + 1]);
  }
  CountWrite(context);
  out->SimpleString("OK");
}

void DelCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                RespWriter* out) {
  std::vector<std::string_view> existing;
  std::unordered_set<std::string_view> seen;
  long long deleted = 0;
  std::string value;
  for (size_t i = 1; i < args.size(); i++) {
    if (!seen.insert(args[i]).second) {
      continue;  // DEL a a deletes one key
    }
    bool found = false;
    Status s = Lookup(context, args[i], &value, &found);
    if (!s.ok()) {
      WriteStatusError(s, out);
      return;
    }
    if (found) {
      existing.push_back(args[i]);
      deleted++;
    }
  }
  if (deleted > 0) {
    if (WritesRefused(context, out)) {
      return;
    }
    for (std::string_view key : existing) {
      context->pending->Delete(key);
    }
    CountWrite(context);
  }
  out->Integer(deleted);
}

void ExistsCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                   RespWriter* out) {
  long long count = 0;  // EXISTS a a counts a twice, as Redis does
  std::string value;
  for (size_t i = 1; i < args.size(); i++) {
    bool found = false;
    Status s = Lookup(context, args[i], &value, &found);
    if (!s.ok()) {
      WriteStatusError(s, out);
      return;
    }
    count += found ? 1 : 0;
  }
  out->Integer(count);
}

// INCRBY key delta: an atomic read-modify-write (commands run one at a time).
void IncrementBy(ServerContext* context, const std::string& key, long long delta,
                 RespWriter* out) {
  if (WritesRefused(context, out)) {
    return;
  }
  std::string value;
  bool found = false;
  Status s = Lookup(context, key, &value, &found);
  if (!s.ok()) {
    WriteStatusError(s, out);
    return;
  }
  long long current = 0;
  if (found && !ParseInt64(value, &current)) {
    out->Error("ERR value is not an integer or out of range");
    return;
  }
  long long result = 0;
  if (__builtin_add_overflow(current, delta, &result)) {
    out->Error("ERR increment or decrement would overflow");
    return;
  }
  context->pending->Put(key, std::to_string(result));
  CountWrite(context);
  out->Integer(result);
}

void IncrCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                 RespWriter* out) {
  IncrementBy(context, args[1], 1, out);
}

void DecrCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                 RespWriter* out) {
  IncrementBy(context, args[1], -1, out);
}

void IncrByCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                   RespWriter* out) {
  long long delta = 0;
  if (!ParseInt64(args[2], &delta)) {
    out->Error("ERR value is not an integer or out of range");
    return;
  }
  IncrementBy(context, args[1], delta, out);
}

void DecrByCommand(ServerContext* context, Session*, std::vector<std::string>& args,
                   RespWriter* out) {
  long long delta = 0;
  if (!ParseInt64(args[2], &delta)) {
    out->Error("ERR value is not an integer or out of range");
    return;
  }
  if (delta == std::numeric_limits<long long>::min()) {
    out->Error("ERR decrement would overflow");
    return;
  }
  IncrementBy(context, args[1], -delta, out);
}

}  // namespace

void AddStringCommands(std::vector<CommandSpec>* table) {
  table->insert(table->end(), {
                                  {"get", 2, "readonly fast", GetCommand},
                                  {"set", -3, "write denyoom", SetCommand},
                                  {"mget", -2, "readonly fast", MGetCommand},
                                  {"mset", -3, "write denyoom", MSetCommand},
                                  {"del", -2, "write", DelCommand},
                                  {"exists", -2, "readonly fast", ExistsCommand},
                                  {"incr", 2, "write denyoom fast", IncrCommand},
                                  {"decr", 2, "write denyoom fast", DecrCommand},
                                  {"incrby", 3, "write denyoom fast", IncrByCommand},
                                  {"decrby", 3, "write denyoom fast", DecrByCommand},
                              });
}

}  // namespace cairn::server
