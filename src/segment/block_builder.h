// BlockBuilder: encodes sorted entries into the block format shared by data and index blocks.
//
//   block := entry+ restart:u32[num_restarts] num_restarts:u32
//   entry := shared:varint32 unshared:varint32 value_length:varint32
//            key_delta[unshared] value[value_length]
//
// Each key is stored as the length of the prefix it shares with the previous key plus the
// remaining bytes. Every `restart_interval` entries a restart point stores its key whole
// (shared = 0) and its offset goes into the restart array, so a reader can binary-search
// restart points and decode forward from any of them.
//
// Keys must be added in strictly increasing internal-key order (checked by the caller).
// Not thread-safe.
#ifndef CAIRN_SEGMENT_BLOCK_BUILDER_H_
#define CAIRN_SEGMENT_BLOCK_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::segment {

class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Appends an entry. Requires !finished.
  void Add(std::string_view key, std::string_view value);

  // Appends the restart array and returns the whole block, valid until Reset() or the
  // builder's destruction. Requires at least one entry.
  std::string_view Finish();

  // Starts a new, empty block, keeping the allocated buffer.
  void Reset();

  bool empty() const { return entry_count_ == 0; }
  size_t entry_count() const { return entry_count_; }
  // The size the block would have if finished now.
  size_t CurrentSizeEstimate() const {
    return buffer_.size() + (restarts_.size() + 1) * sizeof(uint32_t);
  }
  // The last key added (empty if none).
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int since_restart_ = 0;
  size_t entry_count_ = 0;
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_BLOCK_BUILDER_H_
