// GarbageFilter: which versions a flush or compaction may leave out of its output.
//
// Fed every entry of the output stream in internal-key order, it drops:
//   1. a version hidden by a newer version of the same key that every reader can see (the
//      newer one's sequence is at or below the oldest snapshot);
//   2. a deletion that every reader can see, when nothing older of that key can exist below
//      the output (the caller answers that per key), since it then hides nothing.
// Snapshots newer than the oldest keep every version they might read.
#ifndef CAIRN_JOBS_GARBAGE_FILTER_H_
#define CAIRN_JOBS_GARBAGE_FILTER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace cairn {

class GarbageFilter {
 public:
  // `nothing_below(user_key)` is true when no older version of the key can exist under the
  // output; null means "never" (flush: older data may be anywhere).
  GarbageFilter(uint64_t oldest_snapshot, std::function<bool(std::string_view)> nothing_below)
      : oldest_snapshot_(oldest_snapshot), nothing_below_(std::move(nothing_below)) {}

  bool ShouldDrop(std::string_view internal_key);

  uint64_t dropped_versions() const { return dropped_versions_; }
  uint64_t dropped_deletions() const { return dropped_deletions_; }

 private:
  const uint64_t oldest_snapshot_;
  const std::function<bool(std::string_view)> nothing_below_;
  std::string current_user_key_;
  bool have_current_ = false;
  uint64_t newer_sequence_ = 0;  // sequence of the previous (newer) version of the current key
  uint64_t dropped_versions_ = 0;
  uint64_t dropped_deletions_ = 0;
};

}  // namespace cairn

#endif  // CAIRN_JOBS_GARBAGE_FILTER_H_
