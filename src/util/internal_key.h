// Internal keys: how every version of a user key is stored and ordered, in the MemTable now
// and in segment files later (docs/format-wal.md describes the batch payload; the internal
// key layout is part of the segment format).
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

// Three-way comparison of internal keys in the order described above.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  int c = ExtractUserKey(a).compare(ExtractUserKey(b));
  if (c != 0) {
    return c < 0 ? -1 : 1;
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
