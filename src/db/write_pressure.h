// Write pressure: how much a commit group waits when background work falls behind.
//
// Writers are never stopped dead by file counts. They are slowed smoothly:
//   - MemTable memory: from half of Options::max_memtable_memory_bytes on, the delay grows
//     linearly to its maximum at the limit; at the limit writers wait for a flush (the only
//     hard stop, bounded by memory, as the contract says);
//   - level-0 files: from Options::l0_slowdown_files on, the delay grows linearly to its
//     maximum at Options::l0_slowdown_full_files, and stays there.
// The delay is applied once per commit group by its leader, so followers share it.
#ifndef CAIRN_DB_WRITE_PRESSURE_H_
#define CAIRN_DB_WRITE_PRESSURE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "cairn/options.h"

namespace cairn {

// The longest a commit group is delayed short of the hard stop: long enough to let a flush
// catch up over a few groups, short enough to be invisible to a single slow request.
constexpr uint64_t kMaxWriteDelayMicros = 4000;

struct WritePressure {
  size_t memtable_bytes = 0;  // active and immutable MemTables
  int l0_files = 0;
};

// 0 (no debt) to 1 (full debt), the larger of the memory and level-0 ratios.
inline double WriteDebt(const WritePressure& pressure, const Options& options) {
  double memory = 0;
  double half = static_cast<double>(options.max_memtable_memory_bytes) / 2;
  if (half > 0 && static_cast<double>(pressure.memtable_bytes) > half) {
    memory = (static_cast<double>(pressure.memtable_bytes) - half) / half;
  }
  double files = 0;
  int span = options.l0_slowdown_full_files - options.l0_slowdown_files;
  if (pressure.l0_files >= options.l0_slowdown_files) {
    files = span <= 0 ? 1.0
                      : static_cast<double>(pressure.l0_files - options.l0_slowdown_files) / span;
  }
  return std::clamp(std::max(memory, files), 0.0, 1.0);
}

inline uint64_t WriteDelayMicros(const WritePressure& pressure, const Options& options) {
  return static_cast<uint64_t>(WriteDebt(pressure, options) * kMaxWriteDelayMicros);
}

// The hard stop: MemTable memory at its limit. Writers wait until a flush frees some.
inline bool MustStopWrites(const WritePressure& pressure, const Options& options) {
  return pressure.memtable_bytes >= options.max_memtable_memory_bytes;
}

}  // namespace cairn

#endif  // CAIRN_DB_WRITE_PRESSURE_H_
