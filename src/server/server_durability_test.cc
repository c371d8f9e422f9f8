// Proves the server's durability promise in-process, with the engine on a MemEnv that can cut
// the power: every SET the durable server acknowledged survives a power loss taken right
// after the acknowledgement (the replies were held until a shared SyncWal covered them), while
// the relaxed server acknowledges before syncing, so a power loss then loses writes (the
// control that shows the check can fail). A failed WAL sync turns the held replies into
// "outcome unknown" errors, and reads of durable data keep working afterwards, while nothing
// that is not durable can be read: neither the writes collected while the failed sync ran
// (held for it with a FaultEnv observer) nor committed writes the failed sync did not cover.
// A write the engine refuses cleanly (writes stopped at the memory limit while flushes fail,
// FaultEnv failing segment writes) fails alone, and the server accepts writes again once
// flushing works.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "cairn/db.h"
#include "server/server.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn::server {
namespace {

constexpr char kDir[] = "/db";
constexpr int kKeys = 300;

// A blocking test client: sends raw bytes, reads until it has `replies` complete replies of
// the simple kinds the test uses (+, -, :, $).
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  uint16_t local_port() const {
    sockaddr_in address{};
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
  }

  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      ASSERT_GT(n, 0);
      sent += static_cast<size_t>(n);
    }
  }

  // Reads one reply line ("+OK", "-ERR ...", ":1") or bulk ("$3" then data; returns data).
  std::string ReadReply() {
    std::string line = ReadLine();
    if (!line.empty() && line[0] == '$' && line != "$-1") {
      size_t length = std::stoul(line.substr(1));
      while (buffer_.size() < length + 2) {
        Fill();
      }
      std::string data = buffer_.substr(0, length);
      buffer_.erase(0, length + 2);
      return data;
    }
    return line;
  }

 private:
  std::string ReadLine() {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      Fill();
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return line;
  }
  void Fill() {
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      ADD_FAILURE() << "connection closed";
      buffer_ += "\r\n";  // lets the caller finish with an empty reply
      return;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string SetCommand(const std::string& key, const std::string& value) {
  return "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
         std::to_string(value.size()) + "\r\n" + value + "\r\n";
}

std::string Command(std::initializer_list<std::string> args) {
  std::string bytes = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    bytes += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  return bytes;
}

bool IsOutcomeUnknownError(const std::string& reply) {
  return reply.rfind("-IOERR", 0) == 0 && reply.find("unknown outcome") != std::string::npos;
}

// Whether the server's loop thread has read every byte sent on the connection whose client
// end is `client_port`, from the kernel's view of both ends (/proc/net/tcp): the client's end
// has nothing unacknowledged, the server's end nothing unread. A request the loop has read is
// executed before the loop can notice a finished sync (that happens in a later iteration of
// the same thread), so this orders "executed" before "sync failed" without sleeping.
bool ServerReadEverything(uint16_t server_port, uint16_t client_port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  bool client_end_idle = false;
  bool server_end_idle = false;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    auto port = [](const std::string& address) {
      return static_cast<uint16_t>(std::stoul(address.substr(address.find(':') + 1), nullptr, 16));
    };
    size_t colon = queues.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    uint64_t tx = std::stoull(queues.substr(0, colon), nullptr, 16);
    uint64_t rx = std::stoull(queues.substr(colon + 1), nullptr, 16);
    if (port(local) == client_port && port(remote) == server_port) {
      client_end_idle = tx == 0;
    } else if (port(local) == server_port && port(remote) == client_port) {
      server_end_idle = rx == 0;
    }
  }
  return client_end_idle && server_end_idle;
}

template <typename Predicate>
bool WaitUntil(Predicate done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Holds the thread that reaches it (the syncer, inside a failing WAL sync) until Open().
class Gate {
 public:
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    reached_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  bool WaitReached(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return reached_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Opens the gate when it goes out of scope, so a failed assertion cannot leave the syncer
  // (and with it the server's shutdown) waiting for ever.
  struct OpenOnExit {
    Gate* gate;
    ~OpenOnExit() { gate->Open(); }
  };

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool reached_ = false;
  bool open_ = false;
};

// Runs a server on `db` in a thread for the duration of the object.
class RunningServer {
 public:
  RunningServer(DB* db, Durability durability) {
    ServerConfig config;
    config.db_dir = kDir;
    config.port = 0;
    config.durability = durability;
    config.log_level = LogLevel::kWarning;
    SetLogLevel(LogLevel::kWarning);
    server_ = std::make_unique<Server>(config, db);
    listening_ = server_->Listen().ok();
    if (listening_) {
      thread_ = std::thread([this] { run_status_ = server_->Run(); });
    }
  }
  ~RunningServer() {
    if (listening_) {
      server_->RequestStop();
      thread_.join();
      EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
    }
  }
  bool listening() const { return listening_; }
  uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<Server> server_;
  bool listening_ = false;
  std::thread thread_;
  Status run_status_;
};

// Pipelines kKeys SETs, reads every acknowledgement, then cuts the power at once (before the
// server stops, so nothing is synced on the way out). Returns how many keys survive.
int SurvivorsAfterAcknowledgedSetsAndPowerLoss(Durability durability) {
  MemEnv env;
  Options options;
  options.env = &env;
  {
    std::unique_ptr<DB> db;
    EXPECT_OK(DB::Open(options, kDir, &db));
    RunningServer server(db.get(), durability);
    EXPECT_TRUE(server.listening());
    RawClient client(server.port());
    EXPECT_TRUE(client.connected());
    std::string requests;
    for (int i = 0; i < kKeys; i++) {
      requests += SetCommand("k" + std::to_string(i), "v" + std::to_string(i));
    }
    client.Send(requests);
    for (int i = 0; i < kKeys; i++) {
      EXPECT_EQ(client.ReadReply(), "+OK") << i;
    }
    env.CrashNow();  // power loss right after the last acknowledgement
  }
  env.Restart();
  std::unique_ptr<DB> db;
  EXPECT_OK(DB::Open(options, kDir, &db));
  int present = 0;
  for (int i = 0; i < kKeys; i++) {
    std::string value;
    if (db->Get(ReadOptions(), "k" + std::to_string(i), &value).ok()) {
      EXPECT_EQ(value, "v" + std::to_string(i));
      present++;
    }
  }
  return present;
}

TEST(ServerDurability, DurableModeAcknowledgedSetsSurvivePowerLoss) {
  ASSERT_TRUE(BlockShutdownSignals().ok());
  EXPECT_EQ(SurvivorsAfterAcknowledgedSetsAndPowerLoss(Durability::kDurable), kKeys);
}

TEST(ServerDurability, RelaxedModeAcknowledgesBeforeTheSyncSoPowerLossLosesWrites) {
  ASSERT_TRUE(BlockShutdownSignals().ok());
  // The relaxed syncer runs once a second; the crash comes well before that.
  EXPECT_LT(SurvivorsAfterAcknowledgedSetsAndPowerLoss(Durability::kRelaxed), kKeys);
}

TEST(ServerDurability, FailedSyncMakesHeldRepliesOutcomeUnknownAndReadsStillWork) {
  ASSERT_TRUE(BlockShutdownSignals().ok());
  MemEnv mem;
  FaultEnv env(&mem);
  Options options;
  options.env = &env;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  ASSERT_OK(db->Put(WriteOptions(), "before", "1"));
  {
    RunningServer server(db.get(), Durability::kDurable);
    ASSERT_TRUE(server.listening());
    RawClient client(server.port());
    ASSERT_TRUE(client.connected());
    env.FailPath(".wal", kFaultSync);
    client.Send(SetCommand("doomed", "x"));
    std::string reply = client.ReadReply();
    EXPECT_EQ(reply.rfind("-IOERR", 0), 0u) << reply;
    EXPECT_NE(reply.find("outcome"), std::string::npos) << reply;
    client.Send(Command({"GET", "before"}));
    EXPECT_EQ(client.ReadReply(), "1");  // durable data is still read
    // The engine holds "doomed" (committed before the sync failed), but a restart may not:
    // its value is never served.
    client.Send(Command({"GET", "doomed"}));
    reply = client.ReadReply();
    EXPECT_TRUE(IsOutcomeUnknownError(reply)) << reply;
    client.Send(SetCommand("later", "y"));
    reply = client.ReadReply();
    EXPECT_EQ(reply.rfind("-IOERR", 0), 0u) << reply;  // read-only now
    env.ClearFaults();
  }
}

// The sync covering "d" is held inside its failing fdatasync while "SET p pending" collects in
// the pending batch and two GETs of p read it from the overlay (their replies held). When the
// sync fails, every held reply must be the outcome-unknown error, and a later GET of p must
// return p's durable value: the pending batch never reached the engine.
TEST(ServerDurability, FailedSyncDropsPendingWritesAndNeverReleasesNonDurableReplies) {
  ASSERT_TRUE(BlockShutdownSignals().ok());
  Gate gate;  // outlives the env, whose observer uses it
  MemEnv mem;
  FaultEnv env(&mem);
  env.SetInjectionObserver([&](const FaultEnv::Injection& injection) {
    if (injection.kind == kFaultSync) {
      gate.Pass();
    }
  });
  Options options;
  options.env = &env;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  ASSERT_OK(db->Put(WriteOptions(), "p", "durable"));
  {
    RunningServer server(db.get(), Durability::kDurable);
    Gate::OpenOnExit open_on_exit{&gate};
    ASSERT_TRUE(server.listening());
    RawClient writer(server.port());
    RawClient reader(server.port());
    RawClient later(server.port());
    ASSERT_TRUE(writer.connected() && reader.connected() && later.connected());
    env.FailPath(".wal", kFaultSync);
    writer.Send(SetCommand("d", "doomed"));
    ASSERT_TRUE(gate.WaitReached(std::chrono::seconds(10))) << "no WAL sync was attempted";
    // The sync covering d is failing now; these collect in the pending batch.
    writer.Send(SetCommand("p", "pending") + Command({"GET", "p"}));
    reader.Send(Command({"GET", "p"}));
    bool executed = WaitUntil(
        [&] {
          return ServerReadEverything(server.port(), writer.local_port()) &&
                 ServerReadEverything(server.port(), reader.local_port());
        },
        std::chrono::seconds(10));
    gate.Open();
    ASSERT_TRUE(executed) << "the server did not read the requests";
    for (int i = 0; i < 3; i++) {  // SET d, SET p, GET p
      std::string reply = writer.ReadReply();
      EXPECT_EQ(reply.rfind("-IOERR", 0), 0u) << i << ": " << reply;
      EXPECT_NE(reply.find("outcome of this request is unknown"), std::string::npos) << reply;
    }
    std::string held_read = reader.ReadReply();
    EXPECT_EQ(held_read.rfind("-IOERR", 0), 0u) << held_read;  // never "pending"
    later.Send(Command({"GET", "p"}));
    EXPECT_EQ(later.ReadReply(), "durable");  // the pending value is gone
    later.Send(Command({"GET", "d"}));
    std::string reply = later.ReadReply();
    EXPECT_TRUE(IsOutcomeUnknownError(reply)) << reply;
    later.Send(Command({"DBSIZE"}));  // would count d, whose outcome is unknown
    reply = later.ReadReply();
    EXPECT_TRUE(IsOutcomeUnknownError(reply)) << reply;
    later.Send(SetCommand("x", "1"));
    reply = later.ReadReply();
    EXPECT_EQ(reply.rfind("-IOERR", 0), 0u) << reply;  // read-only now
    env.ClearFaults();
  }
  env.SetInjectionObserver(nullptr);
}

// Writes stopped at the engine's memory limit while every flush fails are a clean refusal
// (nothing applied, the engine not read-only). The server fails just those writes, with an
// error that says so, and any read that saw them pending; it keeps serving, and accepts
// writes again once flushes succeed.
TEST(ServerDurability, CleanlyRefusedWritesFailAloneAndTheServerKeepsServing) {
  ASSERT_TRUE(BlockShutdownSignals().ok());
  MemEnv mem;
  FaultEnv env(&mem);
  Options options;
  options.env = &env;
  options.memtable_size_bytes = 64 << 10;
  options.max_memtable_memory_bytes = 1 << 20;
  std::unique_ptr<DB> db;
  ASSERT_OK(DB::Open(options, kDir, &db));
  ASSERT_OK(db->Put(WriteOptions(), "before", "1"));
  env.FailPath(".seg", kFaultWrite);  // every flush fails while building its segment
  Status refused;
  for (int i = 0; i < 10000 && refused.ok(); i++) {
    refused = db->Put(WriteOptions(), "fill" + std::to_string(i), std::string(4000, 'f'));
  }
  ASSERT_FALSE(refused.ok()) << "the engine never stopped writes";
  ASSERT_FALSE(refused.IsOutcomeUnknown() || refused.IsReadOnly()) << refused.ToString();
  {
    RunningServer server(db.get(), Durability::kDurable);
    ASSERT_TRUE(server.listening());
    RawClient client(server.port());
    ASSERT_TRUE(client.connected());
    client.Send(SetCommand("r", "v"));
    std::string reply = client.ReadReply();
    EXPECT_EQ(reply.rfind("-ERR write refused", 0), 0u) << reply;
    EXPECT_EQ(reply.find("outcome"), std::string::npos) << reply;
    client.Send(SetCommand("r", "v") + Command({"GET", "r"}));
    reply = client.ReadReply();
    EXPECT_EQ(reply.rfind("-ERR write refused", 0), 0u) << reply;
    reply = client.ReadReply();
    EXPECT_NE(reply, "v");  // the refused value is never read
    client.Send(Command({"GET", "r"}));
    EXPECT_EQ(client.ReadReply(), "$-1");
    client.Send(Command({"GET", "before"}));
    EXPECT_EQ(client.ReadReply(), "1");
    client.Send(Command({"INFO", "persistence"}));
    reply = client.ReadReply();
    EXPECT_NE(reply.find("read_only:0"), std::string::npos) << reply;
    EXPECT_EQ(reply.find("writes_refused:0"), std::string::npos) << reply;
    // Once segments can be written, a flush retry frees memory and writes are accepted.
    env.ClearFaults();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
      client.Send(SetCommand("resumed", "1"));
      reply = client.ReadReply();
      if (reply == "+OK") {
        break;
      }
      EXPECT_EQ(reply.rfind("-ERR write refused", 0), 0u) << reply;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(reply, "+OK");
    client.Send(Command({"GET", "resumed"}));
    EXPECT_EQ(client.ReadReply(), "1");
  }
}

}  // namespace
}  // namespace cairn::server
