#include "segment/segment_format.h"

#include <algorithm>
#include <cassert>

#include "util/coding.h"
#include "util/constants.h"
#include "util/crc32c.h"

namespace cairn::segment {

const char* CompressionName(Compression type) {
  switch (type) {
    case Compression::kNone:
      return "none";
    case Compression::kLZ4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

void EncodeBlockHandle(const BlockHandle& handle, std::string* out) {
  PutVarint64(out, handle.offset);
  PutVarint64(out, handle.size_bytes);
}

bool DecodeBlockHandle(std::string_view* input, BlockHandle* handle) {
  return GetVarint64(input, &handle->offset) && GetVarint64(input, &handle->size_bytes);
}

Status SegmentCorruption(std::string_view file_name, uint64_t offset, std::string_view what) {
  std::string message = "segment ";
  message.append(file_name);
  message.append(" offset ");
  message.append(std::to_string(offset));
  message.append(": ");
  message.append(what);
  return Status::Corruption(message);
}

void EncodeFooter(const Footer& footer, std::string* out) {
  assert(footer.format_version == kFormatVersion);
  const size_t start = out->size();
  for (const BlockHandle* handle : {&footer.index, &footer.filter, &footer.properties}) {
    PutFixed64(out, handle->offset);
    PutFixed64(out, handle->size_bytes);
  }
  PutFixed32(out, static_cast<uint32_t>(kFooterSize));
  PutFixed32(out, footer.format_version);
  assert(out->size() - start == kFooterCrcOffset);
  PutFixed32(out, crc32c::Mask(crc32c::Value(out->data() + start, kFooterCrcOffset)));
  out->append(kSegmentMagic);
  assert(out->size() - start == kFooterSize);
}

namespace {

// Checks one handle from the footer against the file's geometry.
Status CheckFooterHandle(std::string_view file_name, uint64_t footer_offset,
                         const BlockHandle& handle, const char* what, bool may_be_empty) {
  if (may_be_empty && handle.empty()) {
    return Status::OK();
  }
  if (!handle.EndsAtOrBefore(footer_offset)) {
    return SegmentCorruption(file_name, footer_offset,
                             std::string("footer: ") + what + " block handle [" +
                                 std::to_string(handle.offset) + ", +" +
                                 std::to_string(handle.size_bytes) + ") outside the file");
  }
  if (handle.size_bytes > kSegmentMaxReadableBlockBytes || handle.size_bytes == 0) {
    return SegmentCorruption(file_name, footer_offset,
                             std::string("footer: ") + what + " block size " +
                                 std::to_string(handle.size_bytes) + " out of range");
  }
  return Status::OK();
}

}  // namespace

Status DecodeFooter(std::string_view file_name, std::string_view tail, uint64_t file_size,
                    Footer* footer, uint64_t* footer_offset) {
  assert(tail.size() <= file_size);
  if (tail.size() < kFooterTailSize) {
    return SegmentCorruption(
        file_name, 0,
        "file of " + std::to_string(file_size) + " bytes is too short to hold a segment footer");
  }
  const char* end = tail.data() + tail.size();
  if (std::string_view(end - kSegmentMagic.size(), kSegmentMagic.size()) != kSegmentMagic) {
    return SegmentCorruption(file_name, file_size - kSegmentMagic.size(),
                             "bad magic (not a segment file, or its end was lost)");
  }
  const uint32_t footer_size = DecodeFixed32(end - kFooterTailSize);
  const uint32_t version = DecodeFixed32(end - kFooterTailSize + 4);
  const uint32_t stored_crc = DecodeFixed32(end - kFooterTailSize + 8);
  if (footer_size < kFooterTailSize || footer_size > tail.size()) {
    return SegmentCorruption(file_name, file_size - kFooterTailSize,
                             "footer size " + std::to_string(footer_size) + " out of range");
  }
  const uint64_t offset = file_size - footer_size;
  const char* start = end - footer_size;
  const size_t covered = footer_size - (kFooterTailSize - 8);  // everything before the CRC
  if (crc32c::Unmask(stored_crc) != crc32c::Value(start, covered)) {
    return SegmentCorruption(file_name, offset, "footer checksum mismatch");
  }
  if (version > kFormatVersion) {
    return Status::NotSupported("segment " + std::string(file_name) + ": format version " +
                                std::to_string(version) + " is newer than this build reads (" +
                                std::to_string(kFormatVersion) + ")");
  }
  if (version == 0 || footer_size != kFooterSize) {
    return SegmentCorruption(
        file_name, offset,
        "bad footer: version " + std::to_string(version) + ", size " + std::to_string(footer_size));
  }
  Footer decoded;
  decoded.format_version = version;
  BlockHandle* handles[] = {&decoded.index, &decoded.filter, &decoded.properties};
  for (int i = 0; i < 3; i++) {
    handles[i]->offset = DecodeFixed64(start + 16 * i);
    handles[i]->size_bytes = DecodeFixed64(start + 16 * i + 8);
  }
  CAIRN_RETURN_IF_ERROR(CheckFooterHandle(file_name, offset, decoded.index, "index", false));
  CAIRN_RETURN_IF_ERROR(CheckFooterHandle(file_name, offset, decoded.filter, "filter", true));
  CAIRN_RETURN_IF_ERROR(
      CheckFooterHandle(file_name, offset, decoded.properties, "properties", false));
  *footer = decoded;
  *footer_offset = offset;
  return Status::OK();
}

}  // namespace cairn::segment
