// RespWriter: appends RESP replies to a byte string, in RESP2 or (after HELLO 3) RESP3.
//
// Only the reply types Cairn sends exist here. The two protocols differ only in nulls
// (RESP2 "$-1", RESP3 "_") and maps (RESP2 a flat array of 2n elements, RESP3 "%n").
// Error texts must not contain CR or LF; they are replaced by spaces.
// A plain value over a caller-owned string; not thread-safe.
#ifndef CAIRN_SERVER_RESP_WRITER_H_
#define CAIRN_SERVER_RESP_WRITER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace cairn::server {

class RespWriter {
 public:
  RespWriter(std::string* out, int protocol) : out_(out), protocol_(protocol) {}

  // "+OK\r\n" and the like; `text` must not contain CR or LF (programmer error).
  void SimpleString(std::string_view text);
  // "-ERR ...\r\n". `text` starts with the error code (ERR, NOAUTH, WRONGPASS...).
  void Error(std::string_view text);
  void Integer(long long value);
  void Bulk(std::string_view bytes);
  void Null();
  void ArrayHeader(size_t count);
  // A map of `pairs` key/value pairs; the caller then writes 2 * pairs elements.
  void MapHeader(size_t pairs);

  int protocol() const { return protocol_; }
  void set_protocol(int protocol) { protocol_ = protocol; }

 private:
  std::string* out_;
  int protocol_;
};

}  // namespace cairn::server

#endif  // CAIRN_SERVER_RESP_WRITER_H_
