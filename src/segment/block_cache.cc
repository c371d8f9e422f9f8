#include "segment/block_cache.h"

#include <cassert>

namespace cairn::segment {

size_t BlockCache::KeyHash::operator()(const Key& key) const {
  // Mixes both halves so that consecutive offsets of one file spread over the shards.
  uint64_t h = key.file_number * 0x9e3779b97f4a7c15ull ^ key.offset;
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return static_cast<size_t>(h);
}

BlockCache::BlockCache(size_t capacity_bytes, int shard_bits)
    : capacity_bytes_(capacity_bytes),
      shard_bits_(shard_bits),
      shards_(new Shard[size_t{1} << shard_bits]) {
  assert(shard_bits >= 0 && shard_bits <= 10);
  const size_t shard_count = size_t{1} << shard_bits;
  for (size_t i = 0; i < shard_count; i++) {
    shards_[i].capacity_bytes = capacity_bytes / shard_count;
  }
}

BlockCache::~BlockCache() = default;

BlockCache::Shard& BlockCache::ShardFor(const Key& key) {
  // The top bits of the hash pick the shard; the map uses the low bits.
  const size_t h = KeyHash()(key);
  return shards_[shard_bits_ == 0 ? 0 : (h >> (sizeof(size_t) * 8 - shard_bits_))];
}

std::shared_ptr<const Block> BlockCache::Lookup(uint64_t file_number, uint64_t offset) {
  const Key key{file_number, offset};
  Shard& shard = ShardFor(key);
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return it->second->block;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void BlockCache::EvictToCapacity(Shard& shard, std::vector<std::shared_ptr<const Block>>* evicted) {
  while (shard.usage_bytes > shard.capacity_bytes && !shard.lru.empty()) {
    Entry& victim = shard.lru.back();
    shard.usage_bytes -= victim.charge;
    evicted->push_back(std::move(victim.block));
    shard.map.erase(victim.key);
    shard.lru.pop_back();
  }
}

void BlockCache::Insert(uint64_t file_number, uint64_t offset, std::shared_ptr<const Block> block) {
  assert(block != nullptr);
  const Key key{file_number, offset};
  const size_t charge = block->size_bytes() + kEntryOverheadBytes;
  Shard& shard = ShardFor(key);
  if (charge > shard.capacity_bytes) {
    return;  // would evict the whole shard and still not fit
  }
  // Blocks leaving the cache are released after the lock is dropped: freeing a large buffer
  // need not hold up other readers of the shard.
  std::vector<std::shared_ptr<const Block>> evicted;
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      shard.usage_bytes -= it->second->charge;
      evicted.push_back(std::move(it->second->block));
      it->second->block = std::move(block);
      it->second->charge = charge;
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    } else {
      shard.lru.push_front(Entry{key, std::move(block), charge});
      shard.map.emplace(key, shard.lru.begin());
    }
    shard.usage_bytes += charge;
    EvictToCapacity(shard, &evicted);
  }
}

void BlockCache::EraseFile(uint64_t file_number) {
  const size_t shard_count = size_t{1} << shard_bits_;
  for (size_t i = 0; i < shard_count; i++) {
    Shard& shard = shards_[i];
    std::vector<std::shared_ptr<const Block>> erased;
    std::lock_guard<std::mutex> lock(shard.mu);
    for (auto it = shard.lru.begin(); it != shard.lru.end();) {
      if (it->key.file_number == file_number) {
        shard.usage_bytes -= it->charge;
        erased.push_back(std::move(it->block));
        shard.map.erase(it->key);
        it = shard.lru.erase(it);
      } else {
        ++it;
      }
    }
  }
}

size_t BlockCache::usage_bytes() const {
  size_t total = 0;
  const size_t shard_count = size_t{1} << shard_bits_;
  for (size_t i = 0; i < shard_count; i++) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    total += shards_[i].usage_bytes;
  }
  return total;
}

size_t BlockCache::entry_count() const {
  size_t total = 0;
  const size_t shard_count = size_t{1} << shard_bits_;
  for (size_t i = 0; i < shard_count; i++) {
    std::lock_guard<std::mutex> lock(shards_[i].mu);
    total += shards_[i].map.size();
  }
  return total;
}

}  // namespace cairn::segment
