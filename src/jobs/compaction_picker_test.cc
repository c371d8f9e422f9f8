// Proves that CompactionPicker chooses exactly the compactions docs/design.md ("Compaction")
// describes: which level wins (scores, the >= 1 threshold, ties, the last level never
// compacts), which files it takes (all of level 0; one file of a deeper level, round-robin),
// what it adds from the level below, when a plan is a trivial move, and what a manual range
// compaction (PickRange) takes. Each row of a table is a version (segments by level, key
// range and size) and options, with the plan expected; versions are built by VersionBuilder
// without segment files, since the picker reads only the manifest's metadata.
#include "jobs/compaction_picker.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "util/internal_key.h"

namespace cairn {
namespace {

struct SegmentSpec {
  int level;
  uint64_t number;
  std::string smallest;  // user keys
  std::string largest;
  uint64_t size_bytes = 1;
};

std::shared_ptr<Version> MakeVersion(const std::vector<SegmentSpec>& specs) {
  VersionEdit edit;
  for (const SegmentSpec& spec : specs) {
    SegmentMeta meta;
    meta.number = spec.number;
    meta.level = static_cast<uint32_t>(spec.level);
    meta.file_size_bytes = spec.size_bytes;
    AppendInternalKey(&meta.smallest, spec.smallest, 100, ValueKind::kPut);
    AppendInternalKey(&meta.largest, spec.largest, 1, ValueKind::kPut);
    meta.min_seq = 1;
    meta.max_seq = 100;
    meta.entry_count = 1;
    edit.added_segments.push_back(meta);
  }
  VersionBuilder builder(nullptr);
  EXPECT_TRUE(builder.Apply(edit).ok());
  auto built = builder.Build([](const SegmentMeta&) -> Result<std::shared_ptr<Segment>> {
    return std::shared_ptr<Segment>();  // the picker never opens a segment
  });
  EXPECT_TRUE(built.ok()) << built.status().ToString();
  return built.ok() ? std::move(built).value() : std::make_shared<Version>();
}

std::vector<uint64_t> Numbers(const Version::Files& files) {
  std::vector<uint64_t> numbers;
  for (const auto& file : files) numbers.push_back(file->meta.number);
  return numbers;
}

Options SmallOptions(int l0_trigger = 4, uint64_t level1_bytes = 100, int multiplier = 10) {
  Options options;
  options.l0_compaction_trigger = l0_trigger;
  options.level1_size_bytes = level1_bytes;
  options.level_size_multiplier = multiplier;
  return options;
}

// The plan a test expects; `level == -1` means "no compaction".
struct ExpectedPlan {
  int level;
  int output_level = 0;
  std::vector<uint64_t> inputs = {};
  std::vector<uint64_t> next_inputs = {};
  bool trivial_move = false;
  std::string reason_prefix = "";
};

void ExpectPlan(const std::optional<CompactionPlan>& plan, const ExpectedPlan& expected) {
  if (expected.level < 0) {
    EXPECT_FALSE(plan.has_value()) << "unexpected plan: " << plan->reason;
    return;
  }
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->level, expected.level);
  EXPECT_EQ(plan->output_level, expected.output_level);
  EXPECT_EQ(Numbers(plan->inputs), expected.inputs);
  EXPECT_EQ(Numbers(plan->next_inputs), expected.next_inputs);
  EXPECT_EQ(plan->trivial_move, expected.trivial_move);
  EXPECT_EQ(plan->reason.rfind(expected.reason_prefix, 0), 0u) << plan->reason;
}

struct PickCase {
  const char* name;
  Options options;
  std::vector<SegmentSpec> segments;
  ExpectedPlan expected;
};

TEST(CompactionPicker, PickChoosesTheMostUrgentLevelAndItsInputs) {
  const std::vector<PickCase> cases = {
      {"an empty version needs nothing", SmallOptions(), {}, {-1}},
      {"level 0 below its trigger needs nothing",
       SmallOptions(4),
       {{0, 1, "a", "z"}, {0, 2, "a", "z"}, {0, 3, "a", "z"}},
       {-1}},
      {"level 0 at its trigger takes every level-0 file, oldest first, and what they overlap",
       SmallOptions(4),
       {{0, 4, "c", "d"},
        {0, 2, "a", "b"},
        {0, 3, "e", "f"},
        {0, 1, "b", "c"},
        {1, 10, "a", "a"},
        {1, 11, "d", "e"},
        {1, 12, "g", "h"}},
       {0, 1, {1, 2, 3, 4}, {10, 11}, false, "level 0 score 1.0"}},
      {"a single level-0 file overlapping nothing below is a trivial move",
       SmallOptions(1),
       {{0, 1, "m", "n"}, {1, 10, "a", "b"}},
       {0, 1, {1}, {}, true, "level 0 score 1.0"}},
      {"a single level-0 file overlapping level 1 is rewritten",
       SmallOptions(1),
       {{0, 1, "a", "c"}, {1, 10, "b", "b"}},
       {0, 1, {1}, {10}, false}},
      {"a trigger of 0 counts as 1", SmallOptions(0), {{0, 1, "a", "b"}}, {0, 1, {1}, {}, true}},
      {"level 1 exactly at its budget compacts (score >= 1)",
       SmallOptions(4, 100),
       {{1, 10, "a", "b", 60}, {1, 11, "c", "d", 40}, {2, 20, "b", "c"}},
       {1, 2, {10}, {20}, false, "level 1 score 1.0"}},
      {"level 1 just under its budget needs nothing",
       SmallOptions(4, 100),
       {{1, 10, "a", "b", 60}, {1, 11, "c", "d", 39}},
       {-1}},
      {"the higher score wins: level 1 at 3 over level 0 at 1.25",
       SmallOptions(4, 100),
       {{0, 1, "a", "b"},
        {0, 2, "a", "b"},
        {0, 3, "a", "b"},
        {0, 4, "a", "b"},
        {0, 5, "a", "b"},
        {1, 10, "a", "b", 300}},
       {1, 2, {10}, {}, true, "level 1 score 3.0"}},
      {"the higher score wins: level 0 at 2 over level 1 at 1.5",
       SmallOptions(2, 100),
       {{0, 1, "a", "b"},
        {0, 2, "x", "y"},
        {0, 3, "a", "b"},
        {0, 4, "a", "b"},
        {1, 10, "a", "b", 150}},
       {0, 1, {1, 2, 3, 4}, {10}, false, "level 0 score 2.0"}},
      {"a tie goes to the deeper level",
       SmallOptions(2, 100),
       {{0, 1, "a", "b"}, {0, 2, "a", "b"}, {1, 10, "a", "b", 100}},
       {1, 2, {10}, {}, true, "level 1 score 1.0"}},
      {"level 2's budget is level 1's times the multiplier",
       SmallOptions(4, 100, 10),
       {{2, 20, "a", "b", 999}},
       {-1}},
      {"level 2 over level 1's times the multiplier compacts into level 3",
       SmallOptions(4, 100, 10),
       {{2, 20, "a", "b", 1000}, {3, 30, "a", "a"}, {3, 31, "c", "d"}},
       {2, 3, {20}, {30}, false, "level 2 score 1.0"}},
      {"a multiplier below 2 counts as 2",
       SmallOptions(4, 100, 1),
       {{2, 20, "a", "b", 200}},
       {2, 3, {20}, {}, true}},
      {"the last level never compacts, however large",
       SmallOptions(4, 1),
       {{kNumLevels - 1, 60, "a", "b", 1u << 30}},
       {-1}},
      {"the next level's overlap is by user key, inclusive at both ends",
       SmallOptions(4, 100),
       {{1, 10, "c", "f", 200},
        {2, 20, "a", "c"},
        {2, 21, "d", "e"},
        {2, 22, "f", "g"},
        {2, 23, "h", "i"}},
       {1, 2, {10}, {20, 21, 22}, false}},
  };
  for (const PickCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::shared_ptr<Version> version = MakeVersion(c.segments);
    CompactionPicker picker(c.options);
    ExpectPlan(picker.Pick(*version), c.expected);
  }
}

// Successive picks of one level walk its files by key, each past the previous pick's largest
// key, and wrap around to the first after the last.
TEST(CompactionPicker, PickWalksALevelRoundRobinAndWraps) {
  Options options = SmallOptions(4, 100);
  std::shared_ptr<Version> version =
      MakeVersion({{1, 12, "e", "f", 100}, {1, 10, "a", "b", 100}, {1, 11, "c", "d", 100}});
  CompactionPicker picker(options);
  const std::vector<uint64_t> expected_order = {10, 11, 12, 10, 11};
  for (uint64_t expected : expected_order) {
    std::optional<CompactionPlan> plan = picker.Pick(*version);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(Numbers(plan->inputs), std::vector<uint64_t>{expected});
  }
}

// The pointer is per level: picking level 2 does not move level 1's place.
TEST(CompactionPicker, RoundRobinPointerIsPerLevel) {
  Options options = SmallOptions(4, 100, 2);
  std::shared_ptr<Version> level1 = MakeVersion({{1, 10, "a", "b", 100}, {1, 11, "c", "d", 100}});
  std::shared_ptr<Version> level2 = MakeVersion({{2, 20, "a", "b", 500}, {2, 21, "c", "d", 500}});
  CompactionPicker picker(options);
  EXPECT_EQ(Numbers(picker.Pick(*level1)->inputs), std::vector<uint64_t>{10});
  EXPECT_EQ(Numbers(picker.Pick(*level2)->inputs), std::vector<uint64_t>{20});
  EXPECT_EQ(Numbers(picker.Pick(*level1)->inputs), std::vector<uint64_t>{11});
  EXPECT_EQ(Numbers(picker.Pick(*level2)->inputs), std::vector<uint64_t>{21});
}

TEST(CompactionPicker, BudgetsAndScoresFollowTheOptions) {
  struct Row {
    uint64_t level1_bytes;
    int multiplier;
    int level;
    uint64_t expected_max_bytes;
  };
  const std::vector<Row> rows = {
      {100, 10, 1, 100}, {100, 10, 2, 1000}, {100, 10, 3, 10000}, {100, 1, 2, 200},
      {100, 1, 3, 400},  {100, 0, 2, 200},   {100, 3, 4, 2700},   {7, 2, 1, 7},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE("level " + std::to_string(row.level) + " multiplier " +
                 std::to_string(row.multiplier));
    Options options = SmallOptions(4, row.level1_bytes, row.multiplier);
    CompactionPicker picker(options);
    EXPECT_EQ(picker.MaxBytesForLevel(row.level), row.expected_max_bytes);
  }

  Options options = SmallOptions(4, 100, 10);
  CompactionPicker picker(options);
  std::shared_ptr<Version> version = MakeVersion({{0, 1, "a", "b"},
                                                  {0, 2, "a", "b"},
                                                  {0, 3, "a", "b"},
                                                  {1, 10, "a", "b", 30},
                                                  {1, 11, "c", "d", 20},
                                                  {2, 20, "a", "b", 2500}});
  EXPECT_DOUBLE_EQ(picker.Score(*version, 0), 0.75);  // 3 files / trigger 4
  EXPECT_DOUBLE_EQ(picker.Score(*version, 1), 0.5);   // 50 bytes / 100
  EXPECT_DOUBLE_EQ(picker.Score(*version, 2), 2.5);   // 2500 bytes / 1000
  EXPECT_DOUBLE_EQ(picker.Score(*version, 3), 0.0);   // empty
}

struct RangeCase {
  const char* name;
  int level;
  std::optional<std::string> begin;  // nullopt: unbounded
  std::optional<std::string> end;
  bool in_place;
  ExpectedPlan expected;
};

TEST(CompactionPicker, PickRangeTakesTheFilesOfTheRangeAndWhatTheyOverlap) {
  std::shared_ptr<Version> version = MakeVersion({{0, 1, "a", "b"},
                                                  {0, 2, "x", "y"},
                                                  {1, 10, "a", "c"},
                                                  {1, 11, "e", "g"},
                                                  {1, 12, "m", "p"},
                                                  {2, 20, "b", "f"},
                                                  {2, 21, "q", "r"}});
  const std::vector<RangeCase> cases = {
      {"level 1, one file's range, with its overlap below",
       1,
       "e",
       "f",
       false,
       {1, 2, {11}, {20}, false, "manual compaction of level 1"}},
      {"level 1, a range spanning two files",
       1,
       "b",
       "e",
       false,
       {1, 2, {10, 11}, {20}, false, "manual compaction of level 1"}},
      {"level 1, a single file overlapping nothing below is a trivial move",
       1,
       "n",
       "n",
       false,
       {1, 2, {12}, {}, true}},
      {"level 1, unbounded on both sides takes the whole level",
       1,
       std::nullopt,
       std::nullopt,
       false,
       {1, 2, {10, 11, 12}, {20}, false}},
      {"level 1, unbounded below", 1, std::nullopt, "d", false, {1, 2, {10}, {20}, false}},
      {"level 1, unbounded above", 1, "h", std::nullopt, false, {1, 2, {12}, {}, true}},
      {"level 1, a range between files takes nothing", 1, "h", "l", false, {-1}},
      {"level 0, a range touching one file takes every level-0 file",
       0,
       "x",
       "x",
       false,
       {0, 1, {1, 2}, {10, 11, 12}, false, "manual compaction of level 0"}},
      {"level 0, a range touching no file takes nothing", 0, "m", "n", false, {-1}},
      {"in place: outputs stay in the level, nothing below is read",
       2,
       std::nullopt,
       std::nullopt,
       true,
       {2, 2, {20, 21}, {}, false, "manual rewrite of level 2"}},
      {"in place, even a single file is rewritten, never moved",
       1,
       "n",
       "n",
       true,
       {1, 1, {12}, {}, false, "manual rewrite of level 1"}},
      {"an empty level takes nothing", 3, std::nullopt, std::nullopt, false, {-1}},
  };
  Options options = SmallOptions();
  CompactionPicker picker(options);
  for (const RangeCase& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string begin_key = c.begin.value_or("");
    const std::string end_key = c.end.value_or("");
    std::string_view begin = begin_key;
    std::string_view end = end_key;
    ExpectPlan(picker.PickRange(*version, c.level, c.begin ? &begin : nullptr,
                                c.end ? &end : nullptr, c.in_place),
               c.expected);
  }
}

TEST(CompactionPicker, InputBytesCountsBothLevels) {
  std::shared_ptr<Version> version =
      MakeVersion({{1, 10, "a", "c", 150}, {2, 20, "a", "b", 7}, {2, 21, "c", "d", 11}});
  Options options = SmallOptions(4, 100);
  CompactionPicker picker(options);
  std::optional<CompactionPlan> plan = picker.Pick(*version);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->InputBytes(), 150u + 7u + 11u);
}

}  // namespace
}  // namespace cairn
