// Reading one block of a segment file: bounds, checksum, decompression.
//
// Every block read goes through ReadBlock, so every block read verifies its CRC: there is no
// unchecked path from the disk to a decoder.
#ifndef CAIRN_SEGMENT_BLOCK_READER_H_
#define CAIRN_SEGMENT_BLOCK_READER_H_

#include <cstdint>
#include <string_view>

#include "cairn/env.h"
#include "cairn/status.h"
#include "segment/compression.h"
#include "segment/segment_format.h"

namespace cairn::segment {

// Reads the block at `handle` of `file` (named `file_name` in messages) and returns its raw
// (decompressed) bytes. Checks, before allocating or decoding anything: that the block and
// its trailer end at or before `limit_offset` and are at most kSegmentMaxReadableBlockBytes; then the
// trailer's CRC over the stored bytes and type; then the compression type; then the raw size
// of a compressed block against kSegmentMaxReadableBlockBytes. Damage gives Corruption
// "segment <file_name> offset <handle.offset>: ..."; a failed read gives the Env's IOError.
[[nodiscard]] Status ReadBlock(const ReadableFile& file, std::string_view file_name,
                               const BlockHandle& handle, uint64_t limit_offset,
                               OwnedBytes* contents);

// Appends `stored` with its trailer (type, masked CRC) to *out.
void AppendBlockWithTrailer(std::string_view stored, Compression type, std::string* out);

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_BLOCK_READER_H_
