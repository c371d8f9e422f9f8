#include "segment/compression.h"

#include <lz4.h>
#include <zstd.h>

#include <cassert>
#include <limits>

#include "util/coding.h"
#include "util/constants.h"

namespace cairn::segment {
namespace {

// zstd level 3 (the library's default): most of zstd's ratio advantage over lz4 at a write
// speed compaction can sustain.
constexpr int kZstdLevel = 3;

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

// One decompression context per reading thread, created on first use: creating one per
// block would allocate on every block read.
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

Compressor::Compressor(Compression type) : type_(type) {}

Compressor::~Compressor() {
  if (zstd_cctx_ != nullptr) {
    ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(zstd_cctx_));
  }
}

bool Compressor::Compress(std::string_view raw, std::string* out) {
  out->clear();
  if (type_ == Compression::kNone || raw.size() > kSegmentMaxReadableBlockBytes) {
    return false;
  }
  PutVarint32(out, static_cast<uint32_t>(raw.size()));
  const size_t header = out->size();
  size_t produced = 0;
  if (type_ == Compression::kLZ4) {
    const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    out->resize(header + static_cast<size_t>(bound));
    const int n =
        LZ4_compress_default(raw.data(), out->data() + header, static_cast<int>(raw.size()), bound);
    if (n <= 0) {
      return false;
    }
    produced = static_cast<size_t>(n);
  } else {
    assert(type_ == Compression::kZstd);
    if (zstd_cctx_ == nullptr) {
      zstd_cctx_ = ZSTD_createCCtx();
      if (zstd_cctx_ == nullptr) {
        return false;  // out of memory: store raw
      }
    }
    const size_t bound = ZSTD_compressBound(raw.size());
    out->resize(header + bound);
    const size_t n = ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(zstd_cctx_), out->data() + header,
                                       bound, raw.data(), raw.size(), kZstdLevel);
    if (ZSTD_isError(n)) {
      return false;
    }
    produced = n;
  }
  out->resize(header + produced);
  // Worth it only when at least 1/8 is saved: otherwise decompressing on every read costs
  // more than the bytes it saves.
  return out->size() <= raw.size() - raw.size() / 8;
}

OwnedBytes AllocateBytes(size_t size) {
  OwnedBytes bytes;
  bytes.data.reset(new char[size == 0 ? 1 : size]);  // uninitialised: filled by the caller
  bytes.size = size;
  return bytes;
}

Status Decompress(Compression type, std::string_view stored, size_t max_raw_size, OwnedBytes* out) {
  uint32_t raw_size = 0;
  if (!GetVarint32(&stored, &raw_size)) {
    return Status::Corruption("compressed block: bad raw size");
  }
  if (raw_size > max_raw_size || raw_size == 0) {
    return Status::Corruption("compressed block: raw size " + std::to_string(raw_size) +
                              " out of range");
  }
  if (stored.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::Corruption("compressed block too large");
  }
  OwnedBytes raw = AllocateBytes(raw_size);
  if (type == Compression::kLZ4) {
    const int n = LZ4_decompress_safe(stored.data(), raw.data.get(),
                                      static_cast<int>(stored.size()), static_cast<int>(raw_size));
    if (n < 0 || static_cast<uint32_t>(n) != raw_size) {
      return Status::Corruption("lz4 block does not decompress to its raw size");
    }
  } else if (type == Compression::kZstd) {
    ZSTD_DCtx* ctx = ThreadDCtx();
    if (ctx == nullptr) {
      return Status::IOError("zstd: cannot create a decompression context (out of memory)");
    }
    const size_t n =
        ZSTD_decompressDCtx(ctx, raw.data.get(), raw_size, stored.data(), stored.size());
    if (ZSTD_isError(n) || n != raw_size) {
      return Status::Corruption("zstd block does not decompress to its raw size");
    }
  } else {
    return Status::Corruption("unknown compression type");
  }
  *out = std::move(raw);
  return Status::OK();
}

}  // namespace cairn::segment
