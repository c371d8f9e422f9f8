// Proves that GarbageFilter drops exactly what its two rules allow and nothing else: a
// version shadowed by a newer one every reader sees (rule 1), and a deletion every reader
// sees that hides nothing below the output (rule 2). Each row is an oldest snapshot, the
// keys with nothing below them (or none at all, as in a flush), and a stream of entries in
// internal-key order with the decision expected for each; the counters must agree.
#include "jobs/garbage_filter.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "util/internal_key.h"

namespace cairn {
namespace {

constexpr ValueKind kPut = ValueKind::kPut;
constexpr ValueKind kDel = ValueKind::kDelete;

struct Entry {
  std::string user_key;
  uint64_t sequence;
  ValueKind kind;
  bool dropped;  // expected
};

struct FilterCase {
  const char* name;
  uint64_t oldest_snapshot;
  // Keys with no older version below the output; nullopt: the filter gets no predicate.
  std::optional<std::set<std::string>> nothing_below;
  std::vector<Entry> entries;  // internal-key order: by key, newest first
  uint64_t dropped_versions;
  uint64_t dropped_deletions;
};

TEST(GarbageFilter, DropsOnlyWhatNoReaderCanSee) {
  const std::set<std::string> nothing_below_a = {"a"};
  const std::set<std::string> nothing_below_none = {};
  const std::vector<FilterCase> cases = {
      {"a single version is kept", 10, nothing_below_a, {{"a", 5, kPut, false}}, 0, 0},
      {"rule 1: a version under a newer one every reader sees is dropped",
       10,
       std::nullopt,
       {{"a", 7, kPut, false}, {"a", 5, kPut, true}, {"a", 3, kPut, true}},
       2,
       0},
      {"rule 1: a newer version at exactly the oldest snapshot hides the older",
       7,
       std::nullopt,
       {{"a", 7, kPut, false}, {"a", 5, kPut, true}},
       1,
       0},
      {"rule 1: a newer version above the oldest snapshot keeps the older for that snapshot",
       6,
       std::nullopt,
       {{"a", 7, kPut, false}, {"a", 5, kPut, false}},
       0,
       0},
      {"rule 1: only versions under the newest one visible to every reader go",
       5,
       std::nullopt,
       {{"a", 9, kPut, false}, {"a", 4, kPut, false}, {"a", 2, kPut, true}, {"a", 1, kDel, true}},
       2,
       0},
      {"versions of different keys never hide each other",
       10,
       std::nullopt,
       {{"a", 3, kPut, false}, {"b", 2, kPut, false}, {"c", 1, kPut, false}},
       0,
       0},
      {"rule 2: a visible deletion with nothing below is dropped, and what it shadows too",
       10,
       nothing_below_a,
       {{"a", 8, kDel, true}, {"a", 4, kPut, true}},
       1,
       1},
      {"rule 2: a deletion at exactly the oldest snapshot counts as visible",
       8,
       nothing_below_a,
       {{"a", 8, kDel, true}},
       0,
       1},
      {"rule 2: a deletion newer than the oldest snapshot is kept",
       7,
       nothing_below_a,
       {{"a", 8, kDel, false}, {"a", 4, kPut, false}},
       0,
       0},
      {"rule 2: a deletion that may hide a version below the output is kept",
       10,
       nothing_below_none,
       {{"a", 8, kDel, false}, {"a", 4, kPut, true}},
       1,
       0},
      {"rule 2: without a predicate (a flush) every deletion is kept",
       10,
       std::nullopt,
       {{"a", 8, kDel, false}},
       0,
       0},
      {"rule 2: the predicate is asked per key",
       10,
       nothing_below_a,
       {{"a", 8, kDel, true}, {"b", 7, kDel, false}},
       0,
       1},
      {"rule 2: a visible deletion under an invisible newer version is still dropped",
       5,
       nothing_below_a,
       {{"a", 9, kPut, false}, {"a", 4, kDel, true}, {"a", 2, kPut, true}},
       1,
       1},
      {"rule 1 before rule 2: a shadowed deletion counts as a dropped version",
       10,
       nothing_below_a,
       {{"a", 9, kPut, false}, {"a", 4, kDel, true}},
       1,
       0},
      {"a put is never dropped by rule 2", 10, nothing_below_a, {{"a", 4, kPut, false}}, 0, 0},
      {"an oldest snapshot of 0 (no sequence is visible to every reader) keeps everything",
       0,
       nothing_below_a,
       {{"a", 3, kDel, false}, {"a", 2, kPut, false}, {"b", 1, kPut, false}},
       0,
       0},
  };
  for (const FilterCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::function<bool(std::string_view)> predicate;
    if (c.nothing_below.has_value()) {
      const std::set<std::string>& keys = *c.nothing_below;
      predicate = [&keys](std::string_view user_key) {
        return keys.count(std::string(user_key)) != 0;
      };
    }
    GarbageFilter filter(c.oldest_snapshot, predicate);
    for (const Entry& entry : c.entries) {
      std::string internal_key;
      AppendInternalKey(&internal_key, entry.user_key, entry.sequence, entry.kind);
      EXPECT_EQ(filter.ShouldDrop(internal_key), entry.dropped)
          << entry.user_key << "@" << entry.sequence;
    }
    EXPECT_EQ(filter.dropped_versions(), c.dropped_versions);
    EXPECT_EQ(filter.dropped_deletions(), c.dropped_deletions);
  }
}

}  // namespace
}  // namespace cairn
