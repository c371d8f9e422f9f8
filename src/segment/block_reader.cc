#include "segment/block_reader.h"

#include <cstring>

#include "util/coding.h"
#include "util/constants.h"
#include "util/crc32c.h"

namespace cairn::segment {

void AppendBlockWithTrailer(std::string_view stored, Compression type, std::string* out) {
  out->append(stored.data(), stored.size());
  char trailer[kBlockTrailerSize];
  trailer[0] = static_cast<char>(type);
  uint32_t crc = crc32c::Value(stored.data(), stored.size());
  crc = crc32c::Extend(crc, trailer, 1);
  EncodeFixed32(trailer + 1, crc32c::Mask(crc));
  out->append(trailer, sizeof(trailer));
}

Status ReadBlock(const ReadableFile& file, std::string_view file_name, const BlockHandle& handle,
                 uint64_t limit_offset, OwnedBytes* contents) {
  if (!handle.EndsAtOrBefore(limit_offset) || handle.size_bytes > kSegmentMaxReadableBlockBytes) {
    return SegmentCorruption(file_name, handle.offset,
                             "block of " + std::to_string(handle.size_bytes) +
                                 " bytes lies outside its region (ends by " +
                                 std::to_string(limit_offset) + ")");
  }
  const size_t stored_size = static_cast<size_t>(handle.size_bytes);
  const size_t read_size = stored_size + kBlockTrailerSize;
  OwnedBytes buffer = AllocateBytes(read_size);
  std::string_view read;
  CAIRN_RETURN_IF_ERROR(file.Read(handle.offset, read_size, buffer.data.get(), &read));
  if (read.size() != read_size) {
    return SegmentCorruption(file_name, handle.offset, "block truncated by the end of the file");
  }
  if (read.data() != buffer.data.get()) {
    std::memmove(buffer.data.get(), read.data(), read_size);
  }
  const char* data = buffer.data.get();
  const auto type = static_cast<uint8_t>(data[stored_size]);
  const uint32_t expected = crc32c::Unmask(DecodeFixed32(data + stored_size + 1));
  if (crc32c::Value(data, stored_size + 1) != expected) {
    return SegmentCorruption(file_name, handle.offset, "block checksum mismatch");
  }
  if (!IsKnownCompression(type)) {
    return SegmentCorruption(file_name, handle.offset,
                             "unknown block compression type " + std::to_string(type));
  }
  if (type == static_cast<uint8_t>(Compression::kNone)) {
    buffer.size = stored_size;  // the trailer stays allocated but outside the contents
    *contents = std::move(buffer);
    return Status::OK();
  }
  Status s = Decompress(static_cast<Compression>(type), std::string_view(data, stored_size),
                        kSegmentMaxReadableBlockBytes, contents);
  if (s.IsCorruption()) {
    return SegmentCorruption(file_name, handle.offset, s.message());
  }
  if (!s.ok()) {
    return s.WithContext("segment " + std::string(file_name));
  }
  return Status::OK();
}

}  // namespace cairn::segment
