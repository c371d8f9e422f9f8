// MemTable: the in-memory ordered table that receives every committed write.
//
// It keeps every version of every key, ordered by internal key (user key ascending, sequence
// descending), so a read at any snapshot sequence finds the version it should see. Entries
// are never removed; the whole table is dropped once its contents are persisted elsewhere.
//
// Thread safety: one writer at a time (Add), externally serialised; any number of concurrent
// readers (Get, NewIterator, ApproximateMemoryUsage) without locks. Shared ownership through
// std::shared_ptr keeps a table alive while readers use it.
#ifndef CAIRN_MEMTABLE_MEMTABLE_H_
#define CAIRN_MEMTABLE_MEMTABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "memtable/arena.h"
#include "memtable/skiplist.h"
#include "util/internal_iterator.h"
#include "util/internal_key.h"

namespace cairn {

class MemTable {
 public:
  MemTable();
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Adds a version. (key, sequence) must be new. Writer only.
  void Add(uint64_t sequence, ValueKind kind, std::string_view key, std::string_view value);

  enum class Lookup { kNotPresent, kFound, kDeleted };
  // Finds the newest version of `key` with sequence <= `sequence`. kFound fills *value.
  Lookup Get(std::string_view key, uint64_t sequence, std::string* value) const;

  // An iterator over internal keys. The MemTable must outlive it (hold a shared_ptr).
  std::unique_ptr<InternalIterator> NewIterator() const;

  // Widens the table's commit-time range to include `micros`. Writer only.
  void NoteCommitTime(uint64_t micros) {
    if (micros < min_commit_micros_.load(std::memory_order_relaxed)) {
      min_commit_micros_.store(micros, std::memory_order_relaxed);
    }
    if (micros > max_commit_micros_.load(std::memory_order_relaxed)) {
      max_commit_micros_.store(micros, std::memory_order_relaxed);
    }
  }
  // The commit-time range of the table's writes (microseconds since the epoch); meaningful
  // once entry_count() > 0.
  uint64_t min_commit_micros() const { return min_commit_micros_.load(std::memory_order_relaxed); }
  uint64_t max_commit_micros() const { return max_commit_micros_.load(std::memory_order_relaxed); }

  // Memory held (the arena's reserved blocks): what write pressure and limits count.
  size_t ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }
  // Bytes the entries use: what decides that the table is full.
  size_t ApproximateDataBytes() const { return arena_.AllocatedBytes(); }
  uint64_t entry_count() const { return entry_count_.load(std::memory_order_relaxed); }

 private:
  // Entries are arena-allocated: varint32 internal_key_length, internal key, varint32
  // value_length, value. The skiplist orders pointers to them.
  struct EntryComparator {
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, EntryComparator>;
  friend class MemTableIterator;

  Arena arena_;
  Table table_;
  std::atomic<uint64_t> entry_count_{0};
  std::atomic<uint64_t> min_commit_micros_{UINT64_MAX};
  std::atomic<uint64_t> max_commit_micros_{0};
};

}  // namespace cairn

#endif  // CAIRN_MEMTABLE_MEMTABLE_H_
