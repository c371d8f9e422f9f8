// The segment file's on-disk layout (spec: docs/format-segment.md). Every constant here is
// written to disk: never renumber or change one; add a new format version instead.
//
//   file     := data_block+ [filter_block] index_block properties_block footer
//   block    := stored_bytes[size] trailer        (a block handle covers stored_bytes only)
//   trailer  := type:u8 crc:u32                   masked CRC32C of stored_bytes ++ type
//   stored   := raw                               (type 0, kNone)
//             | raw_size:varint32 codec_bytes      (type 1 kLZ4, type 2 kZstd)
//   footer   := index_offset:u64 index_size:u64 filter_offset:u64 filter_size:u64
//               properties_offset:u64 properties_size:u64
//               footer_size:u32 format_version:u32 footer_crc:u32 magic[8]     (68 bytes)
//
// All integers little-endian. footer_crc is the masked CRC32C of every footer byte before it.
// The last 20 bytes of the footer (footer_size, format_version, footer_crc, magic) keep this
// layout in every format version, so a reader can always tell a newer file (NotSupported)
// from a damaged one (Corruption).
#ifndef CAIRN_SEGMENT_SEGMENT_FORMAT_H_
#define CAIRN_SEGMENT_SEGMENT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/options.h"
#include "cairn/status.h"

namespace cairn::segment {

// "CAIRNSEG": a sorted segment file.
inline constexpr std::string_view kSegmentMagic{"CAIRNSEG", 8};
inline constexpr uint32_t kFormatVersion = 1;

// Every block on disk is followed by its type byte and masked CRC.
inline constexpr size_t kBlockTrailerSize = 5;

// The version 1 footer, and the tail every version shares.
inline constexpr size_t kFooterSize = 68;
inline constexpr size_t kFooterTailSize = 20;   // footer_size, format_version, crc, magic
inline constexpr size_t kFooterCrcOffset = 56;  // within the version 1 footer
// No format version may have a footer larger than this; a reader reads at most this much.
inline constexpr size_t kMaxFooterSize = 4096;
static_assert(kFooterSize == 6 * 8 + 4 + 4 + 4 + kSegmentMagic.size());
static_assert(kFooterCrcOffset + 4 + kSegmentMagic.size() == kFooterSize);
static_assert(kFooterTailSize <= kFooterSize && kFooterSize <= kMaxFooterSize);

// Block compression type bytes are the values of cairn::Compression (include/cairn/options.h),
// frozen there: 0 none, 1 lz4, 2 zstd.
static_assert(static_cast<uint8_t>(Compression::kNone) == 0);
static_assert(static_cast<uint8_t>(Compression::kLZ4) == 1);
static_assert(static_cast<uint8_t>(Compression::kZstd) == 2);
inline bool IsKnownCompression(uint8_t type) { return type <= 2; }
const char* CompressionName(Compression type);

// The bytes of one block in the file: [offset, offset + size_bytes) holds the stored bytes
// and the trailer follows. Encoded in the index as two varint64s, in the footer as two u64s.
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size_bytes = 0;

  // Overflow-safe: whether the block and its trailer end at or before `limit`.
  bool EndsAtOrBefore(uint64_t limit) const {
    return offset <= limit && size_bytes <= limit - offset &&
           kBlockTrailerSize <= limit - offset - size_bytes;
  }
  uint64_t end_offset() const { return offset + size_bytes + kBlockTrailerSize; }
  bool empty() const { return offset == 0 && size_bytes == 0; }
};

inline constexpr size_t kMaxEncodedBlockHandleSize = 20;  // two varint64s
void EncodeBlockHandle(const BlockHandle& handle, std::string* out);
// Consumes a handle from the front of `input`; false if it is truncated or malformed.
[[nodiscard]] bool DecodeBlockHandle(std::string_view* input, BlockHandle* handle);

struct Footer {
  BlockHandle index;
  BlockHandle filter;  // empty() when the segment has no filter
  BlockHandle properties;
  uint32_t format_version = kFormatVersion;
};

// Appends exactly kFooterSize bytes.
void EncodeFooter(const Footer& footer, std::string* out);

// Decodes the footer at the end of a file of `file_size` bytes. `tail` holds the file's last
// bytes: min(file_size, kMaxFooterSize) of them, so that a footer of any version fits. Checks, in
// order: the magic, footer_size, the CRC, the version (newer: NotSupported), then that every handle
// lies inside the file before the footer and within the block size limit. Sets *footer_offset to
// where the footer starts. Errors are Corruption or NotSupported naming `file_name` and an offset.
[[nodiscard]] Status DecodeFooter(std::string_view file_name, std::string_view tail,
                                  uint64_t file_size, Footer* footer, uint64_t* footer_offset);

// Corruption("segment <file_name> offset <offset>: <what>"), the one shape of every segment
// damage report.
Status SegmentCorruption(std::string_view file_name, uint64_t offset, std::string_view what);

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_SEGMENT_FORMAT_H_
