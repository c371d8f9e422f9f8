#include "server/resp_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "server/limits.h"

namespace cairn::server {
namespace {

// A bulk string's buffer grows as its bytes arrive; only this much is reserved from its
// declared length, so a declared-but-unsent 64 MiB value costs nothing.
constexpr size_t kBulkReserveMaxBytes = 64u << 10;

}  // namespace

bool ParseInt64(std::string_view text, long long* value) {
  if (text.empty() || text.size() > 20) {
    return false;
  }
  bool negative = text[0] == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || (digits[0] == '0' && (digits.size() > 1 || negative))) {
    return false;  // "", "-", leading zeros and "-0" are not canonical
  }
  unsigned long long magnitude = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return false;
    }
    unsigned long long digit = static_cast<unsigned long long>(c - '0');
    if (magnitude > (std::numeric_limits<unsigned long long>::max() - digit) / 10) {
      return false;
    }
    magnitude = magnitude * 10 + digit;
  }
  constexpr unsigned long long kMaxPositive = std::numeric_limits<long long>::max();
  if (negative) {
    if (magnitude > kMaxPositive + 1) {
      return false;
    }
    *value = magnitude == kMaxPositive + 1 ? std::numeric_limits<long long>::min()
                                           : -static_cast<long long>(magnitude);
  } else {
    if (magnitude > kMaxPositive) {
      return false;
    }
    *value = static_cast<long long>(magnitude);
  }
  return true;
}

RespParser::Result RespParser::Fail(std::string message) {
  state_ = State::kFailed;
  error_ = "ERR Protocol error: " + std::move(message);
  args_.clear();
  return Result::kError;
}

bool RespParser::Charge(size_t bytes, Result* result) {
  request_bytes_ += bytes;
  if (request_bytes_ > limits_.max_request_bytes) {
    *result = Fail("request larger than " + std::to_string(limits_.max_request_bytes) + " bytes");
    return false;
  }
  return true;
}

bool RespParser::FindLine(std::string_view in, size_t pos, size_t max_bytes, const char* what,
                          size_t* line_end, Result* result) {
  size_t window = std::min(in.size() - pos, max_bytes);
  const void* nl = memchr(in.data() + pos, '\n', window);
  if (nl != nullptr) {
    *line_end = static_cast<size_t>(static_cast<const char*>(nl) - in.data());
    return true;
  }
  if (in.size() - pos >= max_bytes) {
    *result = Fail(std::string("too big ") + what);
  }
  return false;
}

RespParser::Result RespParser::Parse(std::string_view in, size_t* consumed) {
  size_t pos = 0;
  Result result = Result::kNeedMore;
  while (true) {
    bool progressed = false;
    switch (state_) {
      case State::kStart:
        progressed = ParseStart(in, &pos, &result);
        break;
      case State::kBulkHeader:
        progressed = ParseBulkHeader(in, &pos, &result);
        break;
      case State::kBulkBody:
        progressed = ParseBulkBody(in, &pos);
        break;
      case State::kBulkCrlf:
        progressed = ParseBulkCrlf(in, &pos, &result);
        break;
      case State::kDone:
        *consumed = pos;
        return Result::kCommand;
      case State::kFailed:
        *consumed = pos;
        return Result::kError;
    }
    if (result != Result::kNeedMore || !progressed) {
      *consumed = pos;
      return state_ == State::kFailed ? Result::kError : result;
    }
  }
}

bool RespParser::ParseStart(std::string_view in, size_t* pos, Result* result) {
  if (*pos == in.size()) {
    return false;
  }
  if (in[*pos] != '*') {
    return ParseInline(in, pos, result);
  }
  size_t line_end = 0;
  if (!FindLine(in, *pos, kMaxHeaderLineBytes, "multibulk header", &line_end, result)) {
    return false;
  }
  long long count = 0;
  if (line_end < *pos + 2 || in[line_end - 1] != '\r' ||
      !ParseInt64(in.substr(*pos + 1, line_end - 1 - (*pos + 1)), &count) || count < -1 ||
      static_cast<unsigned long long>(std::max(count, 0LL)) > limits_.max_args) {
    *result = Fail("invalid multibulk length");
    return false;
  }
  size_t line_bytes = line_end + 1 - *pos;
  *pos = line_end + 1;
  if (count <= 0) {
    return true;  // an empty or null array is ignored, as Redis does
  }
  request_bytes_ = 0;
  if (!Charge(line_bytes, result)) {
    return false;
  }
  args_expected_ = static_cast<size_t>(count);
  args_.clear();
  args_.reserve(std::min(args_expected_, kArgsReserveMax));
  state_ = State::kBulkHeader;
  return true;
}

bool RespParser::ParseInline(std::string_view in, size_t* pos, Result* result) {
  size_t max_line = std::min(kMaxInlineBytes, limits_.max_request_bytes);
  size_t line_end = 0;
  if (!FindLine(in, *pos, max_line, "inline request", &line_end, result)) {
    return false;
  }
  std::string_view line = in.substr(*pos, line_end - *pos);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  *pos = line_end + 1;
  args_.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      i++;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      i++;
    }
    if (i > start) {
      if (args_.size() == limits_.max_args) {
        *result = Fail("invalid multibulk length");
        return false;
      }
      args_.emplace_back(line.substr(start, i - start));
    }
  }
  if (!args_.empty()) {
    state_ = State::kDone;
    *result = Result::kCommand;
  }
  return true;  // an empty line is ignored
}

bool RespParser::ParseBulkHeader(std::string_view in, size_t* pos, Result* result) {
  if (*pos == in.size()) {
    return false;
  }
  if (in[*pos] != '$') {
    *result = Fail(std::string("expected '$', got '") + in[*pos] + "'");
    return false;
  }
  size_t line_end = 0;
  if (!FindLine(in, *pos, kMaxHeaderLineBytes, "bulk header", &line_end, result)) {
    return false;
  }
  long long length = 0;
  if (line_end < *pos + 2 || in[line_end - 1] != '\r' ||
      !ParseInt64(in.substr(*pos + 1, line_end - 1 - (*pos + 1)), &length) || length < 0 ||
      static_cast<unsigned long long>(length) > limits_.max_bulk_bytes) {
    *result = Fail("invalid bulk length");
    return false;
  }
  size_t bulk = static_cast<size_t>(length);
  // The whole declared bulk is charged now, so an oversized request is refused before any of
  // its bytes are buffered.
  if (!Charge(line_end + 1 - *pos + bulk + 2, result)) {
    return false;
  }
  *pos = line_end + 1;
  args_.emplace_back();
  args_.back().reserve(std::min(bulk, kBulkReserveMaxBytes));
  bulk_remaining_ = bulk;
  state_ = bulk == 0 ? State::kBulkCrlf : State::kBulkBody;
  return true;
}

bool RespParser::ParseBulkBody(std::string_view in, size_t* pos) {
  size_t take = std::min(bulk_remaining_, in.size() - *pos);
  if (take == 0) {
    return false;
  }
  args_.back().append(in.data() + *pos, take);
  *pos += take;
  bulk_remaining_ -= take;
  if (bulk_remaining_ == 0) {
    state_ = State::kBulkCrlf;
  }
  return true;
}

bool RespParser::ParseBulkCrlf(std::string_view in, size_t* pos, Result* result) {
  size_t available = in.size() - *pos;
  if (available >= 1 && in[*pos] != '\r') {
    *result = Fail("expected CRLF after bulk string");
    return false;
  }
  if (available < 2) {
    return false;
  }
  if (in[*pos + 1] != '\n') {
    *result = Fail("expected CRLF after bulk string");
    return false;
  }
  *pos += 2;
  if (args_.size() == args_expected_) {
    state_ = State::kDone;
    *result = Result::kCommand;
  } else {
    state_ = State::kBulkHeader;
  }
  return true;
}

std::vector<std::string> RespParser::TakeCommand() {
  std::vector<std::string> command = std::move(args_);
  args_.clear();
  state_ = State::kStart;
  request_bytes_ = 0;
  args_expected_ = 0;
  return command;
}

}  // namespace cairn::server
