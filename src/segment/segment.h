// Segment: a reader for one open segment file (docs/format-segment.md).
//
// Open reads and checks the footer, the properties, the index (every handle in it) and the
// filter, and keeps the index, filter and properties in memory for the segment's lifetime.
// Data blocks are read on demand, through the block cache when one is given. Every block
// read from the file verifies its CRC; damage is reported as Corruption
// "segment <file name> offset <block offset>: <what>" and is never skipped.
//
// Ownership and threads: a Segment is immutable after Open and shared through
// std::shared_ptr; any number of threads may call Get, NewIterator and VerifyAllBlocks at
// once. Iterators keep their Segment alive. The Env and the BlockCache (if any) must outlive
// the Segment and its iterators.
#ifndef CAIRN_SEGMENT_SEGMENT_H_
#define CAIRN_SEGMENT_SEGMENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/env.h"
#include "cairn/status.h"
#include "segment/block.h"
#include "segment/block_cache.h"
#include "segment/bloom_filter.h"
#include "segment/compression.h"
#include "segment/properties.h"
#include "segment/segment_format.h"
#include "util/internal_iterator.h"

namespace cairn::segment {

// The outcome of a point read.
enum class GetResult {
  kNotPresent,  // no version of the key with sequence <= the read's sequence
  kFound,       // the newest such version is a put; its value was copied out
  kDeleted,     // the newest such version is a deletion
};

class Segment : public std::enable_shared_from_this<Segment> {
 public:
  // Opens the segment at `path`, whose number is `file_number` and whose size, as recorded
  // when it was written, is `file_size_bytes`. `cache` may be null (no caching of data
  // blocks). Errors: the Env's NotFound or IOError; Corruption naming the file when its
  // size differs from file_size_bytes or any metadata fails a check; NotSupported for a
  // newer format version.
  static Result<std::shared_ptr<Segment>> Open(Env* env, const std::string& path,
                                               uint64_t file_number, uint64_t file_size_bytes,
                                               BlockCache* cache);

  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // Finds the newest version of `user_key` with sequence <= `sequence` (the Bloom filter
  // first, then the index, then one data block, rarely two). On kFound, *value holds a copy
  // of the value; otherwise *value is unchanged. Corruption or IOError if a block cannot be
  // read; *result is then kNotPresent and must not be trusted.
  [[nodiscard]] Status Get(std::string_view user_key, uint64_t sequence, GetResult* result,
                           std::string* value) const;

  // An iterator over every entry, in internal-key order. It holds a reference to this
  // Segment. On damage it becomes invalid and status() returns the Corruption; the error is
  // sticky (later seeks do not clear it). fill_cache = false keeps the blocks it reads out
  // of the block cache (for compaction and verification scans).
  std::unique_ptr<InternalIterator> NewIterator(bool fill_cache = true) const;

  const SegmentProperties& properties() const { return properties_; }
  uint64_t file_number() const { return file_number_; }
  uint64_t file_size_bytes() const { return file_size_bytes_; }
  // The file's base name, as used in messages.
  const std::string& file_name() const { return file_name_; }
  // Memory held for the segment's lifetime: index and filter.
  size_t memory_usage_bytes() const;

  // Reads every block from the file (bypassing the cache) and checks it: CRCs, entry
  // encoding, keys strictly increasing across the file and consistent with the index and
  // the properties, the entry count. For `cairn verify` and scrubbing. Sets
  // *blocks_checked to the number of blocks read (data and metadata). Returns the first
  // problem found.
  [[nodiscard]] Status VerifyAllBlocks(uint64_t* blocks_checked) const;

 private:
  friend class SegmentIterator;
  struct PrivateTag {};

 public:
  // Only Open creates segments; the tag keeps the constructor out of other hands.
  Segment(PrivateTag, std::unique_ptr<ReadableFile> file, std::string file_name,
          uint64_t file_number, uint64_t file_size_bytes, BlockCache* cache);

 private:
  // Reads the footer, properties, index and filter.
  Status Load();
  Status LoadIndex(const Footer& footer);
  Status LoadFilter(const Footer& footer);
  // Checks every index entry: handles contiguous over [0, data_end_), keys increasing; and
  // decodes them into index_entries_ (a lookup then binary-searches a flat array instead of
  // decoding block entries at every step).
  Status CheckAndDecodeIndex();
  // The key of index entry i: the block's separator (>= its last key, < the next block's
  // first).
  std::string_view IndexKey(size_t i) const {
    return std::string_view(index_keys_).substr(index_entries_[i].key_offset,
                                                index_entries_[i].key_size);
  }
  // The first index entry whose key is >= target (index_entries_.size() if none).
  size_t FirstIndexEntryAtOrAfter(std::string_view target) const;

  // The data block at `handle`, from the cache or the file (then cached if fill_cache).
  Status ReadDataBlock(const BlockHandle& handle, bool fill_cache,
                       std::shared_ptr<const Block>* block) const;
  // Decodes the handle in an index entry's value.
  Status DecodeIndexValue(std::string_view value, BlockHandle* handle) const;
  // Wraps a block-level error (from BlockIter) with the file and block offset.
  Status BlockError(uint64_t block_offset, const Status& status) const;
  Status VerifyDataBlocks(uint64_t* blocks_checked) const;

  const std::unique_ptr<ReadableFile> file_;
  const std::string file_name_;
  const uint64_t file_number_;
  const uint64_t file_size_bytes_;
  BlockCache* const cache_;

  // Set by Load, then constant.
  uint64_t data_end_ = 0;  // data blocks lie in [0, data_end_)
  uint64_t footer_offset_ = 0;
  Footer footer_;
  std::shared_ptr<const Block> index_block_;
  struct IndexEntry {
    size_t key_offset;  // in index_keys_
    size_t key_size;
    BlockHandle handle;
  };
  std::vector<IndexEntry> index_entries_;  // decoded index_block_, one per data block
  std::string index_keys_;                 // their keys, back to back
  OwnedBytes filter_bytes_;
  BloomFilter filter_;  // views filter_bytes_; matches everything when there is no filter
  SegmentProperties properties_;
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_SEGMENT_H_
