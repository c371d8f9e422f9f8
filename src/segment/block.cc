#include "segment/block.h"

#include <cassert>
#include <limits>

#include "util/internal_key.h"

namespace cairn::segment {

Result<std::shared_ptr<const Block>> Block::Parse(OwnedBytes contents) {
  const size_t size = contents.size;
  if (size < 2 * sizeof(uint32_t) || size > std::numeric_limits<uint32_t>::max()) {
    return Status::Corruption("block of " + std::to_string(size) + " bytes: bad size");
  }
  const char* data = contents.data.get();
  const uint32_t restart_count = DecodeFixed32(data + size - sizeof(uint32_t));
  const size_t max_restarts = (size - sizeof(uint32_t)) / sizeof(uint32_t);
  if (restart_count == 0 || restart_count > max_restarts) {
    return Status::Corruption("block: restart count " + std::to_string(restart_count) +
                              " out of range");
  }
  const auto restarts_offset =
      static_cast<uint32_t>(size - sizeof(uint32_t) * (1 + static_cast<size_t>(restart_count)));
  if (restarts_offset == 0) {
    return Status::Corruption("block: no entries");
  }
  // Restart points must start at 0 and increase inside the entry area, so that every cursor
  // move that starts from one stays in bounds.
  uint32_t previous = 0;
  for (uint32_t i = 0; i < restart_count; i++) {
    const uint32_t offset = DecodeFixed32(data + restarts_offset + 4 * static_cast<size_t>(i));
    if ((i == 0 && offset != 0) || (i > 0 && offset <= previous) || offset >= restarts_offset) {
      return Status::Corruption("block: restart point " + std::to_string(i) + " at " +
                                std::to_string(offset) + " out of order or bounds");
    }
    previous = offset;
  }
  return std::make_shared<const Block>(ParseTag{}, std::move(contents), restarts_offset,
                                       restart_count);
}

namespace {

// Decodes an entry header at p (before limit). Returns the start of the key delta, or
// nullptr if the header or the bytes it announces do not fit.
inline const char* DecodeEntryHeader(const char* p, const char* limit, uint32_t* shared,
                                     uint32_t* unshared, uint32_t* value_length) {
  if (limit - p < 3) {
    return nullptr;
  }
  const auto b0 = static_cast<unsigned char>(p[0]);
  const auto b1 = static_cast<unsigned char>(p[1]);
  const auto b2 = static_cast<unsigned char>(p[2]);
  if ((b0 | b1 | b2) < 0x80) {  // the common case: three one-byte varints
    *shared = b0;
    *unshared = b1;
    *value_length = b2;
    p += 3;
  } else {
    std::string_view input(p, static_cast<size_t>(limit - p));
    if (!GetVarint32(&input, shared) || !GetVarint32(&input, unshared) ||
        !GetVarint32(&input, value_length)) {
      return nullptr;
    }
    p = input.data();
  }
  const auto available = static_cast<uint64_t>(limit - p);
  if (static_cast<uint64_t>(*unshared) + *value_length > available) {
    return nullptr;
  }
  return p;
}

}  // namespace

void BlockIter::Reset(const Block* block) {
  status_ = Status::OK();
  key_ = {};
  value_ = {};
  if (block == nullptr) {
    data_ = nullptr;
    restarts_offset_ = 0;
    restart_count_ = 0;
  } else {
    data_ = block->data();
    restarts_offset_ = block->restarts_offset();
    restart_count_ = block->restart_count();
  }
  restart_index_ = 0;
  Invalidate();
}

void BlockIter::MarkCorrupt(uint32_t offset, const char* what) {
  if (status_.ok()) {
    status_ = Status::Corruption("block entry at " + std::to_string(offset) + ": " + what);
  }
  key_ = {};
  value_ = {};
  Invalidate();
}

bool BlockIter::ParseEntryAt(uint32_t offset) {
  const char* limit = data_ + restarts_offset_;
  uint32_t shared = 0;
  uint32_t unshared = 0;
  uint32_t value_length = 0;
  const char* p = DecodeEntryHeader(data_ + offset, limit, &shared, &unshared, &value_length);
  if (p == nullptr) {
    MarkCorrupt(offset, "truncated entry");
    return false;
  }
  if (shared > key_.size()) {
    MarkCorrupt(offset, "shared prefix longer than the previous key");
    return false;
  }
  if (static_cast<uint64_t>(shared) + unshared < kTrailerSize) {
    MarkCorrupt(offset, "key shorter than an internal key");
    return false;
  }
  if (shared == 0) {
    key_ = std::string_view(p, unshared);  // stored whole: no copy
  } else {
    if (key_.data() == key_buffer_.data()) {
      key_buffer_.Truncate(shared);
    } else {
      key_buffer_.Assign(key_.data(), shared);
    }
    key_buffer_.Append(p, unshared);
    key_ = key_buffer_.view();
  }
  value_ = std::string_view(p + unshared, value_length);
  current_ = offset;
  next_ = static_cast<uint32_t>(p + unshared + value_length - data_);
  return true;
}

bool BlockIter::SeekToRestart(uint32_t index) {
  restart_index_ = index;
  key_ = {};  // a restart entry shares nothing; ParseEntryAt enforces it
  return ParseEntryAt(RestartOffset(index));
}

bool BlockIter::RestartKey(uint32_t index, std::string_view* key) {
  const uint32_t offset = RestartOffset(index);
  uint32_t shared = 0;
  uint32_t unshared = 0;
  uint32_t value_length = 0;
  const char* p = DecodeEntryHeader(data_ + offset, data_ + restarts_offset_, &shared, &unshared,
                                    &value_length);
  if (p == nullptr || shared != 0 || unshared < kTrailerSize) {
    MarkCorrupt(offset, "bad restart entry");
    return false;
  }
  *key = std::string_view(p, unshared);
  return true;
}

void BlockIter::SeekToFirst() {
  if (usable()) {
    SeekToRestart(0);
  }
}

void BlockIter::SeekToLast() {
  if (!usable()) {
    return;
  }
  if (!SeekToRestart(restart_count_ - 1)) {
    return;
  }
  while (next_ < restarts_offset_) {
    if (!ParseEntryAt(next_)) {
      return;
    }
  }
}

void BlockIter::Seek(std::string_view target) {
  assert(target.size() >= kTrailerSize);
  if (!usable()) {
    return;
  }
  // The last restart point whose key is < target; the answer lies in its region or is its
  // successor's first entry.
  uint32_t left = 0;
  uint32_t right = restart_count_ - 1;
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key;
    if (!RestartKey(mid, &mid_key)) {
      return;
    }
    if (CompareInternalKeys(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  if (!SeekToRestart(left)) {
    return;
  }
  while (CompareInternalKeys(key_, target) < 0) {
    Next();
    if (!Valid()) {
      return;
    }
  }
}

void BlockIter::Next() {
  assert(Valid());
  if (next_ >= restarts_offset_) {
    Invalidate();
    return;
  }
  if (!ParseEntryAt(next_)) {
    return;
  }
  while (restart_index_ + 1 < restart_count_ && RestartOffset(restart_index_ + 1) <= current_) {
    restart_index_++;
  }
}

void BlockIter::Prev() {
  assert(Valid());
  const uint32_t original = current_;
  while (RestartOffset(restart_index_) >= original) {
    if (restart_index_ == 0) {
      Invalidate();
      return;
    }
    restart_index_--;
  }
  if (!SeekToRestart(restart_index_)) {
    return;
  }
  while (next_ < original) {
    if (!ParseEntryAt(next_)) {
      return;
    }
  }
  if (next_ != original) {
    MarkCorrupt(current_, "entries overlap a restart point");
  }
}

}  // namespace cairn::segment
