// SegmentIterator: the two-level cursor over a segment: the index block picks a data block,
// a BlockIter walks it, and crossing a block boundary in either direction loads the
// neighbouring block (through the block cache).
//
// Errors: the first failure (a block that cannot be read, fails its CRC or has a malformed
// entry) makes the iterator invalid and is returned by status() from then on, naming the
// file and block offset; no later call clears it, so a damaged block is never skipped.
// key() and value() are valid until the iterator moves. One thread at a time.
#ifndef CAIRN_SEGMENT_SEGMENT_ITERATOR_H_
#define CAIRN_SEGMENT_SEGMENT_ITERATOR_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "segment/block.h"
#include "segment/segment.h"
#include "util/internal_iterator.h"

namespace cairn::segment {

class SegmentIterator final : public InternalIterator {
 public:
  SegmentIterator(std::shared_ptr<const Segment> segment, bool fill_cache);

  bool Valid() const override { return status_.ok() && data_iter_.Valid(); }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view internal_key) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return data_iter_.key(); }
  std::string_view value() const override { return data_iter_.value(); }
  Status status() const override { return status_; }

 private:
  // Loads the data block the index cursor points at (none if it is invalid).
  bool LoadDataBlock();
  // After the data cursor ran off the end (start) of its block, moves to the first (last)
  // entry of the next (previous) block.
  void SkipForward();
  void SkipBackward();
  // Records the first error and invalidates the iterator. Returns false.
  bool Fail(const Status& status);
  // Checks the cursors for errors after a move.
  bool CheckIndex();
  bool CheckData();

  const std::shared_ptr<const Segment> segment_;
  const bool fill_cache_;
  BlockIter index_iter_;
  std::shared_ptr<const Block> data_block_;
  uint64_t data_block_offset_ = UINT64_MAX;
  BlockIter data_iter_;
  Status status_;
};

}  // namespace cairn::segment

#endif  // CAIRN_SEGMENT_SEGMENT_ITERATOR_H_
