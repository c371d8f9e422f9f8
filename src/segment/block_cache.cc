#include "segment/block_cache.h"

#include <cassert>

namespace cairn::segment {
namespace {

// The index starts small and doubles; a shard of a large cache grows it as blocks arrive.
constexpr size_t kInitialIndexSize = 64;

}  // namespace

uint64_t BlockCache::Hash(const Key& key) {
  // Mixes both halves so that consecutive offsets of one file spread over the shards.
  uint64_t h = key.file_number * 0x9e3779b97f4a7c15ull ^ key.offset;
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return h;
}

BlockCache::BlockCache(size_t capacity_bytes, int shard_bits)
    : capacity_bytes_(capacity_bytes),
      shard_bits_(shard_bits),
      shards_(new Shard[size_t{1} << shard_bits]) {
  assert(shard_bits >= 0 && shard_bits <= 10);
  const size_t shard_count = size_t{1} << shard_bits;
  for (size_t i = 0; i < shard_count; i++) {
    // Uncontended (nobody else can see the cache yet); taken so the analysis sees the
    // index written under its lock like everywhere else.
    MutexLock lock(&shards_[i].mu);
    shards_[i].capacity_bytes = capacity_bytes / shard_count;
    shards_[i].index.assign(kInitialIndexSize, 0);
  }
}

BlockCache::~BlockCache() = default;

BlockCache::Shard& BlockCache::ShardFor(uint64_t hash) {
  // The top bits of the hash pick the shard; the index uses the low bits.
  return shards_[shard_bits_ == 0 ? 0 : (hash >> (64 - shard_bits_))];
}

size_t BlockCache::FindPosition(const Shard& shard, const Key& key, uint64_t hash) {
  const size_t mask = shard.index.size() - 1;
  // Terminates: the index is at most half full, so an empty position exists.
  for (size_t pos = hash & mask;; pos = (pos + 1) & mask) {
    const uint32_t entry = shard.index[pos];
    if (entry == 0) {
      return pos;
    }
    const Slot& slot = shard.slots[entry - 1];
    if (slot.hash == hash && slot.key == key) {
      return pos;
    }
  }
}

void BlockCache::GrowIndex(Shard& shard) {
  std::vector<uint32_t> old = std::move(shard.index);
  shard.index.assign(old.size() * 2, 0);
  const size_t mask = shard.index.size() - 1;
  for (uint32_t entry : old) {
    if (entry == 0) {
      continue;
    }
    size_t pos = shard.slots[entry - 1].hash & mask;
    while (shard.index[pos] != 0) {
      pos = (pos + 1) & mask;
    }
    shard.index[pos] = entry;
  }
}

uint32_t BlockCache::InsertNew(Shard& shard, const Key& key, uint64_t hash,
                               std::shared_ptr<const Block> block, size_t charge) {
  if ((shard.entry_count + 1) * 2 > shard.index.size()) {
    GrowIndex(shard);
  }
  uint32_t slot;
  if (!shard.free_slots.empty()) {
    slot = shard.free_slots.back();
    shard.free_slots.pop_back();
  } else {
    assert(shard.slots.size() < UINT32_MAX);
    slot = static_cast<uint32_t>(shard.slots.size());
    shard.slots.emplace_back();
  }
  Slot& s = shard.slots[slot];
  s.key = key;
  s.hash = hash;
  s.block = std::move(block);
  s.charge = charge;
  s.referenced = false;  // read once so far: the first to go (see the header)
  const size_t pos = FindPosition(shard, key, hash);
  assert(shard.index[pos] == 0);
  shard.index[pos] = slot + 1;
  shard.entry_count++;
  shard.usage_bytes += charge;
  return slot;
}

void BlockCache::RemoveSlot(Shard& shard, uint32_t slot,
                            std::vector<std::shared_ptr<const Block>>* released) {
  Slot& s = shard.slots[slot];
  const size_t mask = shard.index.size() - 1;
  size_t hole = FindPosition(shard, s.key, s.hash);
  assert(shard.index[hole] == slot + 1);
  // Backward-shift deletion: pull later entries of the probe run into the hole whenever the
  // hole lies on their probe path, so lookups never need tombstones.
  for (size_t pos = (hole + 1) & mask; shard.index[pos] != 0; pos = (pos + 1) & mask) {
    const size_t home = shard.slots[shard.index[pos] - 1].hash & mask;
    const bool hole_on_path = ((pos - home) & mask) >= ((pos - hole) & mask);
    if (hole_on_path) {
      shard.index[hole] = shard.index[pos];
      hole = pos;
    }
  }
  shard.index[hole] = 0;
  shard.usage_bytes -= s.charge;
  shard.entry_count--;
  released->push_back(std::move(s.block));
  s.block = nullptr;
  shard.free_slots.push_back(slot);
}

std::shared_ptr<const Block> BlockCache::Lookup(uint64_t file_number, uint64_t offset) {
  const Key key{file_number, offset};
  const uint64_t hash = Hash(key);
  Shard& shard = ShardFor(hash);
  {
    MutexLock lock(&shard.mu);
    const uint32_t entry = shard.index[FindPosition(shard, key, hash)];
    if (entry != 0) {
      Slot& slot = shard.slots[entry - 1];
      slot.referenced = true;
      hits_.fetch_add(1, std::memory_order_relaxed);
      return slot.block;
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

void BlockCache::EvictToCapacity(Shard& shard, uint32_t keep,
                                 std::vector<std::shared_ptr<const Block>>* evicted) {
  // Two full turns of the hand suffice: the first clears every referenced bit it passes.
  for (size_t steps = 0; shard.usage_bytes > shard.capacity_bytes && !shard.slots.empty() &&
                         steps <= 2 * shard.slots.size();
       steps++) {
    if (shard.clock_hand >= shard.slots.size()) {
      shard.clock_hand = 0;
    }
    const uint32_t slot = static_cast<uint32_t>(shard.clock_hand++);
    Slot& s = shard.slots[slot];
    if (s.block == nullptr || slot == keep) {
      continue;
    }
    if (s.referenced) {
      s.referenced = false;
      continue;
    }
    RemoveSlot(shard, slot, evicted);
  }
  assert(shard.usage_bytes <= shard.capacity_bytes);
}

void BlockCache::Insert(uint64_t file_number, uint64_t offset, std::shared_ptr<const Block> block) {
  assert(block != nullptr);
  const Key key{file_number, offset};
  const uint64_t hash = Hash(key);
  const size_t charge = block->size_bytes() + kEntryOverheadBytes;
  Shard& shard = ShardFor(hash);
  if (charge > shard.capacity_bytes) {
    return;  // would evict the whole shard and still not fit
  }
  // Blocks leaving the cache are released after the lock is dropped: freeing a large buffer
  // need not hold up other readers of the shard.
  std::vector<std::shared_ptr<const Block>> evicted;
  {
    MutexLock lock(&shard.mu);
    const uint32_t entry = shard.index[FindPosition(shard, key, hash)];
    uint32_t slot;
    if (entry != 0) {
      slot = entry - 1;
      Slot& s = shard.slots[slot];
      shard.usage_bytes = shard.usage_bytes - s.charge + charge;
      evicted.push_back(std::move(s.block));
      s.block = std::move(block);
      s.charge = charge;
    } else {
      slot = InsertNew(shard, key, hash, std::move(block), charge);
    }
    EvictToCapacity(shard, slot, &evicted);
  }
}

void BlockCache::EraseFile(uint64_t file_number) {
  const size_t shard_count = size_t{1} << shard_bits_;
  for (size_t i = 0; i < shard_count; i++) {
    Shard& shard = shards_[i];
    std::vector<std::shared_ptr<const Block>> erased;
    MutexLock lock(&shard.mu);
    for (size_t slot = 0; slot < shard.slots.size(); slot++) {
      if (shard.slots[slot].block != nullptr && shard.slots[slot].key.file_number == file_number) {
        RemoveSlot(shard, static_cast<uint32_t>(slot), &erased);
      }
    }
  }
}

size_t BlockCache::usage_bytes() const {
  size_t total = 0;
  const size_t shard_count = size_t{1} << shard_bits_;
  for (size_t i = 0; i < shard_count; i++) {
    MutexLock lock(&shards_[i].mu);
    total += shards_[i].usage_bytes;
  }
  return total;
}

size_t BlockCache::entry_count() const {
  size_t total = 0;
  const size_t shard_count = size_t{1} << shard_bits_;
  for (size_t i = 0; i < shard_count; i++) {
    MutexLock lock(&shards_[i].mu);
    total += shards_[i].entry_count;
  }
  return total;
}

}  // namespace cairn::segment
