// Little-endian fixed-width and varint encoding of integers, the byte order of every Cairn
// file format. Decoders never read past the input they are given: they return false (or
// advance nothing) on truncated or overlong input, so data from disk cannot make them
// overrun a buffer.
#ifndef CAIRN_UTIL_CODING_H_
#define CAIRN_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cairn {

inline void EncodeFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; i++) {
    dst[i] = static_cast<char>(value >> (8 * i));
  }
}

inline void EncodeFixed64(char* dst, uint64_t value) {
  for (int i = 0; i < 8; i++) {
    dst[i] = static_cast<char>(value >> (8 * i));
  }
}

inline uint32_t DecodeFixed32(const char* src) {
  uint32_t value = 0;
  for (int i = 0; i < 4; i++) {
    value |= static_cast<uint32_t>(static_cast<unsigned char>(src[i])) << (8 * i);
  }
  return value;
}

inline uint64_t DecodeFixed64(const char* src) {
  uint64_t value = 0;
  for (int i = 0; i < 8; i++) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(src[i])) << (8 * i);
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
