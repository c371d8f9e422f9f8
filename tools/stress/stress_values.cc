// Key and value generation for cairn-stress.
#include "stress/stress_values.h"

#include <cstdio>

namespace cairn::stress {
namespace {

// splitmix64: a fast, well-mixed step for deriving filler bytes from (key, version).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// One value in kLargeValueOneIn is large (kLargeValueMinBytes plus up to kLargeValueSpanBytes).
constexpr uint64_t kLargeValueOneIn = 64;
constexpr uint64_t kLargeValueMinBytes = 2048;
constexpr uint64_t kLargeValueSpanBytes = 4096;
// Other fillers are kSmallValueMinBytes plus up to kSmallValueSpanBytes.
constexpr uint64_t kSmallValueMinBytes = 4;
constexpr uint64_t kSmallValueSpanBytes = 128;

}  // namespace

std::string KeyName(uint32_t key) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%08u", key);
  return buf;
}

std::optional<uint32_t> ParseKeyName(std::string_view name) {
  if (name.size() != 9 || name[0] != 'k') {
    return std::nullopt;
  }
  uint32_t key = 0;
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') {
      return std::nullopt;
    }
    key = key * 10 + static_cast<uint32_t>(name[i] - '0');
  }
  return key;
}

std::string ValueFor(uint32_t key, uint32_t version) {
  std::string value = KeyName(key) + "@v" + std::to_string(version) + "#";
  uint64_t h = Mix((static_cast<uint64_t>(key) << 32) | version);
  const uint64_t size = h % kLargeValueOneIn == 0
                            ? kLargeValueMinBytes + (h >> 8) % kLargeValueSpanBytes
                            : kSmallValueMinBytes + (h >> 8) % kSmallValueSpanBytes;
  value.reserve(value.size() + size);
  for (uint64_t i = 0; i < size; ++i) {
    if (i % 8 == 0) {
      h = Mix(h);
    }
    value.push_back(static_cast<char>('a' + ((h >> (8 * (i % 8))) & 0xff) % 26));
  }
  return value;
}

std::string DescribeValue(uint32_t key, const std::optional<std::string>& found) {
  if (!found.has_value()) {
    return "absent";
  }
  const std::string prefix = KeyName(key) + "@v";
  if (found->rfind(prefix, 0) == 0) {
    const size_t hash = found->find('#');
    const std::string version_text =
        hash == std::string::npos ? "" : found->substr(prefix.size(), hash - prefix.size());
    uint64_t version = 0;
    bool digits = !version_text.empty() && version_text.size() <= 9;
    for (char c : version_text) {
      digits = digits && c >= '0' && c <= '9';
      version = version * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits) {
      const bool exact = *found == ValueFor(key, static_cast<uint32_t>(version));
      return "v" + version_text + (exact ? "" : " (with a damaged filler)");
    }
  }
  return "unrecognised value of " + std::to_string(found->size()) + " bytes";
}

}  // namespace cairn::stress
