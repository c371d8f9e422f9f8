#include "segment/bloom_filter.h"

#include <algorithm>
#include <cassert>

#include "util/coding.h"
#include "util/constants.h"

namespace cairn::segment {
namespace {

// Odd 64-bit multipliers with well-spread bits: 2^64 divided by the golden ratio, and the
// two constants of the splitmix64 output function, which is used as the final avalanche.
constexpr uint64_t kMulGolden = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kMulMixA = 0xbf58476d1ce4e5b9ull;
constexpr uint64_t kMulMixB = 0x94d049bb133111ebull;
constexpr uint64_t kHashSeed = 0x43414952'4e534547ull;  // "CAIRNSEG" read as a number

inline uint64_t RotateLeft(uint64_t x, int bits) { return (x << bits) | (x >> (64 - bits)); }

inline uint64_t Avalanche(uint64_t x) {
  x ^= x >> 30;
  x *= kMulMixA;
  x ^= x >> 27;
  x *= kMulMixB;
  x ^= x >> 31;
  return x;
}

inline uint64_t Absorb(uint64_t h, uint64_t word) {
  return RotateLeft(h ^ (word * kMulMixA), 31) * kMulGolden;
}

// The line a hash falls in: the high 32 bits scaled to [0, line_count) (a multiply and a
// shift instead of a division).
inline size_t LineIndex(uint64_t hash, size_t line_count) {
  return static_cast<size_t>(((hash >> 32) * static_cast<uint64_t>(line_count)) >> 32);
}

// The probe sequence inside a line: bit (a + i*b) mod 512, from the low 18 bits of the hash;
// b is odd, so the first 512 probes are distinct.
struct Probes {
  explicit Probes(uint64_t hash)
      : a(static_cast<uint32_t>(hash) & 511u),
        b(((static_cast<uint32_t>(hash) >> 9) & 511u) | 1u) {}
  uint32_t a;
  uint32_t b;
};

}  // namespace

uint64_t SegmentKeyHash(std::string_view key) {
  const char* p = key.data();
  size_t n = key.size();
  uint64_t h = kHashSeed ^ (static_cast<uint64_t>(n) * kMulGolden);
  while (n >= 8) {
    h = Absorb(h, DecodeFixed64(p));
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t word = 0;
    for (size_t i = 0; i < n; i++) {
      word |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    }
    h = Absorb(h, word);
  }
  return Avalanche(h);
}

int BloomProbeCount(int bits_per_key) {
  // ln 2 * bits_per_key minimises false positives for a plain Bloom filter; confining the
  // probes to one line favours a few fewer (measured: 6 at 10 bits per key).
  const int probes = (bits_per_key * 6 + 5) / 10;
  return std::clamp(probes, 1, kBloomMaxProbes);
}

BloomFilterBuilder::BloomFilterBuilder(int bits_per_key)
    : bits_per_key_(bits_per_key), probe_count_(BloomProbeCount(bits_per_key)) {
  assert(bits_per_key >= 1 && bits_per_key <= kSegmentMaxBloomBitsPerKey);
}

size_t BloomFilterBuilder::LineCount() const {
  const uint64_t bits = static_cast<uint64_t>(hashes_.size()) * bits_per_key_;
  return std::max<size_t>(1, (bits + kBloomLineBits - 1) / kBloomLineBits);
}

void BloomFilterBuilder::Finish(std::string* out) const {
  const size_t line_count = LineCount();
  const size_t start = out->size();
  out->resize(start + line_count * kBloomLineBytes, '\0');
  auto* lines = reinterpret_cast<unsigned char*>(out->data() + start);
  for (uint64_t hash : hashes_) {
    unsigned char* line = lines + LineIndex(hash, line_count) * kBloomLineBytes;
    Probes probes(hash);
    uint32_t bit = probes.a;
    for (int i = 0; i < probe_count_; i++) {
      line[bit >> 3] |= static_cast<unsigned char>(1u << (bit & 7));
      bit = (bit + probes.b) & 511u;
    }
  }
  out->push_back(static_cast<char>(kBloomFilterKind));
  out->push_back(static_cast<char>(probe_count_));
}

Status BloomFilter::Parse(std::string_view encoded, BloomFilter* filter) {
  if (encoded.size() < kBloomLineBytes + 2 || (encoded.size() - 2) % kBloomLineBytes != 0) {
    return Status::Corruption("filter: size " + std::to_string(encoded.size()) +
                              " is not whole lines");
  }
  const auto kind = static_cast<uint8_t>(encoded[encoded.size() - 2]);
  const auto probes = static_cast<uint8_t>(encoded[encoded.size() - 1]);
  if (kind != kBloomFilterKind) {
    return Status::Corruption("filter: unknown kind " + std::to_string(kind));
  }
  if (probes == 0 || probes > kBloomMaxProbes) {
    return Status::Corruption("filter: probe count " + std::to_string(probes) + " out of range");
  }
  filter->lines_ = reinterpret_cast<const unsigned char*>(encoded.data());
  filter->line_count_ = (encoded.size() - 2) / kBloomLineBytes;
  filter->probe_count_ = probes;
  return Status::OK();
}

bool BloomFilter::HashMayMatch(uint64_t hash) const {
  if (lines_ == nullptr) {
    return true;  // no filter: everything may match
  }
  const unsigned char* line = lines_ + LineIndex(hash, line_count_) * kBloomLineBytes;
  Probes probes(hash);
  uint32_t bit = probes.a;
  for (int i = 0; i < probe_count_; i++) {
    if ((line[bit >> 3] & (1u << (bit & 7))) == 0) {
      return false;
    }
    bit = (bit + probes.b) & 511u;
  }
  return true;
}

}  // namespace cairn::segment
