// BlockCache: decoded data blocks shared by every segment of a DB, within a byte budget
// (Options::block_cache_bytes).
//
// Keyed by (file number, block offset); file numbers are never reused within a database, so
// a key names one block forever. Split into 2^kBlockCacheShardBits shards by key hash, each
// with its own mutex. A block is charged its decoded size plus a fixed overhead; inserting
// evicts blocks of the shard until it fits its share of the budget (a block larger than a
// shard's share is not cached). Blocks are held as shared_ptr, so an evicted block stays
// valid for whoever is using it.
//
// Eviction is CLOCK, not exact LRU: a hit only sets the entry's "referenced" bit (no list to
// reorder, so a hit touches one cache line of the shard besides the index), and the hand
// sweeps the entries, clearing set bits and evicting the first entry whose bit is clear. A
// new block starts unreferenced, so a block read once goes before one read twice (scan
// resistance). Each shard finds entries through an open-addressing table (linear probing,
// backward-shift deletion) of 32-bit slot numbers: one probe in the common case, no node
// allocation per block. The profile that motivated it is in docs/benchmarks.md (finding 11).
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
#include <memory>
#include <vector>

#include "segment/block.h"
#include "util/constants.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

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
  static uint64_t Hash(const Key& key);

  // One cached block. A slot with a null block is free (listed in Shard::free_slots).
  struct Slot {
    Key key{0, 0};
    uint64_t hash = 0;
    std::shared_ptr<const Block> block;
    size_t charge = 0;
    bool referenced = false;
  };
  struct alignas(64) Shard {
    Mutex mu;
    std::vector<Slot> slots GUARDED_BY(mu);
    std::vector<uint32_t> free_slots GUARDED_BY(mu);
    // Open addressing: slot number + 1, or 0 for an empty position. Size a power of two, at
    // least twice the number of entries.
    std::vector<uint32_t> index GUARDED_BY(mu);
    size_t entry_count GUARDED_BY(mu) = 0;
    size_t clock_hand GUARDED_BY(mu) = 0;  // the next slot the CLOCK sweep looks at
    size_t usage_bytes GUARDED_BY(mu) = 0;
    size_t capacity_bytes = 0;  // set at construction, constant after
  };

  Shard& ShardFor(uint64_t hash);
  // The index position holding `key`, or the empty position where it would go.
  static size_t FindPosition(const Shard& shard, const Key& key, uint64_t hash) REQUIRES(shard.mu);
  // Adds a new entry (the key must be absent); returns its slot.
  static uint32_t InsertNew(Shard& shard, const Key& key, uint64_t hash,
                            std::shared_ptr<const Block> block, size_t charge) REQUIRES(shard.mu);
  static void GrowIndex(Shard& shard) REQUIRES(shard.mu);
  // Removes the entry in `slot`, moving its block into *released.
  static void RemoveSlot(Shard& shard, uint32_t slot,
                         std::vector<std::shared_ptr<const Block>>* released) REQUIRES(shard.mu);
  // CLOCK-evicts until the shard fits its budget, never evicting slot `keep`.
  static void EvictToCapacity(Shard& shard, uint32_t keep,
                              std::vector<std::shared_ptr<const Block>>* evicted)
      REQUIRES(shard.mu);

  const size_t capacity_bytes_;
  const int shard_bits_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_BLOCK_CACHE_H_
