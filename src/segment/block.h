// Block: a decoded block (see block_builder.h for the format) and BlockIter, its cursor.
//
// A Block owns its bytes and is immutable, so any number of threads may read one at once
// (each with its own BlockIter). Blocks are shared through std::shared_ptr: the block cache,
// iterators and Get hold them, and a block evicted from the cache stays valid while in use.
//
// Block::Parse checks the restart array before the block is used; BlockIter checks every
// entry it decodes against the block's bounds. Bytes from disk can therefore never make a
// reader overrun the block: a malformed entry makes the iterator invalid with a Corruption
// status (the message gives the offset inside the block; callers add the file and block).
#ifndef CAIRN_SEGMENT_BLOCK_H_
#define CAIRN_SEGMENT_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "cairn/status.h"
#include "segment/compression.h"
#include "segment/key_buffer.h"
#include "util/coding.h"

namespace cairn::segment {

class Block {
 public:
  // Validates the restart array (at least one entry and one restart, offsets in bounds and
  // increasing, the first at 0) and takes ownership of the bytes.
  static Result<std::shared_ptr<const Block>> Parse(OwnedBytes contents);

  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // Only Parse creates blocks (the tag lets it use std::make_shared: one allocation).
  struct ParseTag {};
  Block(ParseTag, OwnedBytes contents, uint32_t restarts_offset, uint32_t restart_count)
      : contents_(std::move(contents)),
        restarts_offset_(restarts_offset),
        restart_count_(restart_count) {}

  const char* data() const { return contents_.data.get(); }
  size_t size_bytes() const { return contents_.size; }
  uint32_t restart_count() const { return restart_count_; }
  // Where the entries end and the restart array begins.
  uint32_t restarts_offset() const { return restarts_offset_; }
  // Requires index < restart_count().
  uint32_t RestartOffset(uint32_t index) const {
    return DecodeFixed32(data() + restarts_offset_ + 4 * static_cast<size_t>(index));
  }

 private:
  const OwnedBytes contents_;
  const uint32_t restarts_offset_;
  const uint32_t restart_count_;
};

// A cursor over one block's entries, in key order (internal-key order: every key in a
// segment block is an internal key, at least 8 bytes, which the cursor checks). The block
// must outlive the cursor. key() and value() are valid until the cursor moves. The first
// Corruption is sticky: the cursor stays invalid. Not thread-safe.
class BlockIter {
 public:
  BlockIter() = default;
  explicit BlockIter(const Block* block) { Reset(block); }
  BlockIter(const BlockIter&) = delete;
  BlockIter& operator=(const BlockIter&) = delete;

  // Points the cursor at `block` (nullptr: none), unpositioned, clearing any error.
  void Reset(const Block* block);

  bool Valid() const { return current_ < restarts_offset_; }
  const Status& status() const { return status_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  // The offset of the current entry inside the block.
  uint32_t entry_offset() const { return current_; }

  void SeekToFirst();
  void SeekToLast();
  // Positions at the first entry >= target (an internal key).
  void Seek(std::string_view target);
  // Require Valid().
  void Next();
  void Prev();

 private:
  bool usable() const { return data_ != nullptr && status_.ok(); }
  void Invalidate() {
    current_ = restarts_offset_;
    next_ = restarts_offset_;
  }
  void MarkCorrupt(uint32_t offset, const char* what);
  uint32_t RestartOffset(uint32_t index) const {
    return DecodeFixed32(data_ + restarts_offset_ + 4 * static_cast<size_t>(index));
  }
  // Decodes the entry at `offset` as the successor of the current key. False (and corrupt)
  // if it is malformed.
  bool ParseEntryAt(uint32_t offset);
  // Positions at restart point `index`.
  bool SeekToRestart(uint32_t index);
  // The whole key stored at restart point `index`; false (and corrupt) if malformed.
  bool RestartKey(uint32_t index, std::string_view* key);

  const char* data_ = nullptr;
  uint32_t restarts_offset_ = 0;
  uint32_t restart_count_ = 0;
  uint32_t current_ = 0;        // the current entry; restarts_offset_ when invalid
  uint32_t next_ = 0;           // the byte after the current entry
  uint32_t restart_index_ = 0;  // the restart region holding current_
  std::string_view key_;        // into the block (restart entries) or key_buffer_
  std::string_view value_;
  KeyBuffer key_buffer_;
  Status status_;
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_BLOCK_H_
