// RespParser: turns the bytes a client sends into commands (arrays of byte strings),
// incrementally and within fixed bounds.
//
// Accepts RESP2 request frames ("*<n>\r\n" then n times "$<len>\r\n<bytes>\r\n") and inline
// commands (a text line split at spaces and tabs, as typed into telnet). Bytes may arrive
// split at any point: Parse consumes what it can and keeps its place, so a partial frame
// costs only the bytes already received. A frame with "*0" or "*-1" is ignored (as Redis does).
//
// Bounds (ParserLimits): a bulk length above max_bulk_bytes, an element count above max_args,
// a request (all bytes of one command) above max_request_bytes, an inline line above
// kMaxInlineBytes, or a header line above kMaxHeaderLineBytes is refused as soon as it is
// seen, before its bytes are buffered. Negative bulk lengths, non-digits, a missing CRLF after
// a bulk string, or a non-'$' element are errors. After an error the parser stays in the
// error state (the connection must be closed after replying error()).
//
// Not thread-safe; one parser per connection.
#ifndef CAIRN_SERVER_RESP_PARSER_H_
#define CAIRN_SERVER_RESP_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::server {

struct ParserLimits {
  size_t max_bulk_bytes;
  size_t max_args;
  size_t max_request_bytes;
};

class RespParser {
 public:
  enum class Result {
    kNeedMore,  // every byte given was consumed; no complete command yet
    kCommand,   // a command is complete: take it with TakeCommand()
    kError,     // the input is malformed or over a limit: see error()
  };

  explicit RespParser(const ParserLimits& limits) : limits_(limits) {}

  // Consumes bytes from the front of `input` and sets *consumed to how many. Stops right after
  // the first complete command. Bytes not consumed (a partial header line) must be passed
  // again, followed by more, on the next call.
  Result Parse(std::string_view input, size_t* consumed);

  // The completed command; valid once after Parse returned kCommand.
  std::vector<std::string> TakeCommand();

  // The reason for kError, as a Redis error reply text without the "-" and CRLF,
  // e.g. "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }
  bool failed() const { return state_ == State::kFailed; }

 private:
  enum class State { kStart, kBulkHeader, kBulkBody, kBulkCrlf, kDone, kFailed };

  Result Fail(std::string message);
  // Each handles one state; returns false when more input is needed (nothing more consumed).
  bool ParseStart(std::string_view in, size_t* pos, Result* result);
  bool ParseInline(std::string_view in, size_t* pos, Result* result);
  bool ParseBulkHeader(std::string_view in, size_t* pos, Result* result);
  bool ParseBulkBody(std::string_view in, size_t* pos);
  bool ParseBulkCrlf(std::string_view in, size_t* pos, Result* result);
  // Finds a complete line at in[pos..]; false if none yet. Fails the parse (and sets *result)
  // if the partial line already exceeds `max_bytes`.
  bool FindLine(std::string_view in, size_t pos, size_t max_bytes, const char* what,
                size_t* line_end, Result* result);
  // Counts bytes toward the request limit; false (and the parser failed) past it.
  bool Charge(size_t bytes, Result* result);

  ParserLimits limits_;
  State state_ = State::kStart;
  size_t args_expected_ = 0;
  size_t bulk_remaining_ = 0;
  size_t request_bytes_ = 0;
  std::vector<std::string> args_;
  std::string error_;
};

// Parses a decimal integer with an optional leading '-', as RESP lengths and Redis integers
// are written: no spaces, no '+', no leading zeros except "0" itself, within int64. False for
// anything else.
bool ParseInt64(std::string_view text, long long* value);

}  // namespace cairn::server

#endif  // CAIRN_SERVER_RESP_PARSER_H_
