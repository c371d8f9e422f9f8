#include "jobs/compaction_picker.h"

#include <algorithm>
#include <cassert>

#include "util/internal_key.h"

namespace cairn {

uint64_t CompactionPlan::InputBytes() const {
  uint64_t bytes = 0;
  for (const auto& file : inputs) bytes += file->meta.file_size_bytes;
  for (const auto& file : next_inputs) bytes += file->meta.file_size_bytes;
  return bytes;
}

uint64_t CompactionPicker::MaxBytesForLevel(int level) const {
  uint64_t bytes = options_.level1_size_bytes;
  for (int l = 1; l < level; l++) {
    bytes *= static_cast<uint64_t>(std::max(2, options_.level_size_multiplier));
  }
  return bytes;
}

double CompactionPicker::Score(const Version& version, int level) const {
  if (level == 0) {
    return static_cast<double>(version.files(0).size()) /
           std::max(1, options_.l0_compaction_trigger);
  }
  return static_cast<double>(version.LevelBytes(level)) /
         static_cast<double>(MaxBytesForLevel(level));
}

void CompactionPicker::AddNextLevel(const Version& version, CompactionPlan* plan) const {
  std::string_view smallest = plan->inputs.front()->smallest_user_key();
  std::string_view largest = plan->inputs.front()->largest_user_key();
  for (const auto& file : plan->inputs) {
    smallest = std::min(smallest, file->smallest_user_key());
    largest = std::max(largest, file->largest_user_key());
  }
  plan->next_inputs = version.Overlapping(plan->output_level, smallest, largest);
  plan->trivial_move = plan->inputs.size() == 1 && plan->next_inputs.empty();
}

std::optional<CompactionPlan> CompactionPicker::Pick(const Version& version) {
  int best_level = -1;
  double best_score = 1.0;
  for (int level = 0; level < kNumLevels - 1; level++) {
    double score = Score(version, level);
    if (score >= best_score && !version.files(level).empty()) {
      best_score = score;
      best_level = level;
    }
  }
  if (best_level < 0) {
    return std::nullopt;
  }
  CompactionPlan plan;
  plan.level = best_level;
  plan.output_level = best_level + 1;
  plan.reason = "level " + std::to_string(best_level) + " score " + std::to_string(best_score);
  const Version::Files& files = version.files(best_level);
  if (best_level == 0) {
    plan.inputs = files;
  } else {
    // Round-robin: the first file past the previous compaction's end, wrapping around.
    const std::string& pointer = compact_pointer_[static_cast<size_t>(best_level)];
    auto next = std::find_if(files.begin(), files.end(), [&](const auto& file) {
      return pointer.empty() || CompareInternalKeys(file->meta.largest, pointer) > 0;
    });
    plan.inputs.push_back(next == files.end() ? files.front() : *next);
    compact_pointer_[static_cast<size_t>(best_level)] = plan.inputs.front()->meta.largest;
  }
  AddNextLevel(version, &plan);
  return plan;
}

std::optional<CompactionPlan> CompactionPicker::PickRange(const Version& version, int level,
                                                          const std::string_view* begin,
                                                          const std::string_view* end,
                                                          bool in_place) const {
  assert(!in_place || level >= 1);
  assert(in_place || level < kNumLevels - 1);
  CompactionPlan plan;
  plan.level = level;
  plan.output_level = in_place ? level : level + 1;
  plan.reason = "manual compaction of level " + std::to_string(level);
  plan.inputs = version.Overlapping(level, begin != nullptr ? *begin : std::string_view(),
                                    end != nullptr ? *end : std::string_view(), begin == nullptr,
                                    end == nullptr);
  if (plan.inputs.empty()) {
    return std::nullopt;
  }
  if (level == 0) {
    plan.inputs = version.files(0);  // level-0 files overlap: take them all, oldest first
  }
  if (in_place) {
    plan.reason = "manual rewrite of level " + std::to_string(level);
    return plan;  // outputs replace the inputs within their level, which stays disjoint
  }
  AddNextLevel(version, &plan);
  return plan;
}

}  // namespace cairn
