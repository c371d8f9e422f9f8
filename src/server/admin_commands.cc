// Connection and administration commands: PING, ECHO, QUIT, AUTH, HELLO, SELECT, CLIENT, INFO,
// CONFIG GET, COMMAND, CAIRN.FLUSH, CAIRN.STATS.
#include <utility>

#include "server/auth.h"
#include "server/commands.h"

namespace cairn::server {
namespace {

void PingCommand(ServerContext*, Session*, std::vector<std::string>& args, RespWriter* out) {
  if (args.size() > 2) {
    out->Error("ERR wrong number of arguments for 'ping' command");
  } else if (args.size() == 2) {
    out->Bulk(args[1]);
  } else {
    out->SimpleString("PONG");
  }
}

void EchoCommand(ServerContext*, Session*, std::vector<std::string>& args, RespWriter* out) {
  out->Bulk(args[1]);
}

void QuitCommand(ServerContext*, Session* session, std::vector<std::string>&,
                 RespWriter* out) {
  session->quit = true;
  out->SimpleString("OK");
}

constexpr const char* kWrongPass = "WRONGPASS invalid username-password pair or user is disabled.";

void AuthCommand(ServerContext* context, Session* session, std::vector<std::string>& args,
                 RespWriter* out) {
  if (args.size() > 3) {
    out->Error("ERR syntax error");
    return;
  }
  const std::string& requirepass = context->config->requirepass;
  if (requirepass.empty()) {
    out->Error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
    return;
  }
  std::string_view user = args.size() == 3 ? std::string_view(args[1]) : std::string_view();
  if (!CheckPassword(user, args.back(), requirepass)) {
    out->Error(kWrongPass);
    return;
  }
  session->authenticated = true;
  out->SimpleString("OK");
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void HelloCommand(ServerContext* context, Session* session, std::vector<std::string>& args,
                  RespWriter* out) {
  int protocol = session->protocol;
  if (args.size() >= 2) {
    if (args[1] != "2" && args[1] != "3") {
      out->Error("NOPROTO unsupported protocol version");
      return;
    }
    protocol = args[1][0] - '0';
  }
  std::string name = session->name;
  for (size_t i = 2; i < args.size(); i++) {
    std::string option = ToLower(args[i]);
    if (option == "auth" && i + 2 < args.size()) {
      if (context->config->requirepass.empty() ||
          !CheckPassword(args[i + 1], args[i + 2], context->config->requirepass)) {
        out->Error(kWrongPass);
        return;
      }
      session->authenticated = true;
      i += 2;
    } else if (option == "setname" && i + 1 < args.size()) {
      name = args[++i];
    } else {
      out->Error("ERR Syntax error in HELLO option '" + ToLower(args[i]) + "'");
      return;
    }
  }
  if (!session->authenticated && !context->config->requirepass.empty()) {
    out->Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  session->protocol = protocol;
  session->name = std::move(name);
  out->set_protocol(protocol);  // the HELLO reply already uses the new protocol
  out->MapHeader(7);
  out->Bulk("server");
  out->Bulk("cairn");
  out->Bulk("version");
  out->Bulk(kRedisCompatVersion);
  out->Bulk("proto");
  out->Integer(protocol);
  out->Bulk("id");
  out->Integer(static_cast<long long>(session->client_id));
  out->Bulk("mode");
  out->Bulk("standalone");
  out->Bulk("role");
  out->Bulk("master");
  out->Bulk("modules");
  out->ArrayHeader(0);
}

void SelectCommand(ServerContext*, Session*, std::vector<std::string>& args,
                   RespWriter* out) {
  if (args[1] == "0") {
    out->SimpleString("OK");
  } else {
    out->Error("ERR DB index is out of range (Cairn has one database, 0)");
  }
}

// CLIENT SETNAME/GETNAME/ID/SETINFO: what client libraries send while connecting.
void ClientCommand(ServerContext*, Session* session, std::vector<std::string>& args,
                   RespWriter* out) {
  std::string sub = ToLower(args[1]);
  if (sub == "setname" && args.size() == 3) {
    session->name = args[2];
    out->SimpleString("OK");
  } else if (sub == "getname" && args.size() == 2) {
    session->name.empty() ? out->Null() : out->Bulk(session->name);
  } else if (sub == "id" && args.size() == 2) {
    out->Integer(static_cast<long long>(session->client_id));
  } else if (sub == "setinfo" && args.size() == 4) {
    out->SimpleString("OK");
  } else {
    out->Error("ERR unknown subcommand or wrong number of arguments for 'client|" + sub +
               "' (Cairn supports SETNAME, GETNAME, ID, SETINFO)");
  }
}

}  // namespace

namespace {

void FlushCommand(ServerContext* context, Session*, std::vector<std::string>&,
                  RespWriter* out) {
  Status s = context->commit_pending();
  if (s.ok()) {
    s = context->db->Flush();
  }
  if (!s.ok()) {
    WriteStatusError(s, out);
    return;
  }
  out->SimpleString("OK");
}

void StatsCommand(ServerContext* context, Session*, std::vector<std::string>&,
                  RespWriter* out) {
  std::string stats;
  if (!context->db->GetProperty("cairn.stats", &stats)) {
    out->Error("ERR the engine has no cairn.stats property");
    return;
  }
  out->Bulk(stats);
}

}  // namespace

void AddAdminCommands(std::vector<CommandSpec>* table) {
  table->insert(table->end(), {
                                  {"ping", -1, "fast", PingCommand},
                                  {"echo", 2, "fast", EchoCommand},
                                  {"quit", -1, "fast", QuitCommand},
                                  {"auth", -2, "noscript loading stale fast no-auth", AuthCommand},
                                  {"hello", -1, "noscript loading stale fast no-auth", HelloCommand},
                                  {"select", 2, "loading stale fast", SelectCommand},
                                  {"client", -2, "admin noscript loading stale", ClientCommand},
                                  {"info", -1, "loading stale", InfoCommand},
                                  {"config", -2, "admin noscript loading stale", ConfigCommand},
                                  {"command", -1, "loading stale", CommandCommand},
                                  {"cairn.flush", 1, "admin write", FlushCommand},
                                  {"cairn.stats", 1, "admin", StatsCommand},
                              });
}

}  // namespace cairn::server
