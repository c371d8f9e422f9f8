#include "server/commands.h"

#include <algorithm>
#include <unordered_map>

namespace cairn::server {
namespace {

// The unknown-command reply quotes at most this many arguments, each cut to this many bytes,
// as Redis does, so the reply stays small whatever the client sent.
constexpr size_t kUnknownCommandArgsShown = 8;
constexpr size_t kUnknownCommandArgBytes = 128;

// Commands a client may send before AUTH when a password is set.
bool AllowedBeforeAuth(std::string_view name) {
  return name == "auth" || name == "hello" || name == "quit";
}

// Quotes `text` for an error message: printable ASCII only, cut to `max_bytes`.
std::string Printable(std::string_view text, size_t max_bytes) {
  std::string out;
  for (char c : text.substr(0, max_bytes)) {
    out.push_back(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
  }
  return out;
}

std::string UnknownCommandText(const std::vector<std::string>& args) {
  std::string text = "ERR unknown command '" + Printable(args[0], kUnknownCommandArgBytes) +
                     "', with args beginning with: ";
  for (size_t i = 1; i < args.size() && i <= kUnknownCommandArgsShown; i++) {
    text += "'" + Printable(args[i], kUnknownCommandArgBytes) + "' ";
  }
  return text;
}

const std::unordered_map<std::string, const CommandSpec*>& CommandIndex() {
  static const auto* index = [] {
    auto* map = new std::unordered_map<std::string, const CommandSpec*>();
    for (const CommandSpec& spec : CommandTable()) {
      map->emplace(spec.name, &spec);
    }
    return map;
  }();
  return *index;
}

}  // namespace

std::string ToLower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return lower;
}

const std::vector<CommandSpec>& CommandTable() {
  static const auto* table = [] {
    auto* specs = new std::vector<CommandSpec>();
    AddStringCommands(specs);
    AddKeyspaceCommands(specs);
    AddAdminCommands(specs);
    return specs;
  }();
  return *table;
}

void WriteStatusError(const Status& status, RespWriter* out) {
  if (status.IsIOError()) {
    out->Error("IOERR " + status.ToString());
  } else {
    out->Error("ERR " + status.ToString());
  }
}

void Dispatch(ServerContext* context, Session* session, std::vector<std::string>& args,
              std::string* reply) {
  RespWriter out(reply, session->protocol);
  context->stats->commands_processed++;
  std::string name = ToLower(args[0]);
  if (!session->authenticated && !context->config->requirepass.empty() &&
      !AllowedBeforeAuth(name)) {
    out.Error("NOAUTH Authentication required.");
    return;
  }
  auto it = CommandIndex().find(name);
  if (it == CommandIndex().end()) {
    out.Error(UnknownCommandText(args));
    return;
  }
  const CommandSpec& spec = *it->second;
  int words = static_cast<int>(std::min<size_t>(args.size(), 1u << 30));
  if ((spec.arity > 0 && words != spec.arity) || (spec.arity < 0 && words < -spec.arity)) {
    out.Error("ERR wrong number of arguments for '" + name + "' command");
    return;
  }
  spec.handler(context, session, args, &out);
}

}  // namespace cairn::server
