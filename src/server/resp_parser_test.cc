// Proves RespParser turns request bytes into commands however they are split (every split
// point of valid frames, byte by byte), refuses oversized or malformed input with an error
// state that sticks, and never buffers more than its limits allow.
#include "server/resp_parser.h"

#include <gtest/gtest.h>

#include <random>

#include "testutil.h"

namespace cairn::server {
namespace {

constexpr ParserLimits kLimits{1024, 16, 4096};

using Commands = std::vector<std::vector<std::string>>;

// Feeds `chunks` in order, the way a connection does (unconsumed bytes are passed again).
// Returns the commands; *error is set if the parser failed.
Commands FeedChunks(RespParser* parser, const std::vector<std::string>& chunks,
                    std::string* error) {
  Commands commands;
  std::string pending;
  for (const std::string& chunk : chunks) {
    pending += chunk;
    while (true) {
      size_t consumed = 0;
      RespParser::Result result = parser->Parse(pending, &consumed);
      EXPECT_LE(consumed, pending.size());
      pending.erase(0, consumed);
      if (result == RespParser::Result::kCommand) {
        commands.push_back(parser->TakeCommand());
        continue;
      }
      if (result == RespParser::Result::kError) {
        *error = parser->error();
        return commands;
      }
      break;
    }
  }
  return commands;
}

Commands ParseWhole(const std::string& bytes, std::string* error) {
  RespParser parser(kLimits);
  return FeedChunks(&parser, {bytes}, error);
}

const char kTwoFrames[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nv1\r\n*1\r\n$4\r\nPING\r\n";

TEST(RespParser, ParsesPipelinedFrames) {
  std::string error;
  Commands commands = ParseWhole(kTwoFrames, &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0], (std::vector<std::string>{"SET", "k", "v\r\nv1"}));
  EXPECT_EQ(commands[1], (std::vector<std::string>{"PING"}));
}

TEST(RespParser, EverySplitPointGivesTheSameCommands) {
  std::string frames = kTwoFrames;
  std::string ignored;
  Commands expected = ParseWhole(frames, &ignored);
  for (size_t split = 0; split <= frames.size(); split++) {
    for (size_t second = split; second <= frames.size(); second++) {
      RespParser parser(kLimits);
      std::string error;
      Commands got = FeedChunks(&parser,
                                {frames.substr(0, split), frames.substr(split, second - split),
                                 frames.substr(second)},
                                &error);
      ASSERT_EQ(error, "") << "split at " << split << "," << second;
      ASSERT_EQ(got, expected) << "split at " << split << "," << second;
    }
  }
}

TEST(RespParser, ByteByByteFeedingGivesTheSameCommands) {
  std::vector<std::string> chunks;
  for (char c : std::string(kTwoFrames)) {
    chunks.emplace_back(1, c);
  }
  RespParser parser(kLimits);
  std::string error;
  std::string ignored;
  EXPECT_EQ(FeedChunks(&parser, chunks, &error), ParseWhole(kTwoFrames, &ignored));
  EXPECT_EQ(error, "");
}

TEST(RespParser, InlineCommandsAreSplitAtWhitespace) {
  std::string error;
  Commands commands = ParseWhole("set  a\tb\r\n\r\nPING\n", &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0], (std::vector<std::string>{"set", "a", "b"}));
  EXPECT_EQ(commands[1], (std::vector<std::string>{"PING"}));
}

TEST(RespParser, EmptyAndNullArraysAreIgnored) {
  std::string error;
  Commands commands = ParseWhole("*0\r\n*-1\r\n*1\r\n$0\r\n\r\n", &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0], (std::vector<std::string>{""}));
}

struct BadInput {
  const char* bytes;
  const char* error_part;
};

TEST(RespParser, MalformedOrOversizedInputFails) {
  const BadInput cases[] = {
      {"*1\r\n$-1\r\n", "invalid bulk length"},
      {"*1\r\n$-5\r\n", "invalid bulk length"},
      {"*1\r\n$1025\r\n", "invalid bulk length"},  // over max_bulk_bytes
      {"*1\r\n$99999999999999999999999\r\n", "invalid bulk length"},
      {"*1\r\n$9999999999999999999999999999999999\r\n", "too big bulk header"},
      {"*1\r\n$1x\r\n", "invalid bulk length"},
      {"*1\r\n$01\r\n", "invalid bulk length"},
      {"*17\r\n", "invalid multibulk length"},  // over max_args
      {"*-2\r\n", "invalid multibulk length"},
      {"*abc\r\n", "invalid multibulk length"},
      {"*1\n", "invalid multibulk length"},
      {"*1\r\n:1\r\n", "expected '$', got ':'"},
      {"*1\r\n$1\r\nab\r\n", "expected CRLF"},
      {"*1\r\n$1\r\na\rX", "expected CRLF"},
      {"*5\r\n$1000\r\n", "request larger than 4096"},  // 5 x 1000 > 4096 once charged
  };
  for (const BadInput& bad : cases) {
    std::string input = bad.bytes;
    if (std::string(bad.error_part) == "request larger than 4096") {
      std::string value(1000, 'x');
      input = "*5\r\n";
      for (int i = 0; i < 5; i++) {
        input += "$1000\r\n" + value + "\r\n";
      }
    }
    std::string error;
    Commands commands = ParseWhole(input, &error);
    EXPECT_TRUE(commands.empty()) << bad.bytes;
    EXPECT_NE(error.find(bad.error_part), std::string::npos) << bad.bytes << " -> " << error;
    EXPECT_EQ(error.rfind("ERR Protocol error: ", 0), 0u) << error;
  }
}

TEST(RespParser, OversizedRequestFailsBeforeItsBytesArrive) {
  RespParser parser(kLimits);
  size_t consumed = 0;
  // Five declared 1000-byte values exceed the 4096-byte request limit at the fifth header,
  // before the fifth value is sent.
  std::string headers = "*5\r\n$1000\r\n";
  EXPECT_EQ(parser.Parse(headers, &consumed), RespParser::Result::kNeedMore);
  std::string value(1000, 'x');
  std::string rest;
  for (int i = 0; i < 3; i++) {
    rest += value + "\r\n$1000\r\n";
  }
  rest += value + "\r\n$1000\r\n";
  EXPECT_EQ(parser.Parse(rest, &consumed), RespParser::Result::kError);
  EXPECT_NE(parser.error().find("request larger"), std::string::npos);
}

TEST(RespParser, ErrorStateSticks) {
  RespParser parser(kLimits);
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse("*x\r\n", &consumed), RespParser::Result::kError);
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.Parse("*1\r\n$4\r\nPING\r\n", &consumed), RespParser::Result::kError);
  EXPECT_EQ(consumed, 0u);
}

TEST(RespParser, HeaderAndInlineLinesAreBounded) {
  std::string error;
  ParseWhole("*" + std::string(40, '1'), &error);  // no CRLF yet, already too long
  EXPECT_NE(error.find("too big multibulk header"), std::string::npos);
  RespParser parser(ParserLimits{1 << 20, 16, 1 << 20});
  std::string line(64 * 1024, 'a');  // no newline within the inline limit
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse(line, &consumed), RespParser::Result::kError);
  EXPECT_NE(parser.error().find("too big inline request"), std::string::npos);
}

TEST(RespParser, PartialHeaderIsNotConsumed) {
  RespParser parser(kLimits);
  size_t consumed = 0;
  EXPECT_EQ(parser.Parse("*1\r\n$4", &consumed), RespParser::Result::kNeedMore);
  EXPECT_EQ(consumed, 4u);  // "*1\r\n" taken, "$4" left for the next call
  EXPECT_EQ(parser.Parse("$4\r\nPI", &consumed), RespParser::Result::kNeedMore);
  EXPECT_EQ(consumed, 6u);  // the partial bulk body is copied out
  EXPECT_EQ(parser.Parse("NG\r\n", &consumed), RespParser::Result::kCommand);
  EXPECT_EQ(parser.TakeCommand(), (std::vector<std::string>{"PING"}));
}

TEST(RespParser, RandomBytesNeverCrashAndStayBounded) {
  uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string alphabet = "*$\r\n0123456789-abc \t";
  for (int round = 0; round < 2000; round++) {
    RespParser parser(kLimits);
    std::string pending;
    for (int step = 0; step < 50 && !parser.failed(); step++) {
      size_t length = rng() % 16;
      for (size_t i = 0; i < length; i++) {
        pending.push_back(rng() % 4 == 0 ? static_cast<char>(rng())
                                         : alphabet[rng() % alphabet.size()]);
      }
      size_t consumed = 0;
      RespParser::Result result = parser.Parse(pending, &consumed);
      ASSERT_LE(consumed, pending.size());
      pending.erase(0, consumed);
      if (result == RespParser::Result::kCommand) {
        std::vector<std::string> command = parser.TakeCommand();
        ASSERT_LE(command.size(), kLimits.max_args);
      }
      // Unconsumed bytes are at most one header line or one inline line.
      ASSERT_LE(pending.size(), 64u * 1024 + 16);
    }
  }
}

TEST(ParseInt64, AcceptsOnlyCanonicalIntegersInRange) {
  long long v = 0;
  EXPECT_TRUE(ParseInt64("0", &v) && v == 0);
  EXPECT_TRUE(ParseInt64("-12", &v) && v == -12);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v) && v == INT64_MAX);
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v) && v == INT64_MIN);
  for (const char* bad : {"", "-", "-0", "01", "+1", " 1", "1 ", "9223372036854775808",
                          "-9223372036854775809", "1e3", "99999999999999999999"}) {
    EXPECT_FALSE(ParseInt64(bad, &v)) << bad;
  }
}

}  // namespace
}  // namespace cairn::server
