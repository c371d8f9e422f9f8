#include "server/server.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <random>

#include "server/listener.h"
#include "server/log.h"

namespace cairn::server {
namespace {

// epoll data tags; client connections use their id, which starts above these.
constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kSignalTag = 1;
constexpr uint64_t kSyncerTag = 2;
constexpr uint64_t kStopTag = 3;
constexpr uint64_t kFirstClientId = 4;
// While shutting down, epoll_wait wakes at least this often to check the drain deadline.
constexpr int kShutdownPollMs = 50;
// File descriptors the server needs besides one per client (listener, epoll, signalfd,
// eventfd, the engine's files).
constexpr rlim_t kReservedFds = 128;

constexpr char kMaxClientsReply[] = "-ERR max number of clients reached\r\n";

// The engine's failures that leave it read-only (DB::Write and DB::SyncWal contracts). Any
// other failed DB::Write is a clean refusal: nothing of the batch was applied, and the engine
// accepts writes again once the cause is gone (e.g. writes stopped at the memory limit while
// flushes fail).
bool IsEngineFailure(const Status& s) { return s.IsOutcomeUnknown() || s.IsReadOnly(); }

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + strerror(errno));
}

uint64_t RandomCursorBase() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32 | device()) >> 1;  // positive for signed parsers
}

// Raises the open-file limit to fit max_clients if the hard limit allows; logs if it cannot.
void FitFileLimit(int max_clients) {
  rlimit limit{};
  rlim_t wanted = static_cast<rlim_t>(max_clients) + kReservedFds;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) {
    return;
  }
  limit.rlim_cur = std::min(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted) {
    Log(LogLevel::kWarning, "open-file limit " + std::to_string(limit.rlim_cur) +
                                " is below --max-clients + " + std::to_string(kReservedFds) +
                                "; accepting may fail before max-clients is reached");
  }
}

}  // namespace

Status BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
    return Status::IOError("pthread_sigmask failed");
  }
  signal(SIGPIPE, SIG_IGN);  // a client that went away is an EPIPE error, not a signal
  return Status::OK();
}

Server::Server(const ServerConfig& config, DB* db)
    : config_(config),
      db_(db),
      cursors_(kMaxScanCursors, kMaxScanCursorBytes, RandomCursorBase()),
      syncer_(db, config.durability),
      next_client_id_(kFirstClientId),
      pending_(db, config.durability == Durability::kDurable) {
  context_.db = db_;
  context_.config = &config_;
  context_.stats = &stats_;
  context_.cursors = &cursors_;
  context_.pending = &pending_;
  context_.commit_pending = [this] { return CommitForEngineRead(); };
  context_.write_error = &write_error_;
  context_.started = std::chrono::steady_clock::now();
}

Server::~Server() {
  connections_.clear();
  syncer_.Stop();
  for (int fd : {listen_fd_, epoll_fd_, signal_fd_, stop_fd_}) {
    if (fd >= 0) {
      close(fd);
    }
  }
}

Status Server::Listen() {
  FitFileLimit(config_.max_clients);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    return Errno("eventfd");
  }
  CAIRN_RETURN_IF_ERROR(cairn::server::Listen(config_.bind, config_.port, &listen_fd_, &stats_.port));
  if (!config_.port_file.empty()) {
    CAIRN_RETURN_IF_ERROR(WritePortFile(config_.port_file, stats_.port));
  }
  return Status::OK();
}

Status Server::SetUpLoop() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    return Errno("epoll_create1");
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  signal_fd_ = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) {
    return Errno("signalfd");
  }
  CAIRN_RETURN_IF_ERROR(syncer_.Start());
  const std::pair<int, uint64_t> watched[] = {
      {listen_fd_, kListenerTag},
      {signal_fd_, kSignalTag},
      {syncer_.event_fd(), kSyncerTag},
      {stop_fd_, kStopTag}};
  for (const auto& [fd, tag] : watched) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      return Errno("epoll_ctl");
    }
  }
  return Status::OK();
}

Status Server::Run() {
  CAIRN_RETURN_IF_ERROR(SetUpLoop());
  Log(LogLevel::kInfo, "cairn serve: listening on " + config_.bind + ":" +
                           std::to_string(stats_.port) + ", database " + config_.db_dir +
                           ", durability " + DurabilityName(config_.durability) +
                           (config_.requirepass.empty() ? "" : ", password required"));
  epoll_event events[kEpollMaxEvents];
  while (true) {
    auto now = std::chrono::steady_clock::now();
    std::chrono::microseconds timeout(-1);
    if (shutting_down_) {
      if (connections_.empty() || now >= shutdown_deadline_) {
        break;
      }
      timeout = std::chrono::milliseconds(kShutdownPollMs);
    }
    if (!gather_waiting_.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(gather_deadline_ - now);
      left = std::max(left, std::chrono::microseconds(0));
      timeout = timeout.count() < 0 ? left : std::min(timeout, left);
    }
    timespec wait{};
    wait.tv_sec = static_cast<time_t>(timeout.count() / 1000000);
    wait.tv_nsec = static_cast<long>(timeout.count() % 1000000) * 1000;
    int n = epoll_pwait2(epoll_fd_, events, kEpollMaxEvents, timeout.count() < 0 ? nullptr : &wait,
                         nullptr);
    if (n < 0 && errno == ENOSYS) {  // kernels before 5.11: millisecond timeouts, rounded up
      int timeout_ms = timeout.count() < 0 ? -1 : static_cast<int>((timeout.count() + 999) / 1000);
      n = epoll_wait(epoll_fd_, events, kEpollMaxEvents, timeout_ms);
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Errno("epoll_wait");
    }
    auto busy_start = std::chrono::steady_clock::now();
    uint64_t commands_before = stats_.commands_processed;
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      if (tag == kListenerTag) {
        AcceptClients();
      } else if (tag == kSignalTag) {
        signalfd_siginfo info{};
        ssize_t got = read(signal_fd_, &info, sizeof(info));
        Log(LogLevel::kInfo, std::string("received ") +
                                 (got > 0 ? strsignal(static_cast<int>(info.ssi_signo)) : "a signal"));
        BeginShutdown();
      } else if (tag == kStopTag) {
        uint64_t ignored = 0;
        ssize_t got = read(stop_fd_, &ignored, sizeof(ignored));
        (void)got;  // draining; the wakeup itself is the message
        Log(LogLevel::kInfo, "stop requested");
        BeginShutdown();
      } else if (tag == kSyncerTag) {
        OnSyncDone();
      } else if (auto it = connections_.find(tag); it != connections_.end()) {
        OnClientEvent(it->second.get(), events[i].events);
      }
    }
    EndOfIteration();
    uint64_t commands = stats_.commands_processed - commands_before;
    if (commands > 0) {
      double micros = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - busy_start)
                                              .count()) /
                      static_cast<double>(commands);
      exec_micros_per_command_ = exec_micros_per_command_ == 0
                                     ? micros
                                     : 0.9 * exec_micros_per_command_ + 0.1 * micros;
    }
  }
  CommitPending().IgnoreError();  // a failure is logged and reported by EnterFailedState
  if (!failed_) {
    syncer_.Request(stats_.writes_committed);  // the final sync in Stop covers everything
  }
  if (!connections_.empty()) {
    Log(LogLevel::kWarning, "shutdown: closing " + std::to_string(connections_.size()) +
                                " connections whose replies were not all sent in time");
  }
  connections_.clear();
  with_held_.clear();
  syncer_.Stop();
  Syncer::Outcome outcome = syncer_.Poll();
  Log(LogLevel::kInfo, "cairn serve: stopped after " + std::to_string(outcome.syncs) +
                           " syncs; " + std::to_string(stats_.writes_applied) +
                           " writes applied" + (outcome.failed ? ", sync failed: " + outcome.error : ""));
  return Status::OK();
}

void Server::RequestStop() {
  uint64_t one = 1;
  ssize_t n = write(stop_fd_, &one, sizeof(one));
  (void)n;  // only fails if the counter is full, which needs 2^64 - 1 requests
}

void Server::AcceptClients() {
  if (shutting_down_) {
    return;
  }
  while (true) {
    std::string peer;
    int error = 0;
    int fd = AcceptClient(listen_fd_, &peer, &error);
    if (fd == -1) {
      return;
    }
    if (fd == -2) {
      Log(LogLevel::kWarning, std::string("accept: ") + strerror(error));
      return;
    }
    stats_.connections_received++;
    if (connections_.size() >= static_cast<size_t>(config_.max_clients)) {
      // Best effort: the socket is fresh, so a short reply fits its buffer.
      ssize_t sent = send(fd, kMaxClientsReply, sizeof(kMaxClientsReply) - 1,
                          MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)sent;
      close(fd);
      stats_.rejected_connections++;
      Log(LogLevel::kWarning, "rejected " + peer + ": max number of clients reached");
      continue;
    }
    uint64_t id = next_client_id_++;
    ParserLimits limits{config_.max_bulk_bytes, config_.max_args, config_.max_request_bytes};
    auto conn = std::make_unique<Connection>(fd, id, limits, peer);
    conn->session()->authenticated = config_.requirepass.empty();
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      Log(LogLevel::kWarning, "epoll_ctl add: " + std::string(strerror(errno)));
      continue;  // conn's destructor closes the socket
    }
    conn->registered_events = EPOLLIN;
    Log(LogLevel::kDebug, "client " + std::to_string(id) + " connected from " + peer);
    connections_.emplace(id, std::move(conn));
    stats_.connected_clients = connections_.size();
  }
}

void Server::OnClientEvent(Connection* conn, uint32_t events) {
  bool readable = (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
  if (readable && (conn->registered_events & EPOLLIN) != 0) {
    Connection::Io io = conn->ReadSome();
    if (io == Connection::Io::kClosed || io == Connection::Io::kError) {
      CloseConnection(conn, io == Connection::Io::kClosed ? "client closed" : "read error");
      return;
    }
    ProcessInput(conn);
  } else if ((events & (EPOLLHUP | EPOLLERR)) != 0) {
    CloseConnection(conn, "socket error");
    return;
  }
  Service(conn);
}

int Server::ProcessInput(Connection* conn) {
  int executed = 0;
  while (!conn->closing && conn->PendingBytes() < config_.output_soft_limit_bytes) {
    RespParser::Result result = conn->NextCommand(&args_);
    if (result == RespParser::Result::kNeedMore) {
      break;
    }
    reply_.clear();
    if (result == RespParser::Result::kError) {
      stats_.protocol_errors++;
      RespWriter(&reply_, conn->session()->protocol).Error(conn->parse_error());
      conn->closing = true;  // the stream cannot be resynchronized
      Log(LogLevel::kInfo, "client " + std::to_string(conn->id()) + " (" + conn->peer() +
                               "): " + conn->parse_error() + "; closing");
    } else {
      Dispatch(&context_, conn->session(), args_, &reply_);
      conn->closing = conn->session()->quit;
    }
    conn->AddReply(reply_, stats_.writes_applied, Released());
    if (conn->HasHeld()) {
      with_held_.insert(conn->id());
    }
    executed++;
    gather_waiting_.erase(conn->id());  // it answered: no need to wait for it
    if (pending_.bytes() >= kPendingCommitBytes) {
      CommitPending().IgnoreError();  // bounded memory; a failure is handled inside
    }
  }
  return executed;
}

void Server::OnSyncDone() {
  Syncer::Outcome outcome = syncer_.Poll();
  uint64_t synced_writes = outcome.durable - durable_;
  stats_.syncs = outcome.syncs;
  stats_.sync_micros = outcome.total_sync_micros;
  durable_ = outcome.durable;
  stats_.writes_durable = durable_;
  pending_.ForgetSynced(durable_);
  if (outcome.failed) {
    stats_.sync_failures = 1;
    EnterFailedState("WAL sync failed: " + outcome.error);
  }
  release_needed_ = false;
  std::vector<uint64_t> held_before(with_held_.begin(), with_held_.end());
  ReleaseHeld();
  // Wait a moment for the clients just answered, so the next sync covers their next writes
  // too. That pays only while executing their requests is short next to a sync: otherwise
  // the loop is better off executing one group while the other group's sync runs.
  gather_waiting_.clear();
  double expected_exec_micros = exec_micros_per_command_ * static_cast<double>(synced_writes);
  bool worth_it = expected_exec_micros < static_cast<double>(outcome.last_sync_micros) / 2;
  if (!failed_ && config_.gather_micros > 0 && worth_it) {
    for (uint64_t id : held_before) {
      if (connections_.count(id) != 0 && with_held_.count(id) == 0) {
        gather_waiting_.insert(id);
      }
    }
    auto window = std::min<uint64_t>(static_cast<uint64_t>(config_.gather_micros),
                                     outcome.last_sync_micros / 2);
    gather_deadline_ = std::chrono::steady_clock::now() + std::chrono::microseconds(window);
  }
}

Status Server::CommitPending() {
  if (pending_.empty()) {
    return Status::OK();
  }
  Status s = pending_.Commit(stats_.writes_applied);
  if (IsEngineFailure(s)) {
    EnterFailedState("commit of pending writes failed: " + s.ToString());
    return s;
  }
  if (!s.ok()) {
    RefusePending(s);
    return s;
  }
  if (refusing_) {
    refusing_ = false;
    Log(LogLevel::kWarning, "writes are accepted again");
  }
  stats_.commits++;
  stats_.writes_committed = stats_.writes_applied;
  if (config_.durability == Durability::kRelaxed) {
    release_needed_ = true;  // relaxed replies wait only for the commit
  }
  return Status::OK();
}

void Server::RefusePending(const Status& cause) {
  // Every reply tagged above the last commit could reflect the refused writes: the writers'
  // own replies, and reads that saw them in the pending overlay (now dropped). They become
  // the refusal; the replies before them keep waiting for their sync.
  uint64_t last_commit = stats_.writes_committed;
  stats_.writes_refused += stats_.writes_applied - last_commit;
  // The refused writes are settled: later replies wait for the next sync only, which the
  // loop requests as usual, as if they had been committed.
  stats_.writes_committed = stats_.writes_applied;
  if (!refusing_) {
    refusing_ = true;
    Log(LogLevel::kWarning, "the engine refused a commit; its writes fail, nothing of them "
                            "was applied: " + cause.ToString());
  }
  std::string error;
  RespWriter(&error, 2).Error("ERR write refused by the engine, nothing of it was applied "
                              "(this request made it or may have read it): " +
                              cause.ToString());
  FailHeldAbove(last_commit, error);
}

Status Server::CommitForEngineRead() {
  Status s = CommitPending();
  if (!s.ok() && !IsEngineFailure(s)) {
    // A clean refusal is settled: the refused writes are neither in the engine nor pending
    // any more, so the engine again holds everything a command may read.
    s = Status::OK();
  }
  if (!s.ok()) {
    return s;
  }
  return pending_.CheckEveryKeyKnown();
}

void Server::EndOfIteration() {
  bool relaxed = config_.durability == Durability::kRelaxed;
  while (true) {
    // Group commit: while a sync runs, writes keep collecting; when it returns they are
    // committed together and one sync request covers them all.
    if (!gather_waiting_.empty() && std::chrono::steady_clock::now() >= gather_deadline_) {
      gather_waiting_.clear();
    }
    bool sync_idle = durable_ >= requested_ && gather_waiting_.empty();
    if (!pending_.empty() && (relaxed || sync_idle)) {
      CommitPending().IgnoreError();  // a failure is handled inside
    }
    if (!failed_ && stats_.writes_committed > requested_) {
      requested_ = stats_.writes_committed;
      syncer_.Request(requested_);
    }
    if (!release_needed_) {
      return;
    }
    release_needed_ = false;
    ReleaseHeld();  // may run buffered commands, which may add pending writes
  }
}

void Server::ReleaseHeld() {
  std::vector<uint64_t> ids(with_held_.begin(), with_held_.end());
  for (uint64_t id : ids) {
    auto it = connections_.find(id);
    if (it == connections_.end()) {
      continue;
    }
    Connection* conn = it->second.get();
    conn->Release(Released());
    if (!conn->HasHeld()) {
      with_held_.erase(id);
    }
    Service(conn);
  }
}

void Server::EnterFailedState(const std::string& cause) {
  if (failed_) {
    return;
  }
  failed_ = true;
  release_needed_ = true;
  stats_.sync_error = cause;
  write_error_ = Status::IOError("the database is read-only until cairn serve restarts (" +
                                 cause + ")");
  Log(LogLevel::kError, cause + "; held replies become errors, writes are refused");
  // The pending writes never reached the engine: dropping them keeps their values from
  // being read, and their writers get the error below with the other held replies.
  pending_.Abandon();
  std::string error;
  RespWriter(&error, 2).Error(
      "IOERR the outcome of this request is unknown, the database is read-only until "
      "restarted: " + cause);
  // A held reply above the last durable count could reflect a write that will never be
  // durable, so it is never released as it is; those at or below it are durable and go out.
  FailHeldAbove(durable_, error);
}

void Server::FailHeldAbove(uint64_t tag, const std::string& error_reply) {
  for (uint64_t id : with_held_) {
    auto it = connections_.find(id);
    if (it != connections_.end()) {
      it->second->FailHeldAbove(tag, error_reply);
    }
  }
  release_needed_ = true;  // failed replies at or below what is released go out now
}

void Server::Service(Connection* conn) {
  while (true) {
    if (conn->HasUnsentOutput() && conn->WriteSome() == Connection::Io::kError) {
      CloseConnection(conn, "write error");
      return;
    }
    bool may_run = !conn->closing && !shutting_down_ && conn->HasBufferedInput() &&
                   conn->PendingBytes() < config_.output_soft_limit_bytes;
    if (!may_run || ProcessInput(conn) == 0) {
      break;
    }
  }
  if (conn->PendingBytes() > config_.output_hard_limit_bytes) {
    CloseConnection(conn, "unsent replies over the output hard limit");
    return;
  }
  bool idle = !conn->HasHeld() && !conn->HasUnsentOutput();
  if (idle && (conn->closing || shutting_down_)) {
    CloseConnection(conn, conn->closing ? "closing" : "shutdown");
    return;
  }
  uint32_t wanted = 0;
  if (!conn->closing && !shutting_down_ &&
      conn->PendingBytes() < config_.output_soft_limit_bytes) {
    wanted |= EPOLLIN;
  }
  if (conn->HasUnsentOutput()) {
    wanted |= EPOLLOUT;
  }
  if (wanted != conn->registered_events) {
    epoll_event event{};
    event.events = wanted;
    event.data.u64 = conn->id();
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn->fd(), &event) != 0) {
      CloseConnection(conn, "epoll_ctl failed");
      return;
    }
    conn->registered_events = wanted;
  }
}

void Server::CloseConnection(Connection* conn, const char* why) {
  uint64_t id = conn->id();
  Log(LogLevel::kDebug, "client " + std::to_string(id) + " (" + conn->peer() + "): " + why);
  // Closing the socket removes it from the epoll set.
  with_held_.erase(id);
  gather_waiting_.erase(id);
  connections_.erase(id);
  stats_.connected_clients = connections_.size();
}

void Server::BeginShutdown() {
  if (shutting_down_) {
    return;
  }
  shutting_down_ = true;
  shutdown_deadline_ =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kShutdownDrainTimeoutMs);
  Log(LogLevel::kInfo, "shutting down: no new connections or requests; sending " +
                           std::to_string(connections_.size()) + " connections their replies");
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  close(listen_fd_);
  listen_fd_ = -1;
  std::vector<uint64_t> ids;
  for (const auto& [id, conn] : connections_) {
    ids.push_back(id);
  }
  for (uint64_t id : ids) {
    Service(connections_.at(id).get());
  }
}

uint64_t Server::Released() const {
  if (failed_) {
    // Every held reply that could reflect a non-durable write was failed on entering this
    // state, and from then on commands read durable data only (PendingWrites refuses the
    // rest), so whatever is held now may go.
    return UINT64_MAX;
  }
  return config_.durability == Durability::kRelaxed ? stats_.writes_committed : durable_;
}

}  // namespace cairn::server
