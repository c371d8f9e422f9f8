// Internal keys: how every version of a user key is stored and ordered, in the MemTable and in
// segment files (docs/format-wal.md describes the batch payload; the internal key layout is
// part of the segment format, docs/format-segment.md).
//
//   internal_key := user_key trailer:u64(little-endian)
//   trailer      := (sequence << 8) | kind
//
// Order: user keys ascending (bytewise), then sequence descending, then kind descending, so
// the newest version of a key comes first and a Seek to (key, snapshot_sequence) lands on
// the newest version visible at the snapshot.
#ifndef CAIRN_UTIL_INTERNAL_KEY_H_
#define CAIRN_UTIL_INTERNAL_KEY_H_

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/coding.h"
#include "util/constants.h"

namespace cairn {

// Written to disk (WAL batches, segments); never renumber.
enum class ValueKind : uint8_t {
  kDelete = 0,
  kPut = 1,
};
// Seeks use the largest kind so they sort before every entry of the same sequence.
constexpr ValueKind kValueKindForSeek = ValueKind::kPut;

constexpr size_t kTrailerSize = 8;
// Keys with a common length above this are compared with memcmp (vectorised), shorter ones
// eight bytes at a time inline.
constexpr size_t kInlineCompareLimit = 64;

inline uint64_t PackTrailer(uint64_t sequence, ValueKind kind) {
  assert(sequence <= kMaxSequenceNumber);
  return (sequence << 8) | static_cast<uint8_t>(kind);
}

inline void AppendInternalKey(std::string* out, std::string_view user_key, uint64_t sequence,
                              ValueKind kind) {
  out->append(user_key.data(), user_key.size());
  PutFixed64(out, PackTrailer(sequence, kind));
}

// Accessors. Require internal_key.size() >= kTrailerSize (checked by callers that decode from
// disk before use).
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  assert(internal_key.size() >= kTrailerSize);
  return internal_key.substr(0, internal_key.size() - kTrailerSize);
}
inline uint64_t ExtractTrailer(std::string_view internal_key) {
  assert(internal_key.size() >= kTrailerSize);
  return DecodeFixed64(internal_key.data() + internal_key.size() - kTrailerSize);
}
inline uint64_t ExtractSequence(std::string_view internal_key) {
  return ExtractTrailer(internal_key) >> 8;
}
inline ValueKind ExtractKind(std::string_view internal_key) {
  return static_cast<ValueKind>(ExtractTrailer(internal_key) & 0xff);
}

// Three-way bytewise comparison of user keys, as std::string_view::compare, inlined: every
// lookup compares keys a dozen times (index, block, MemTable), and for the short keys of most
// workloads an out-of-line memcmp call costs more than the comparison itself.
[[gnu::always_inline]] inline int CompareUserKeys(std::string_view a, std::string_view b) {
  const size_t common = a.size() < b.size() ? a.size() : b.size();
  if (common > kInlineCompareLimit) {
    const int c = std::memcmp(a.data(), b.data(), common);
    if (c != 0) {
      return c < 0 ? -1 : 1;
    }
  } else {
    size_t i = 0;
    for (; i + 8 <= common; i += 8) {
      const uint64_t x = DecodeBigEndian64(a.data() + i);
      const uint64_t y = DecodeBigEndian64(b.data() + i);
      if (x != y) {
        return x < y ? -1 : 1;
      }
    }
    for (; i < common; i++) {
      const auto x = static_cast<unsigned char>(a[i]);
      const auto y = static_cast<unsigned char>(b[i]);
      if (x != y) {
        return x < y ? -1 : 1;
      }
    }
  }
  if (a.size() == b.size()) {
    return 0;
  }
  return a.size() < b.size() ? -1 : 1;
}

// Three-way comparison of internal keys in the order described above.
[[gnu::always_inline]] inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  const int c = CompareUserKeys(ExtractUserKey(a), ExtractUserKey(b));
  if (c != 0) {
    return c;
  }
  uint64_t ta = ExtractTrailer(a);
  uint64_t tb = ExtractTrailer(b);
  if (ta == tb) {
    return 0;
  }
  return ta > tb ? -1 : 1;  // larger trailer (newer) first
}

}  // namespace cairn

#endif  // CAIRN_UTIL_INTERNAL_KEY_H_
