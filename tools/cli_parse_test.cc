// Proves that the `cairn` program's input parsers (tools/cli_parse.h) read `cairn load` lines
// and `cairn shell` lines as the README documents, including the edge cases the program has
// always had (TABs inside values, empty values, a scan limit that is not a number). The
// fuzz target fuzz/cli_fuzz.cc checks the same rules on arbitrary input.
#include "cli_parse.h"

#include <gtest/gtest.h>

namespace cairn::cli {
namespace {

using Kind = ShellCommand::Kind;

TEST(CliParse, LoadLineSplitsAtTheFirstTab) {
  LoadLine line;
  ASSERT_TRUE(ParseLoadLine("key\tvalue\twith\ttabs", &line));
  EXPECT_EQ(line.key, "key");
  EXPECT_EQ(line.value, "value\twith\ttabs");
  ASSERT_TRUE(ParseLoadLine("k\t", &line));
  EXPECT_EQ(line.key, "k");
  EXPECT_EQ(line.value, "");
}

TEST(CliParse, LoadLineWithoutTabOrWithoutKeyIsRejected) {
  LoadLine line;
  EXPECT_FALSE(ParseLoadLine("no tab here", &line));
  EXPECT_FALSE(ParseLoadLine("\tvalue without key", &line));
  EXPECT_FALSE(ParseLoadLine("", &line));
}

TEST(CliParse, ShellPutValueIsTheRestOfTheLine) {
  ShellCommand c = ParseShellLine("  put \t key   two  words ");
  EXPECT_EQ(c.kind, Kind::kPut);
  EXPECT_EQ(c.key, "key");
  EXPECT_EQ(c.value, "two  words ");
  c = ParseShellLine("put key");
  EXPECT_EQ(c.kind, Kind::kPut);
  EXPECT_EQ(c.value, "");
}

TEST(CliParse, ShellCommandsWithoutTheirKeyAreHelp) {
  EXPECT_EQ(ParseShellLine("put").kind, Kind::kHelp);
  EXPECT_EQ(ParseShellLine("get   ").kind, Kind::kHelp);
  EXPECT_EQ(ParseShellLine("del").kind, Kind::kHelp);
  EXPECT_EQ(ParseShellLine("frobnicate x").kind, Kind::kHelp);
  EXPECT_EQ(ParseShellLine("get k").kind, Kind::kGet);
  EXPECT_EQ(ParseShellLine("del k").key, "k");
}

TEST(CliParse, ShellScanTakesFromToAndLimit) {
  ShellCommand c = ParseShellLine("scan");
  EXPECT_EQ(c.kind, Kind::kScan);
  EXPECT_EQ(c.range.from, "");
  EXPECT_EQ(c.range.limit, kShellScanDefaultLimit);
  c = ParseShellLine("scan a z 5");
  EXPECT_EQ(c.range.from, "a");
  EXPECT_EQ(c.range.to, "z");
  EXPECT_EQ(c.range.limit, 5u);
  // A limit that is not a number reads as 0, which means "no limit" (stream extraction).
  EXPECT_EQ(ParseShellLine("scan a z many").range.limit, 0u);
}

TEST(CliParse, ShellBlankLinesAndQuit) {
  EXPECT_EQ(ParseShellLine("").kind, Kind::kEmpty);
  EXPECT_EQ(ParseShellLine(" \t ").kind, Kind::kEmpty);
  EXPECT_EQ(ParseShellLine("quit").kind, Kind::kQuit);
  EXPECT_EQ(ParseShellLine("exit now").kind, Kind::kQuit);
  EXPECT_EQ(ParseShellLine("stats").kind, Kind::kStats);
}

}  // namespace
}  // namespace cairn::cli
