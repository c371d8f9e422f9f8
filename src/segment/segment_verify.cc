// Segment::VerifyAllBlocks: the full check behind `cairn verify` and scrubbing. Everything
// is read again from the file, bypassing the block cache, because the point is to find
// damage that happened on disk after the segment was opened.
#include <string>

#include "segment/block_reader.h"
#include "segment/segment.h"
#include "util/internal_key.h"

namespace cairn::segment {

Status Segment::VerifyDataBlocks(uint64_t* blocks_checked) const {
  BlockIter index(index_block_.get());
  BlockIter entry;
  std::string previous_key;
  std::string previous_separator;  // empty before the second block (keys are never empty)
  uint64_t entries = 0;
  for (index.SeekToFirst(); index.Valid(); index.Next()) {
    BlockHandle handle;
    CAIRN_RETURN_IF_ERROR(DecodeIndexValue(index.value(), &handle));
    OwnedBytes contents;
    CAIRN_RETURN_IF_ERROR(ReadBlock(*file_, file_name_, handle, data_end_, &contents));
    Result<std::shared_ptr<const Block>> block = Block::Parse(std::move(contents));
    if (!block.ok()) {
      return SegmentCorruption(file_name_, handle.offset, "data " + block.status().message());
    }
    ++*blocks_checked;
    entry.Reset(block.value().get());
    for (entry.SeekToFirst(); entry.Valid(); entry.Next()) {
      // Every key is above the previous one and the previous block's separator, and at most
      // this block's separator: exactly what Seek and Get rely on.
      const std::string_view key = entry.key();
      const bool after_previous =
          (entries == 0 || CompareInternalKeys(previous_key, key) < 0) &&
          (previous_separator.empty() || CompareInternalKeys(previous_separator, key) < 0);
      if (!after_previous || CompareInternalKeys(key, index.key()) > 0) {
        return SegmentCorruption(
            file_name_, handle.offset,
            "key out of order at block entry " + std::to_string(entry.entry_offset()));
      }
      const auto kind = ExtractKind(key);
      if (kind != ValueKind::kPut && kind != ValueKind::kDelete) {
        return SegmentCorruption(file_name_, handle.offset, "entry of unknown kind");
      }
      const uint64_t sequence = ExtractSequence(key);
      if (sequence < properties_.min_sequence || sequence > properties_.max_sequence) {
        // Fuzz bug 5: such an entry would carry a sequence number past the database's into
        // a compaction's output.
        return SegmentCorruption(file_name_, handle.offset,
                                 "entry sequence " + std::to_string(sequence) +
                                     " outside the segment's recorded range");
      }
      if (entries == 0 && key != properties_.smallest_key) {
        return SegmentCorruption(file_name_, handle.offset, "first key is not the smallest key");
      }
      previous_key.assign(key);
      entries++;
    }
    if (!entry.status().ok()) {
      return BlockError(handle.offset, entry.status());
    }
    previous_separator.assign(index.key());
  }
  if (!index.status().ok()) {
    return BlockError(footer_.index.offset, index.status().WithContext("index"));
  }
  if (entries != properties_.entry_count || previous_key != properties_.largest_key) {
    return SegmentCorruption(file_name_, footer_.properties.offset,
                             "properties disagree with the data: " + std::to_string(entries) +
                                 " entries read, " + std::to_string(properties_.entry_count) +
                                 " recorded, or the last key is not the largest");
  }
  return Status::OK();
}

Status Segment::VerifyAllBlocks(uint64_t* blocks_checked) const {
  *blocks_checked = 0;
  // The metadata blocks first: each read verifies its CRC again.
  for (const BlockHandle* handle : {&footer_.properties, &footer_.index, &footer_.filter}) {
    if (handle->empty()) {
      continue;
    }
    OwnedBytes contents;
    CAIRN_RETURN_IF_ERROR(ReadBlock(*file_, file_name_, *handle, footer_offset_, &contents));
    ++*blocks_checked;
  }
  return VerifyDataBlocks(blocks_checked);
}

}  // namespace cairn::segment
