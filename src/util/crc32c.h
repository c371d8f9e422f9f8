// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of every
// Cairn file format. Uses the SSE4.2 crc32 instruction when the CPU has it, else a portable
// slicing-by-8 table implementation; both are tested against published vectors.
#ifndef CAIRN_UTIL_CRC32C_H_
#define CAIRN_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::crc32c {

// Returns the CRC32C of `data` appended to the data whose CRC32C is `crc`.
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

// The two implementations, exposed so tests can check both on any CPU.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n);
// Returns false (and leaves *out unset) when the CPU lacks SSE4.2.
bool ExtendHardware(uint32_t crc, const char* data, size_t n, uint32_t* out);
bool HardwareAvailable();

// A CRC stored next to the data it covers is masked, so that computing the CRC of a buffer
// that contains CRCs (a block holding records) does not degrade the check.
constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace cairn::crc32c

#endif  // CAIRN_UTIL_CRC32C_H_
