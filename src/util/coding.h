// Little-endian fixed-width and varint encoding of integers, the byte order of every Cairn
// file format. Decoders never read past the input they are given: they return false (or
// advance nothing) on truncated or overlong input, so data from disk cannot make them
// overrun a buffer.
#ifndef CAIRN_UTIL_CODING_H_
#define CAIRN_UTIL_CODING_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cairn {

// The fixed-width codecs are a plain load or store on little-endian hosts (they sit on every
// hot path: block entries, WAL records, key trailers) and byte-swap elsewhere.
inline void EncodeFixed32(char* dst, uint32_t value) {
  if constexpr (std::endian::native != std::endian::little) {
    value = __builtin_bswap32(value);
  }
  std::memcpy(dst, &value, sizeof(value));
}

inline void EncodeFixed64(char* dst, uint64_t value) {
  if constexpr (std::endian::native != std::endian::little) {
    value = __builtin_bswap64(value);
  }
  std::memcpy(dst, &value, sizeof(value));
}

inline uint32_t DecodeFixed32(const char* src) {
  uint32_t value = 0;
  std::memcpy(&value, src, sizeof(value));
  if constexpr (std::endian::native != std::endian::little) {
    value = __builtin_bswap32(value);
  }
  return value;
}

inline uint64_t DecodeFixed64(const char* src) {
  uint64_t value = 0;
  std::memcpy(&value, src, sizeof(value));
  if constexpr (std::endian::native != std::endian::little) {
    value = __builtin_bswap64(value);
  }
  return value;
}

// Big-endian: the first byte is the most significant, so comparing two such words compares
// their bytes in memory order (inline key comparison).
inline uint64_t DecodeBigEndian64(const char* src) {
  uint64_t value = 0;
  std::memcpy(&value, src, sizeof(value));
  if constexpr (std::endian::native == std::endian::little) {
    value = __builtin_bswap64(value);
  }
  return value;
}

void PutFixed32(std::string* dst, uint32_t value);
void PutFixed64(std::string* dst, uint64_t value);
void PutVarint32(std::string* dst, uint32_t value);
void PutVarint64(std::string* dst, uint64_t value);
// A varint32 length followed by the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view value);

// Each Get* consumes from the front of `input` and returns true, or returns false and leaves
// `input` in an unspecified position when the input is truncated or malformed.
bool GetFixed32(std::string_view* input, uint32_t* value);
bool GetFixed64(std::string_view* input, uint64_t* value);
bool GetVarint32(std::string_view* input, uint32_t* value);
bool GetVarint64(std::string_view* input, uint64_t* value);
// The length must fit in the remaining input; nothing is allocated.
bool GetLengthPrefixed(std::string_view* input, std::string_view* value);

// Encoded size of a varint.
int VarintLength(uint64_t value);

// Writes a varint32 at `dst` (which must have 5 bytes) and returns the byte after it.
char* EncodeVarint32(char* dst, uint32_t value);

}  // namespace cairn

#endif  // CAIRN_UTIL_CODING_H_
