// SegmentProperties: what a segment holds, stored in its properties block and kept in
// memory by every open Segment. Compaction picks inputs by key and sequence range; retention
// drops a whole segment by its commit-time range; stats report sizes and counts.
//
//   properties := field*
//   field      := tag:varint32 length:varint32 value[length]
//
// Integer fields hold one varint64 filling exactly `length` bytes; key fields hold the key's
// bytes. Tags are written to disk: never renumber (see kTag* in properties.cc and
// docs/format-segment.md). A reader skips tags it does not know, so a later version can add
// fields without a new format version; every field this version defines is required, and
// appears once.
#ifndef CAIRN_SEGMENT_PROPERTIES_H_
#define CAIRN_SEGMENT_PROPERTIES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/options.h"
#include "cairn/status.h"

namespace cairn::segment {

struct SegmentProperties {
  // The first and last internal keys of the segment (user key + sequence/kind trailer).
  std::string smallest_key;
  std::string largest_key;
  // The range of the sequence numbers of its entries.
  uint64_t min_sequence = 0;
  uint64_t max_sequence = 0;
  uint64_t entry_count = 0;
  uint64_t deletion_count = 0;  // entries of kind delete (tombstones)
  // The range of the commit times (microseconds since the epoch) of the writes the segment
  // holds, as told to the builder (SegmentBuilder::WidenCommitTimeRange). Retention drops a
  // segment only when max_commit_micros is older than its cutoff.
  uint64_t min_commit_micros = 0;
  uint64_t max_commit_micros = 0;
  // Bytes of keys (internal keys) and values before prefix compression and block compression.
  uint64_t raw_key_bytes = 0;
  uint64_t raw_value_bytes = 0;
  uint64_t data_block_count = 0;
  // Bytes on disk of all data blocks (with trailers), of the index and of the filter block.
  uint64_t data_bytes = 0;
  uint64_t index_bytes = 0;
  uint64_t filter_bytes = 0;  // 0 without a filter
  // The codec the writer used (a block that compressed poorly is stored raw regardless).
  Compression compression = Compression::kNone;
  // Wall-clock time the segment was finished (microseconds since the epoch).
  uint64_t creation_micros = 0;
};

void EncodeProperties(const SegmentProperties& properties, std::string* out);

// Parses and validates (every length against the input, every required field present once,
// sizes and ranges consistent: keys at least 8 bytes, smallest <= largest, min <= max,
// deletions <= entries, a known codec). Corruption, without file context, otherwise.
[[nodiscard]] Status DecodeProperties(std::string_view encoded, SegmentProperties* properties);

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_PROPERTIES_H_
