#include "jobs/garbage_filter.h"

#include "util/internal_key.h"

namespace cairn {

bool GarbageFilter::ShouldDrop(std::string_view internal_key) {
  std::string_view user_key = ExtractUserKey(internal_key);
  uint64_t sequence = ExtractSequence(internal_key);
  bool first_of_key = !have_current_ || user_key != current_user_key_;
  if (first_of_key) {
    current_user_key_.assign(user_key);
    have_current_ = true;
  }
  bool drop = false;
  if (!first_of_key && newer_sequence_ <= oldest_snapshot_) {
    drop = true;  // rule 1: a newer version is visible to every reader
    dropped_versions_++;
  } else if (ExtractKind(internal_key) == ValueKind::kDelete && sequence <= oldest_snapshot_ &&
             nothing_below_ != nullptr && nothing_below_(user_key)) {
    drop = true;  // rule 2: a deletion that hides nothing
    dropped_deletions_++;
  }
  newer_sequence_ = sequence;
  return drop;
}

}  // namespace cairn
