// Arena: bump allocation for the MemTable. Memory is freed all at once when the arena is
// destroyed. Allocation is single-threaded (the MemTable's one writer); MemoryUsage() may be
// read from any thread.
#ifndef CAIRN_MEMTABLE_ARENA_H_
#define CAIRN_MEMTABLE_ARENA_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace cairn {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `bytes` bytes aligned for any pointer-sized type. `bytes` > 0.
  char* Allocate(size_t bytes);

  // Bytes reserved from the system, including unused block tails.
  size_t MemoryUsage() const { return memory_usage_.load(std::memory_order_relaxed); }
  // Bytes handed out by Allocate (what the entries use).
  size_t AllocatedBytes() const { return allocated_bytes_.load(std::memory_order_relaxed); }

 private:
  char* AllocateNewBlock(size_t bytes);

  char* cursor_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
  std::atomic<size_t> allocated_bytes_{0};
};

}  // namespace cairn

#endif  // CAIRN_MEMTABLE_ARENA_H_
