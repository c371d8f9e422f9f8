// Block compression with lz4 or zstd (Debian's liblz4 and libzstd).
//
// A compressed block is stored as raw_size:varint32 followed by the codec's output, so the
// reader knows, and bounds, the size of the buffer it must allocate before decompressing.
#ifndef CAIRN_SEGMENT_COMPRESSION_H_
#define CAIRN_SEGMENT_COMPRESSION_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/options.h"
#include "cairn/status.h"

namespace cairn::segment {

// Compression state reused across the blocks of one segment (a zstd context costs a few
// hundred KiB to create). One thread at a time.
class Compressor {
 public:
  explicit Compressor(Compression type);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  Compression type() const { return type_; }

  // Sets *out (cleared first) to the stored form of `raw` and returns true when compressing
  // saves at least 1/8 of the bytes; otherwise returns false and the block is stored raw.
  // Always false for kNone.
  bool Compress(std::string_view raw, std::string* out);

 private:
  Compression type_;
  void* zstd_cctx_ = nullptr;  // ZSTD_CCtx*, created on first use
};

// A decoded buffer owned by its holder.
struct OwnedBytes {
  std::unique_ptr<char[]> data;
  size_t size = 0;

  std::string_view view() const { return {data.get(), size}; }
};

// Allocates `size` bytes, uninitialised.
OwnedBytes AllocateBytes(size_t size);

// Decodes the stored form of a block of `type` (kLZ4 or kZstd). The declared raw size is
// checked against `max_raw_size` before anything is allocated, and the codec must produce
// exactly that many bytes. Corruption (a message without file context) otherwise.
[[nodiscard]] Status Decompress(Compression type, std::string_view stored, size_t max_raw_size,
                                OwnedBytes* out);

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_COMPRESSION_H_
