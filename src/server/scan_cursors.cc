#include "server/scan_cursors.h"

#include <utility>

namespace cairn::server {

ScanCursors::ScanCursors(size_t max_cursors, size_t max_bytes, uint64_t first_id)
    : max_cursors_(max_cursors), max_bytes_(max_bytes), next_id_(first_id) {}

uint64_t ScanCursors::Add(std::string resume_key) {
  while (!order_.empty() &&
         (keys_.size() >= max_cursors_ || bytes_ + resume_key.size() > max_bytes_)) {
    EvictOldest();
  }
  if (next_id_ == 0) {
    next_id_ = 1;  // 0 means "start"/"end"; skipped when the counter wraps
  }
  uint64_t id = next_id_++;
  bytes_ += resume_key.size();
  keys_.emplace(id, std::move(resume_key));
  order_.push_back(id);
  return id;
}

bool ScanCursors::Lookup(uint64_t cursor, std::string* resume_key) const {
  auto it = keys_.find(cursor);
  if (it == keys_.end()) {
    return false;
  }
  *resume_key = it->second;
  return true;
}

void ScanCursors::EvictOldest() {
  auto it = keys_.find(order_.front());
  order_.pop_front();
  if (it != keys_.end()) {
    bytes_ -= it->second.size();
    keys_.erase(it);
  }
}

}  // namespace cairn::server
