// Proves RespWriter encodes each reply type byte-exactly in RESP2 and RESP3 and never lets an
// error text break the framing.
#include "server/resp_writer.h"

#include <gtest/gtest.h>

namespace cairn::server {
namespace {

TEST(RespWriter, EncodesEveryTypeInResp2) {
  std::string out;
  RespWriter w(&out, 2);
  w.SimpleString("OK");
  w.Error("ERR bad");
  w.Integer(-42);
  w.Bulk(std::string("a\0b", 3));
  w.Bulk("");
  w.Null();
  w.ArrayHeader(2);
  w.MapHeader(3);
  const char kExpected[] = "+OK\r\n-ERR bad\r\n:-42\r\n$3\r\na\0b\r\n$0\r\n\r\n$-1\r\n*2\r\n*6\r\n";
  EXPECT_EQ(out, std::string(kExpected, sizeof(kExpected) - 1));
}

TEST(RespWriter, Resp3HasItsOwnNullAndMap) {
  std::string out;
  RespWriter w(&out, 3);
  w.Null();
  w.MapHeader(3);
  EXPECT_EQ(out, "_\r\n%3\r\n");
}

TEST(RespWriter, ErrorTextCannotBreakFraming) {
  std::string out;
  RespWriter(&out, 2).Error("ERR line1\r\nline2");
  EXPECT_EQ(out, "-ERR line1  line2\r\n");
}

TEST(RespWriter, IntegerExtremes) {
  std::string out;
  RespWriter w(&out, 2);
  w.Integer(INT64_MIN);
  w.Integer(INT64_MAX);
  EXPECT_EQ(out, ":-9223372036854775808\r\n:9223372036854775807\r\n");
}

}  // namespace
}  // namespace cairn::server
