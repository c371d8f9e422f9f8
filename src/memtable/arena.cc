#include "memtable/arena.h"

#include <cassert>

#include "util/constants.h"

namespace cairn {

char* Arena::Allocate(size_t bytes) {
  assert(bytes > 0);
  allocated_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? alignof(std::max_align_t) : 8;
  size_t misalignment = reinterpret_cast<uintptr_t>(cursor_) & (kAlign - 1);
  size_t padding = misalignment == 0 ? 0 : kAlign - misalignment;
  if (bytes + padding <= remaining_) {
    char* result = cursor_ + padding;
    cursor_ += bytes + padding;
    remaining_ -= bytes + padding;
    return result;
  }
  if (bytes > kArenaBlockBytes / 4) {
    // A large entry gets its own block so the current block's tail is not wasted.
    return AllocateNewBlock(bytes);
  }
  cursor_ = AllocateNewBlock(kArenaBlockBytes);
  remaining_ = kArenaBlockBytes;
  char* result = cursor_;
  cursor_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::AllocateNewBlock(size_t bytes) {
  // new char[] is aligned for any fundamental type.
  blocks_.push_back(std::unique_ptr<char[]>(new char[bytes]));  // not zeroed
  memory_usage_.fetch_add(bytes + sizeof(char*), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace cairn
