// Connection: one client socket with its bounded buffers.
//
// Input: bytes read from the socket wait in `in_` only until the parser consumed them (the
// parser copies arguments out), so buffered input is at most one read chunk plus one partial
// header or inline line, except while the connection is paused (see below).
//
// Output: a reply is tagged with the count of writes applied when it was produced. It may be
// sent once every write up to its tag is durable (`released`): until then it is held, in
// order. Replies a client could learn something from before it is durable (a write's OK, a
// read of a fresh value) are therefore never sent early. PendingBytes() counts held and
// unsent bytes; the server pauses reading and executing for a connection over the soft limit
// (backpressure) and closes one over the hard limit.
//
// Owned and used by the event-loop thread only.
#ifndef CAIRN_SERVER_CONNECTION_H_
#define CAIRN_SERVER_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands.h"
#include "server/resp_parser.h"

namespace cairn::server {

class Connection {
 public:
  enum class Io { kOk, kWouldBlock, kClosed, kError };

  Connection(int fd, uint64_t id, const ParserLimits& limits, std::string peer);
  ~Connection();  // closes the socket
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  uint64_t id() const { return session_.client_id; }
  const std::string& peer() const { return peer_; }
  Session* session() { return &session_; }

  // One read(2) of at most kReadChunkBytes into the input buffer.
  Io ReadSome();
  // The next complete command from buffered input (RespParser's results).
  RespParser::Result NextCommand(std::vector<std::string>* args);
  const std::string& parse_error() const { return parser_.error(); }
  bool HasBufferedInput() const { return in_.size() > in_start_; }

  // Queues `reply`: sent at once if every write up to `tag` is durable (tag <= released)
  // and nothing older is held, else held.
  void AddReply(std::string_view reply, uint64_t tag, uint64_t released);
  // Moves held replies with tag <= released to the output, in order.
  void Release(uint64_t released);
  // Replaces every held reply whose tag is above `tag` by `error_reply` (a complete RESP
  // error), one error per reply, retagged `tag`: they are released with the replies held
  // before them, never ahead of them. Used when the writes those replies could reflect will
  // never be durable (refused, or lost to a failure).
  void FailHeldAbove(uint64_t tag, std::string_view error_reply);
  bool HasHeld() const { return !held_.empty(); }

  // Writes unsent output until the socket would block.
  Io WriteSome();
  bool HasUnsentOutput() const { return out_.size() > out_sent_; }
  size_t PendingBytes() const { return out_.size() - out_sent_ + held_bytes_; }

  // Close once every reply is sent (after QUIT or a protocol error); read no more.
  bool closing = false;
  // The epoll events currently registered for this connection.
  uint32_t registered_events = 0;

 private:
  struct Held {
    uint64_t tag;
    size_t replies;  // how many replies `bytes` holds
    std::string bytes;
  };

  int fd_;
  std::string peer_;
  Session session_;
  RespParser parser_;
  std::string in_;
  size_t in_start_ = 0;
  std::string out_;
  size_t out_sent_ = 0;
  std::deque<Held> held_;
  size_t held_bytes_ = 0;
};

}  // namespace cairn::server

#endif  // CAIRN_SERVER_CONNECTION_H_
