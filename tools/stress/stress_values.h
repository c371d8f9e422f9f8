// Keys and values of cairn-stress: both are pure functions, so any value read back can be
// checked exactly against the expected state (docs/stress.md).
//
//   key k      "k" followed by k in 8 decimal digits ("k00000042"); bytewise order of keys is
//              numeric order of k.
//   value(k,v) "k00000042@v17#" followed by a filler derived from (k, v): usually 4 to 131
//              bytes, one value in 64 is 2 to 6 KiB so records cross block and WAL boundaries.
#ifndef CAIRN_TOOLS_STRESS_STRESS_VALUES_H_
#define CAIRN_TOOLS_STRESS_STRESS_VALUES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::stress {

// The key space is [0, kKeysMax): eight decimal digits.
inline constexpr uint32_t kKeysMax = 100'000'000;

std::string KeyName(uint32_t key);

// The key index of a name KeyName produced, or nullopt for any other string.
std::optional<uint32_t> ParseKeyName(std::string_view name);

std::string ValueFor(uint32_t key, uint32_t version);

// For messages: "absent", "k..@v17 (exact)" or "unrecognised value of N bytes".
std::string DescribeValue(uint32_t key, const std::optional<std::string>& found);

}  // namespace cairn::stress

#endif  // CAIRN_TOOLS_STRESS_STRESS_VALUES_H_
