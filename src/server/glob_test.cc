// Proves GlobMatch follows Redis' glob rules (*, ?, sets, ranges, negation, escapes) and stays
// fast on patterns that make naive backtracking exponential.
#include "server/glob.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cairn::server {
namespace {

TEST(GlobMatch, RedisRules) {
  struct Case {
    const char* pattern;
    const char* text;
    bool match;
  };
  const Case cases[] = {
      {"*", "", true},          {"*", "anything", true},    {"h?llo", "hello", true},
      {"h?llo", "hllo", false}, {"h*llo", "heeeello", true}, {"h*llo", "hello!", false},
      {"h[ae]llo", "hallo", true}, {"h[ae]llo", "hillo", false}, {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false}, {"h[a-b]llo", "hbllo", true}, {"h[b-a]llo", "hallo", true},
      {"h[a-b]llo", "hcllo", false}, {"h\\*llo", "h*llo", true}, {"h\\*llo", "hello", false},
      {"user:*:name", "user:42:name", true}, {"user:*:name", "user:42:mail", false},
      {"*a*b*", "xxaxxbxx", true}, {"[\\]]", "]", true},  {"abc", "abc", true},
      {"abc", "abcd", false},   {"", "", true},             {"", "a", false},
      {"a**", "a", true},       {"\\", "\\", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match) << c.pattern << " vs " << c.text;
  }
}

TEST(GlobMatch, MatchesBytesNotCharacters) {
  EXPECT_TRUE(GlobMatch("a?c", std::string("a\0c", 3)));
  EXPECT_TRUE(GlobMatch("[\x80-\xff]", "\xc3"));
}

TEST(GlobMatch, PathologicalPatternStaysFast) {
  std::string pattern;
  for (int i = 0; i < 30; i++) {
    pattern += "*a";
  }
  pattern += "b";
  std::string text(5000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(GlobMatch(pattern, text));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace cairn::server
