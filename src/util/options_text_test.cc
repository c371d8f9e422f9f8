// Proves that the options table (util/options_text.h) covers every field of Options, that
// every field's text reaches that field and formats back to the same text, that sizes take
// the documented units, and that every kind of bad input (unknown name, non-number, sign,
// trailing characters, bad unit, overflow, out of range, bad bool or enum name) is refused
// with a message naming the option and the value, leaving the options unchanged.
#include "util/options_text.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "testsupport/mem_env.h"

namespace cairn {
namespace {

// Every field set to a value different from its default, in canonical (formatted) form.
const char kEveryFieldChanged[] =
    "create_if_missing=false\n"
    "error_if_exists=true\n"
    "memtable_size_bytes=4KiB\n"
    "wal_recovery=salvage\n"
    "wal_recycle_files=0\n"
    "wal_preallocate_bytes=0\n"
    "wal_background_sync_bytes=3000\n"
    "block_size_bytes=4MiB\n"
    "bloom_bits_per_key=0\n"
    "compression=zstd\n"
    "block_cache_bytes=1GiB\n"
    "max_wal_size_bytes=1TiB\n"
    "max_memtable_memory_bytes=12KiB\n"
    "l0_compaction_trigger=1\n"
    "l0_slowdown_files=2\n"
    "l0_slowdown_full_files=3\n"
    "level1_size_bytes=1\n"
    "level_size_multiplier=2\n"
    "target_segment_size_bytes=5MiB\n";

TEST(OptionsText, EveryFieldSetFromTextReachesItsMember) {
  Options o;
  ASSERT_TRUE(ApplyOptionsText(kEveryFieldChanged, "test", &o).ok());
  EXPECT_EQ(o.env, nullptr);
  EXPECT_FALSE(o.create_if_missing);
  EXPECT_TRUE(o.error_if_exists);
  EXPECT_EQ(o.memtable_size_bytes, 4u << 10);
  EXPECT_EQ(o.wal_recovery, WalRecovery::kSalvage);
  EXPECT_EQ(o.wal_recycle_files, 0u);
  EXPECT_EQ(o.wal_preallocate_bytes, 0u);
  EXPECT_EQ(o.wal_background_sync_bytes, 3000u);
  EXPECT_EQ(o.block_size_bytes, 4u << 20);
  EXPECT_EQ(o.bloom_bits_per_key, 0);
  EXPECT_EQ(o.compression, Compression::kZstd);
  EXPECT_EQ(o.block_cache_bytes, 1u << 30);
  EXPECT_EQ(o.max_wal_size_bytes, uint64_t{1} << 40);
  EXPECT_EQ(o.max_memtable_memory_bytes, 12u << 10);
  EXPECT_EQ(o.l0_compaction_trigger, 1);
  EXPECT_EQ(o.l0_slowdown_files, 2);
  EXPECT_EQ(o.l0_slowdown_full_files, 3);
  EXPECT_EQ(o.level1_size_bytes, 1u);
  EXPECT_EQ(o.level_size_multiplier, 2);
  EXPECT_EQ(o.target_segment_size_bytes, 5u << 20);
  // ...and formats back to exactly the text it was read from.
  EXPECT_EQ(FormatOptions(o), kEveryFieldChanged);
}

TEST(OptionsText, FormattedDefaultsReadBackAsDefaults) {
  const std::string defaults = FormatOptions(Options());
  Options o;
  ASSERT_TRUE(ApplyOptionsText(kEveryFieldChanged, "test", &o).ok());
  ASSERT_NE(FormatOptions(o), defaults);
  ASSERT_TRUE(ApplyOptionsText(defaults, "defaults", &o).ok());
  EXPECT_EQ(FormatOptions(o), defaults);
}

TEST(OptionsText, EveryFieldIsFormattedOnceUnderItsOwnName) {
  const std::string text = FormatOptions(Options());
  std::set<std::string> names;
  size_t lines = 0;
  for (size_t begin = 0; begin < text.size(); lines++) {
    size_t end = text.find('\n', begin);
    std::string line = text.substr(begin, end - begin);
    std::string name = line.substr(0, line.find('='));
    EXPECT_NE(FindOptionField(name), nullptr) << line;
    names.insert(name);
    begin = end + 1;
  }
  EXPECT_EQ(lines, OptionFields().size());
  EXPECT_EQ(names.size(), OptionFields().size()) << "a name appears twice";
  // The kEveryFieldChanged text above must cover the whole table too.
  size_t changed_lines = 0;
  for (char c : std::string(kEveryFieldChanged)) changed_lines += c == '\n';
  EXPECT_EQ(changed_lines, OptionFields().size());
}

TEST(OptionsText, DescribedFormatIsConfigTextToo) {
  const std::string text = FormatOptions(Options(), /*describe=*/true);
  EXPECT_NE(text.find("# "), std::string::npos);
  Options o;
  ASSERT_TRUE(ApplyOptionsText(kEveryFieldChanged, "test", &o).ok());
  ASSERT_TRUE(ApplyOptionsText(text, "described", &o).ok());
  EXPECT_EQ(FormatOptions(o), FormatOptions(Options()));
}

TEST(OptionsText, SizesTakeBinaryUnits) {
  Options o;
  ASSERT_TRUE(SetOption("block_cache_bytes", "65536", &o).ok());
  EXPECT_EQ(o.block_cache_bytes, 65536u);
  ASSERT_TRUE(SetOption("block_cache_bytes", "4KiB", &o).ok());
  EXPECT_EQ(o.block_cache_bytes, 4096u);
  ASSERT_TRUE(SetOption("block_cache_bytes", "64MiB", &o).ok());
  EXPECT_EQ(o.block_cache_bytes, 64u << 20);
  ASSERT_TRUE(SetOption("block_cache_bytes", "3GiB", &o).ok());
  EXPECT_EQ(o.block_cache_bytes, size_t{3} << 30);
  ASSERT_TRUE(SetOption("max_wal_size_bytes", "2TiB", &o).ok());
  EXPECT_EQ(o.max_wal_size_bytes, uint64_t{2} << 40);
  ASSERT_TRUE(SetOption("block_cache_bytes", "0", &o).ok());
  EXPECT_EQ(o.block_cache_bytes, 0u);
}

TEST(OptionsText, SizesFormatInTheLargestExactUnit) {
  Options o;
  o.block_cache_bytes = 65536;
  o.max_wal_size_bytes = 1000;
  o.level1_size_bytes = (3u << 20) + 1024;
  std::string text = FormatOptions(o);
  EXPECT_NE(text.find("block_cache_bytes=64KiB\n"), std::string::npos) << text;
  EXPECT_NE(text.find("max_wal_size_bytes=1000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("level1_size_bytes=3073KiB\n"), std::string::npos) << text;
}

TEST(OptionsText, NameAndValueMayBeSurroundedByBlanks) {
  Options o;
  ASSERT_TRUE(ApplyOptionAssignment("  bloom_bits_per_key =\t12 ", &o).ok());
  EXPECT_EQ(o.bloom_bits_per_key, 12);
}

struct BadValue {
  const char* name;
  const char* value;
};

TEST(OptionsText, BadValuesAreRefusedNamingOptionAndValue) {
  const std::vector<BadValue> cases = {
      {"memtable_size_bytes", "abc"},                    // not a number
      {"memtable_size_bytes", ""},                       // empty
      {"memtable_size_bytes", "-1"},                     // sign
      {"wal_recycle_files", "+3"},                       // sign
      {"memtable_size_bytes", "64MB"},                   // not a binary unit
      {"memtable_size_bytes", "64mib"},                  // units are case-sensitive
      {"memtable_size_bytes", "64MiBx"},                 // trailing garbage after a unit
      {"memtable_size_bytes", "64 MiB"},                 // blank inside the value
      {"memtable_size_bytes", "MiB"},                    // a unit without a number
      {"wal_recycle_files", "3x"},                       // trailing garbage
      {"wal_recycle_files", "0x10"},                     // no base prefixes
      {"wal_recycle_files", "1e3"},                      // no exponents
      {"wal_recycle_files", "4KiB"},                     // counts take no units
      {"block_cache_bytes", "99999999999999999999999"},  // overflows 64 bits
      {"level1_size_bytes", "17179869184TiB"},           // overflows once scaled
      {"block_cache_bytes", "257TiB"},                   // above the 256 TiB ceiling
      {"memtable_size_bytes", "1KiB"},                   // below the 4 KiB floor
      {"block_size_bytes", "255"},                       // below the segment minimum
      {"block_size_bytes", "5MiB"},                      // above the segment maximum
      {"bloom_bits_per_key", "33"},                      // above the filter maximum
      {"l0_compaction_trigger", "0"},                    // at least 1
      {"l0_slowdown_files", "2147483648"},               // overflows int
      {"level_size_multiplier", "1"},                    // at least 2
      {"level1_size_bytes", "0"},                        // at least 1
      {"create_if_missing", "yes"},                      // bools are true or false
      {"create_if_missing", "1"},                        //
      {"compression", "snappy"},                         // not an enum name
      {"compression", "LZ4"},                            // enum names are lower case
      {"wal_recovery", "strict!"},                       // trailing garbage on a name
  };
  for (const BadValue& c : cases) {
    Options o;
    const std::string before = FormatOptions(o);
    Status s = SetOption(c.name, c.value, &o);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.name << "=" << c.value << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.name), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("\"" + std::string(c.value) + "\""), std::string::npos)
        << s.ToString();
    EXPECT_EQ(FormatOptions(o), before) << "a refused value changed the options";
  }
}

TEST(OptionsText, OutOfRangeMessageStatesTheRange) {
  Options o;
  Status s = SetOption("bloom_bits_per_key", "40", &o);
  EXPECT_NE(s.message().find("[0, 32]"), std::string::npos) << s.ToString();
  s = SetOption("block_size_bytes", "1", &o);
  EXPECT_NE(s.message().find("[256, 4MiB]"), std::string::npos) << s.ToString();
}

TEST(OptionsText, UnknownNameIsRefusedNamingIt) {
  Options o;
  Status s = ApplyOptionAssignment("memtable_size=1MiB", &o);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("\"memtable_size\""), std::string::npos) << s.ToString();
  s = ApplyOptionAssignment("env=0", &o);  // a pointer: not settable from text
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("\"env\""), std::string::npos) << s.ToString();
}

TEST(OptionsText, AssignmentWithoutEqualsIsRefused) {
  Options o;
  Status s = ApplyOptionAssignment("memtable_size_bytes", &o);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("\"memtable_size_bytes\""), std::string::npos) << s.ToString();
}

TEST(OptionsText, ConfigTextSkipsCommentsAndBlankLinesAndLaterLinesWin) {
  Options o;
  ASSERT_TRUE(ApplyOptionsText("# a comment\n"
                               "\n"
                               "   \t\n"
                               "  # an indented comment\n"
                               "bloom_bits_per_key=7\r\n"
                               "compression = none\n"
                               "bloom_bits_per_key=9",  // no final newline
                               "test", &o)
                  .ok());
  EXPECT_EQ(o.bloom_bits_per_key, 9);
  EXPECT_EQ(o.compression, Compression::kNone);
}

TEST(OptionsText, ConfigTextErrorNamesSourceAndLine) {
  Options o;
  Status s =
      ApplyOptionsText("# ok\nbloom_bits_per_key=7\nblock_cache_bytes=lots\n", "my.conf", &o);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message().rfind("my.conf:3: ", 0), 0u) << s.ToString();
  EXPECT_NE(s.message().find("block_cache_bytes"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("\"lots\""), std::string::npos) << s.ToString();
}

Status WriteFile(Env* env, const std::string& path, const std::string& data) {
  Result<std::unique_ptr<WritableFile>> file = env->NewWritableFile(path);
  CAIRN_RETURN_IF_ERROR(file.status());
  CAIRN_RETURN_IF_ERROR(file.value()->Append(data));
  return file.value()->Close();
}

TEST(OptionsText, ReadOptionsFileAppliesTheFile) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  ASSERT_TRUE(WriteFile(&env, "/d/cairn.conf", "memtable_size_bytes=1MiB\n").ok());
  Options o;
  ASSERT_TRUE(ReadOptionsFile(&env, "/d/cairn.conf", &o).ok());
  EXPECT_EQ(o.memtable_size_bytes, 1u << 20);
}

TEST(OptionsText, ReadOptionsFileRefusesMissingAndOversizedFiles) {
  MemEnv env;
  ASSERT_TRUE(env.CreateDir("/d").ok());
  Options o;
  EXPECT_FALSE(ReadOptionsFile(&env, "/d/missing.conf", &o).ok());
  ASSERT_TRUE(WriteFile(&env, "/d/big.conf", std::string(kMaxOptionsFileBytes + 1, '#')).ok());
  Status s = ReadOptionsFile(&env, "/d/big.conf", &o);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  ASSERT_TRUE(WriteFile(&env, "/d/bad.conf", "\ncompression=brotli\n").ok());
  s = ReadOptionsFile(&env, "/d/bad.conf", &o);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_NE(s.message().find("/d/bad.conf:2: "), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace cairn
