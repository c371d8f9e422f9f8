// Choosing compactions: leveled, by score (docs/design.md, "Compaction").
//
//   - level 0 scores (file count) / Options::l0_compaction_trigger; a level-0 compaction
//     takes every level-0 file (they overlap each other) and the level-1 files they overlap;
//   - level n >= 1 scores (bytes) / (Options::level1_size_bytes * multiplier^(n-1)); it takes
//     one file, round-robin through the level's key space, and the level n+1 files it overlaps.
// The highest score >= 1 wins. A single input that overlaps nothing below is moved, not
// rewritten (a "trivial move": only the manifest changes).
#ifndef CAIRN_JOBS_COMPACTION_PICKER_H_
#define CAIRN_JOBS_COMPACTION_PICKER_H_

#include <array>
#include <optional>
#include <string>

#include "cairn/options.h"
#include "manifest/version.h"

namespace cairn {

struct CompactionPlan {
  int level = 0;         // where the inputs come from
  int output_level = 1;  // where the outputs go: level + 1, or level for an in-place rewrite
  Version::Files inputs;       // from `level`
  Version::Files next_inputs;  // from `output_level`
  bool trivial_move = false;
  std::string reason;

  uint64_t InputBytes() const;
};

class CompactionPicker {
 public:
  explicit CompactionPicker(const Options& options) : options_(options) {}

  // The most urgent compaction, or nothing if every level is within its budget.
  std::optional<CompactionPlan> Pick(const Version& version);

  // Every file of `level` intersecting [begin, end] (null: unbounded) and what they overlap
  // below; nothing if the level has no such file. For DB::CompactRange. `in_place` (levels
  // >= 1 only) rewrites the files into the same level instead of the next one: how a manual
  // compaction cleans the deepest level that holds data.
  std::optional<CompactionPlan> PickRange(const Version& version, int level,
                                          const std::string_view* begin,
                                          const std::string_view* end, bool in_place) const;

  // 1.0 means "at its budget".
  double Score(const Version& version, int level) const;
  uint64_t MaxBytesForLevel(int level) const;

 private:
  void AddNextLevel(const Version& version, CompactionPlan* plan) const;

  const Options& options_;
  // Per level: the largest internal key of the last compaction's input, so successive
  // compactions walk the whole key space instead of always taking the same file.
  std::array<std::string, kNumLevels> compact_pointer_;
};

}  // namespace cairn

#endif  // CAIRN_JOBS_COMPACTION_PICKER_H_
