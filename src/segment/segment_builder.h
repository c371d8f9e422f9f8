// SegmentBuilder: writes one segment file from entries given in internal-key order
// (docs/format-segment.md).
//
// Use: Open, Add every entry, WidenCommitTimeRange at least once, then Finish (which writes
// the filter, index, properties and footer, fdatasyncs the file and closes it). The caller
// then fsyncs the directory before referencing the file anywhere (the manifest). On any
// failure, or to give up, call Abandon() and delete the file: a partial segment is never
// valid (it has no footer, or a footer that does not match its size).
//
// Errors: the first write error is sticky; every later Add and Finish returns it. Entries out
// of order, oversized keys or values, and an unset commit-time range are InvalidArgument
// (out-of-order entries also assert: they are a programmer error).
//
// Thread safety: one thread at a time. The Env must outlive the builder.
#ifndef CAIRN_SEGMENT_SEGMENT_BUILDER_H_
#define CAIRN_SEGMENT_SEGMENT_BUILDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/env.h"
#include "cairn/options.h"
#include "cairn/status.h"
#include "segment/block_builder.h"
#include "segment/bloom_filter.h"
#include "segment/compression.h"
#include "segment/properties.h"
#include "segment/segment_format.h"

namespace cairn::segment {

class SegmentBuilder {
 public:
  // Creates `path` (truncating an existing file). Uses options.block_size_bytes (clamped to
  // [kSegmentMinTargetBlockBytes, kSegmentMaxTargetBlockBytes]), options.bloom_bits_per_key
  // (clamped to [0, kSegmentMaxBloomBitsPerKey]; 0 writes no filter) and
  // options.compression. The Env's IOError if the file cannot be created.
  static Result<std::unique_ptr<SegmentBuilder>> Open(Env* env, const std::string& path,
                                                      const Options& options);

  // Requires that Finish() or Abandon() was called.
  ~SegmentBuilder();
  SegmentBuilder(const SegmentBuilder&) = delete;
  SegmentBuilder& operator=(const SegmentBuilder&) = delete;

  // Adds an entry. `internal_key` must be greater than every key added before, in
  // CompareInternalKeys order, have a known kind, and its user key and the value must be
  // within kMaxKeySizeBytes and kMaxValueSizeBytes (InvalidArgument otherwise). May write
  // to the file (a sticky IOError on failure).
  [[nodiscard]] Status Add(std::string_view internal_key, std::string_view value);

  // Widens the commit-time range recorded in the properties to include
  // [min_micros, max_micros]: the caller passes the commit-time range of the MemTable or of
  // the input segments. Required at least once before Finish().
  void WidenCommitTimeRange(uint64_t min_micros, uint64_t max_micros);

  // Bytes produced so far plus the open data block: how large the file would be if finished
  // now, give or take the index, filter and footer. For cutting compaction outputs.
  uint64_t EstimatedFileSizeBytes() const { return offset_ + data_block_.CurrentSizeEstimate(); }
  uint64_t entry_count() const { return properties_.entry_count; }

  // Writes the rest of the file, fdatasyncs it and closes it. On OK fills *properties and
  // *file_size_bytes (the exact size of the file, to be recorded with it). With no entries,
  // or without a commit-time range, InvalidArgument. The file is closed either way;
  // afterwards only Abandon() (a no-op) may be called.
  [[nodiscard]] Status Finish(SegmentProperties* properties, uint64_t* file_size_bytes);

  // Closes the file without finishing it. The caller deletes it. Idempotent.
  void Abandon();

  // The sticky error, if any.
  const Status& status() const { return status_; }

 private:
  SegmentBuilder(Env* env, std::string path, std::unique_ptr<WritableFile> file,
                 const Options& options);

  // Ends the open data block and queues it for writing.
  void FlushDataBlock();
  // Adds the index entry for the data block just flushed. next_key: the first key of the
  // next block, or empty for the last block.
  void AddIndexEntry(std::string_view next_key);
  // Appends a block with its trailer to the write buffer; returns its handle.
  BlockHandle AppendBlock(std::string_view stored, Compression type);
  // Hands the write buffer to the file. Sets the sticky status on failure.
  void WriteBuffer();
  Status WriteMetaBlocks(Footer* footer);
  void CloseFile();

  Env* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> file_;  // null once closed
  const size_t block_size_bytes_;
  Compressor compressor_;
  std::optional<BloomFilterBuilder> filter_;

  BlockBuilder data_block_;
  BlockBuilder index_block_;
  bool pending_index_entry_ = false;
  BlockHandle pending_handle_;
  std::string last_key_;    // the last internal key added
  std::string compressed_;  // scratch for block compression
  std::string buffer_;      // bytes not yet handed to the file
  uint64_t offset_ = 0;     // bytes produced: written plus buffered
  bool commit_range_set_ = false;
  bool finished_ = false;
  SegmentProperties properties_;
  Status status_;
};

// The index key for a block whose last key is `last_key` when the next block starts with
// `next_key` (both internal keys, last_key < next_key): a key k with last_key <= k < next_key,
// as short as cheaply possible, so the index stays small. Sets *out.
void IndexSeparator(std::string_view last_key, std::string_view next_key, std::string* out);

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_SEGMENT_BUILDER_H_
