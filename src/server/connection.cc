#include "server/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "server/limits.h"

namespace cairn::server {
namespace {

// Output already sent is cut from the front of the buffer once it is this large, so a
// long-lived connection's buffer does not grow with everything it ever sent.
constexpr size_t kCompactOutputBytes = 64u << 10;

}  // namespace

Connection::Connection(int fd, uint64_t id, const ParserLimits& limits, std::string peer)
    : fd_(fd), peer_(std::move(peer)), parser_(limits) {
  session_.client_id = id;
}

Connection::~Connection() { close(fd_); }

Connection::Io Connection::ReadSome() {
  if (in_start_ > 0) {
    in_.erase(0, in_start_);
    in_start_ = 0;
  }
  // Read into a stack buffer and append only what arrived: resizing the string first would
  // zero-fill a whole chunk on every read.
  char chunk[kReadChunkBytes];
  ssize_t n = read(fd_, chunk, sizeof(chunk));
  if (n > 0) {
    in_.append(chunk, static_cast<size_t>(n));
    return Io::kOk;
  }
  if (n == 0) {
    return Io::kClosed;
  }
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? Io::kWouldBlock : Io::kError;
}

RespParser::Result Connection::NextCommand(std::vector<std::string>* args) {
  size_t consumed = 0;
  RespParser::Result result =
      parser_.Parse(std::string_view(in_).substr(in_start_), &consumed);
  in_start_ += consumed;
  if (in_start_ == in_.size()) {
    in_.clear();
    in_start_ = 0;
  }
  if (result == RespParser::Result::kCommand) {
    *args = parser_.TakeCommand();
  }
  return result;
}

void Connection::AddReply(std::string_view reply, uint64_t tag, uint64_t released) {
  if (held_.empty() && tag <= released) {
    out_.append(reply);
    return;
  }
  held_bytes_ += reply.size();
  if (!held_.empty() && held_.back().tag == tag) {
    held_.back().bytes.append(reply);  // same durability point: one entry
    held_.back().replies++;
  } else {
    held_.push_back(Held{tag, 1, std::string(reply)});
  }
}

void Connection::Release(uint64_t released) {
  while (!held_.empty() && held_.front().tag <= released) {
    out_.append(held_.front().bytes);
    held_bytes_ -= held_.front().bytes.size();
    held_.pop_front();
  }
}

void Connection::FailHeldAbove(uint64_t tag, std::string_view error_reply) {
  // Tags never decrease along held_, so the replies to fail are a suffix of it.
  size_t failed_replies = 0;
  while (!held_.empty() && held_.back().tag > tag) {
    failed_replies += held_.back().replies;
    held_bytes_ -= held_.back().bytes.size();
    held_.pop_back();
  }
  if (failed_replies == 0) {
    return;
  }
  std::string errors;
  errors.reserve(failed_replies * error_reply.size());
  for (size_t i = 0; i < failed_replies; i++) {
    errors.append(error_reply);  // one error per reply, so the client stays in step
  }
  held_bytes_ += errors.size();
  if (!held_.empty() && held_.back().tag == tag) {
    held_.back().bytes.append(errors);
    held_.back().replies += failed_replies;
  } else {
    held_.push_back(Held{tag, failed_replies, std::move(errors)});
  }
}

Connection::Io Connection::WriteSome() {
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN || errno == EWOULDBLOCK ? Io::kWouldBlock : Io::kError;
    }
    out_sent_ += static_cast<size_t>(n);
  }
  if (out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
  } else if (out_sent_ >= kCompactOutputBytes) {
    out_.erase(0, out_sent_);
    out_sent_ = 0;
  }
  return Io::kOk;
}

}  // namespace cairn::server
