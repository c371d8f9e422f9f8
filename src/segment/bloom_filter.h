// A Bloom filter over the user keys of one segment, so a point read skips a segment that
// cannot hold its key without touching the index or any data block.
//
// Cache-local layout: the bit array is split into 64-byte lines and every probe for a key
// falls in one line chosen by the key's hash, so a lookup costs one cache miss however many
// probes it makes. Within the line, probe i tests bit (a + i*b) mod 512 (double hashing), a
// and b both taken from one 64-bit hash (SegmentKeyHash) that is part of the file format.
//
//   filter := line[64 * line_count] filter_kind:u8 probe_count:u8
//
// filter_kind is 1 (this layout; written to disk, never renumber). With 10 bits per key and
// 6 probes the false-positive rate is about 1%. There are no false negatives.
#ifndef CAIRN_SEGMENT_BLOOM_FILTER_H_
#define CAIRN_SEGMENT_BLOOM_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"

namespace cairn::segment {

inline constexpr uint8_t kBloomFilterKind = 1;
inline constexpr size_t kBloomLineBytes = 64;
inline constexpr size_t kBloomLineBits = kBloomLineBytes * 8;
inline constexpr int kBloomMaxProbes = 24;

// The 64-bit hash of a user key used by the filter. Frozen: changing it changes the format.
uint64_t SegmentKeyHash(std::string_view key);

// The probe count for a bits-per-key budget (about ln 2 * bits_per_key, at least 1).
int BloomProbeCount(int bits_per_key);

// Collects the hashes of a segment's user keys, then lays out the filter. One thread.
class BloomFilterBuilder {
 public:
  // bits_per_key in [1, kSegmentMaxBloomBitsPerKey].
  explicit BloomFilterBuilder(int bits_per_key);

  // Adds a user key. The caller adds each distinct key once (adjacent duplicates skipped).
  void AddKey(std::string_view user_key) { hashes_.push_back(SegmentKeyHash(user_key)); }
  size_t key_count() const { return hashes_.size(); }
  // The encoded size Finish() would produce.
  size_t EncodedSize() const { return LineCount() * kBloomLineBytes + 2; }

  // Appends the encoded filter to *out.
  void Finish(std::string* out) const;

 private:
  size_t LineCount() const;

  const int bits_per_key_;
  const int probe_count_;
  std::vector<uint64_t> hashes_;
};

// Reads an encoded filter. Holds a view: the bytes must outlive it. Thread-safe.
class BloomFilter {
 public:
  BloomFilter() = default;
  // Validates the encoding (kind, probe count, whole lines). Corruption, without file
  // context, if malformed.
  [[nodiscard]] static Status Parse(std::string_view encoded, BloomFilter* filter);

  // False only if `user_key` was certainly not added.
  bool KeyMayMatch(std::string_view user_key) const {
    return HashMayMatch(SegmentKeyHash(user_key));
  }
  bool HashMayMatch(uint64_t hash) const;

  size_t line_count() const { return line_count_; }
  int probe_count() const { return probe_count_; }

 private:
  const unsigned char* lines_ = nullptr;
  size_t line_count_ = 0;
  int probe_count_ = 0;
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_BLOOM_FILTER_H_
