// libFuzzer target for the RESP request parser (src/server/resp_parser.h): feeds the input to
// RespParser in chunks whose sizes come from the input itself, the way a connection does
// (unconsumed bytes are passed again with the next chunk), and checks that it never crashes,
// never consumes more than it was given, never yields a command over its limits, never keeps
// more than one header or inline line unconsumed, and that an error state sticks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/limits.h"
#include "server/resp_parser.h"

namespace {

constexpr cairn::server::ParserLimits kLimits{4096, 64, 16384};

void Check(bool condition) {
  if (!condition) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cairn::server::RespParser;
  if (size == 0) {
    return 0;
  }
  // The first byte seeds the chunk sizes; the rest is the stream.
  uint32_t state = data[0] | 1u;
  std::string stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  RespParser parser(kLimits);
  std::string pending;
  size_t offset = 0;
  bool failed = false;
  while (offset < stream.size() || !pending.empty()) {
    state = state * 1103515245u + 12345u;
    size_t chunk = 1 + (state >> 16) % 64;
    size_t take = std::min(chunk, stream.size() - offset);
    pending.append(stream, offset, take);
    offset += take;
    size_t consumed = 0;
    RespParser::Result result = parser.Parse(pending, &consumed);
    Check(consumed <= pending.size());
    pending.erase(0, consumed);
    if (result == RespParser::Result::kCommand) {
      Check(!failed);
      std::vector<std::string> command = parser.TakeCommand();
      Check(!command.empty() && command.size() <= kLimits.max_args);
      size_t bytes = 0;
      for (const std::string& arg : command) {
        Check(arg.size() <= kLimits.max_bulk_bytes);
        bytes += arg.size();
      }
      Check(bytes <= kLimits.max_request_bytes);
      continue;
    }
    if (result == RespParser::Result::kError) {
      failed = true;
      Check(parser.failed() && !parser.error().empty());
      size_t again = 0;
      Check(parser.Parse("*1\r\n$4\r\nPING\r\n", &again) == RespParser::Result::kError);
      return 0;
    }
    // kNeedMore: what is left is part of one header or inline line.
    Check(pending.size() <= cairn::server::kMaxInlineBytes);
    if (take == 0) {
      break;  // no more input and the parser wants more
    }
  }
  return 0;
}
