// BlockCache: decoded data blocks shared by every segment of a DB, within a byte budget
// (Options::block_cache_bytes).
//
// Keyed by (file number, block offset); file numbers are never reused within a database, so
// a key names one block forever. Split into 2^kBlockCacheShardBits shards by key hash, each
// an LRU list with its own mutex. A block is charged its decoded size plus a fixed overhead;
// inserting evicts least-recently-used blocks of the shard until it fits its share of the
// budget (a block larger than a shard's share is not cached). Blocks are held as
// shared_ptr, so an evicted block stays valid for whoever is using it.
//
// Index and filter blocks are not cached here: each Segment holds its own for its lifetime.
//
// Thread safety: all methods may be called concurrently. The cache must outlive every
// Segment opened with it.
#ifndef CAIRN_SEGMENT_BLOCK_CACHE_H_
#define CAIRN_SEGMENT_BLOCK_CACHE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "segment/block.h"
#include "util/constants.h"

namespace cairn::segment {

class BlockCache {
 public:
  // Memory charged per cached block beyond its bytes (list node, map slot, Block object).
  static constexpr size_t kEntryOverheadBytes = 128;

  // capacity_bytes 0 disables caching (every Lookup misses, Insert keeps nothing).
  explicit BlockCache(size_t capacity_bytes, int shard_bits = kBlockCacheShardBits);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache();

  // The block cached under (file_number, offset), marked most recently used, or nullptr.
  // Counts a hit or a miss.
  std::shared_ptr<const Block> Lookup(uint64_t file_number, uint64_t offset);

  // Caches `block` under (file_number, offset), replacing any block cached there, and evicts
  // as needed.
  void Insert(uint64_t file_number, uint64_t offset, std::shared_ptr<const Block> block);

  // Drops every block of a file (e.g. once the file is deleted). Linear in the cache size.
  void EraseFile(uint64_t file_number);

  size_t capacity_bytes() const { return capacity_bytes_; }
  // Bytes charged by the blocks now cached.
  size_t usage_bytes() const;
  size_t entry_count() const;
  uint64_t hit_count() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t miss_count() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Key {
    uint64_t file_number;
    uint64_t offset;
    bool operator==(const Key& other) const {
      return file_number == other.file_number && offset == other.offset;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& key) const;
  };
  struct Entry {
    Key key;
    std::shared_ptr<const Block> block;
    size_t charge;
  };
  // One LRU list; the front is the most recently used.
  struct alignas(64) Shard {
    std::mutex mu;
    std::list<Entry> lru;                                              // guarded by mu
    std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> map;  // guarded by mu
    size_t usage_bytes = 0;                                            // guarded by mu
    size_t capacity_bytes = 0;                                         // constant
  };

  Shard& ShardFor(const Key& key);
  // Requires shard.mu held.
  static void EvictToCapacity(Shard& shard, std::vector<std::shared_ptr<const Block>>* evicted);

  const size_t capacity_bytes_;
  const int shard_bits_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_BLOCK_CACHE_H_
