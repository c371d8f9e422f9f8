// Proves the server's durability promise in-process, with the engine on a MemEnv that can cut
// the power: every SET the durable server acknowledged survives a power loss taken right
// after the acknowledgement (the replies were held until a shared SyncWal covered them), while
// the relaxed server acknowledges before syncing, so a power loss then loses writes (the
// control that shows the check can fail). A failed WAL sync turns the held write replies into
// "outcome unknown" errors, and reads keep working afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "cairn/db.h"
#include "env/fault_env.h"
#include "env/mem_env.h"
#include "server/server.h"
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
    client.Send("*2\r\n$3\r\nGET\r\n$6\r\nbefore\r\n");
    EXPECT_EQ(client.ReadReply(), "1");
    client.Send(SetCommand("later", "y"));
    reply = client.ReadReply();
    EXPECT_EQ(reply.rfind("-IOERR", 0), 0u) << reply;  // read-only now
    env.ClearFaults();
  }
}

}  // namespace
}  // namespace cairn::server
