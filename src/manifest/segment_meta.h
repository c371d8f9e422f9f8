// SegmentMeta: what the manifest records about one segment file.
//
// A SegmentMeta is written into a manifest edit when a flush or compaction adds the segment,
// and into every later snapshot edit while the segment is live. It carries what the read
// path, compaction and retention need without opening the file: its level, size, key range,
// sequence range, commit-time range and entry counts.
//
// Encoding (the body of a kAddedSegment field, docs/format-manifest.md), in this order:
//   level:varint32 number:varint64 file_size_bytes:varint64
//   smallest:length-prefixed largest:length-prefixed
//   min_seq:varint64 max_seq:varint64 min_commit_micros:varint64 max_commit_micros:varint64
//   entry_count:varint64 deletion_count:varint64
//
// Thread safety: a plain value.
#ifndef CAIRN_MANIFEST_SEGMENT_META_H_
#define CAIRN_MANIFEST_SEGMENT_META_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/status.h"

namespace cairn::manifest {

struct SegmentMeta {
  uint64_t number = 0;  // the NNNNNN of NNNNNN.seg; never 0
  uint32_t level = 0;   // < kMaxLevels
  uint64_t file_size_bytes = 0;
  // Internal keys (util/internal_key.h), smallest <= largest in internal-key order.
  std::string smallest;
  std::string largest;
  // Sequence numbers of the entries: min_seq <= max_seq <= kMaxSequenceNumber.
  uint64_t min_seq = 0;
  uint64_t max_seq = 0;
  // Commit times (microseconds since the Unix epoch) of the entries' records.
  uint64_t min_commit_micros = 0;
  uint64_t max_commit_micros = 0;
  uint64_t entry_count = 0;     // >= 1: an empty segment is never written
  uint64_t deletion_count = 0;  // tombstones among entry_count

  // Appends the encoding. Requires Check().ok() (asserted).
  void EncodeTo(std::string* out) const;

  // Decodes exactly `input` (the whole field body) and checks the result. Corruption names
  // the field that failed; nothing is allocated for a length before it is checked against
  // the input and kMaxInternalKeyBytes. On error *this is unspecified.
  [[nodiscard]] Status DecodeFrom(std::string_view input);

  // The structural invariants listed at each field above. InvalidArgument names the first
  // one broken. Called before encoding (a broken one is a programmer error) and right after
  // decoding (a broken one is corruption).
  [[nodiscard]] Status Check() const;

  // One line for logs and `cairn verify`, e.g.
  // "#12 L0 4096 bytes keys ['a'@7:put .. 'k'@9:del] seq [7,9] micros [..] 3 entries (1 del)".
  std::string DebugString() const;

  bool operator==(const SegmentMeta&) const = default;
};

// A readable form of an internal key: 'user key'@sequence:kind, with bytes outside printable
// ASCII escaped as \xNN. A key shorter than the trailer is shown as <bad key: hex>.
std::string InternalKeyDebugString(std::string_view internal_key);

}  // namespace cairn::manifest

#endif  // CAIRN_MANIFEST_SEGMENT_META_H_
