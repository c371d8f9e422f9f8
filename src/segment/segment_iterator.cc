#include "segment/segment_iterator.h"

#include <cassert>

namespace cairn::segment {

SegmentIterator::SegmentIterator(std::shared_ptr<const Segment> segment, bool fill_cache)
    : segment_(std::move(segment)), fill_cache_(fill_cache) {
  index_iter_.Reset(segment_->index_block_.get());
}

bool SegmentIterator::Fail(const Status& status) {
  if (status_.ok()) {
    status_ = status;
  }
  data_iter_.Reset(nullptr);
  data_block_.reset();
  data_block_offset_ = UINT64_MAX;
  return false;
}

bool SegmentIterator::CheckIndex() {
  if (!index_iter_.status().ok()) {
    return Fail(segment_->BlockError(segment_->footer_.index.offset,
                                     index_iter_.status().WithContext("index")));
  }
  return true;
}

bool SegmentIterator::CheckData() {
  if (!data_iter_.status().ok()) {
    return Fail(segment_->BlockError(data_block_offset_, data_iter_.status()));
  }
  return true;
}

bool SegmentIterator::LoadDataBlock() {
  if (!CheckIndex()) {
    return false;
  }
  if (!index_iter_.Valid()) {
    data_iter_.Reset(nullptr);
    data_block_.reset();
    data_block_offset_ = UINT64_MAX;
    return false;
  }
  BlockHandle handle;
  Status s = segment_->DecodeIndexValue(index_iter_.value(), &handle);
  if (!s.ok()) {
    return Fail(s);
  }
  if (handle.offset == data_block_offset_ && data_block_ != nullptr) {
    return true;  // already loaded; the caller repositions data_iter_
  }
  s = segment_->ReadDataBlock(handle, fill_cache_, &data_block_);
  if (!s.ok()) {
    return Fail(s);
  }
  data_block_offset_ = handle.offset;
  data_iter_.Reset(data_block_.get());
  return true;
}

void SegmentIterator::SkipForward() {
  while (status_.ok() && CheckData() && !data_iter_.Valid()) {
    if (!index_iter_.Valid()) {
      return;
    }
    index_iter_.Next();
    if (!LoadDataBlock()) {
      return;
    }
    data_iter_.SeekToFirst();
  }
}

void SegmentIterator::SkipBackward() {
  while (status_.ok() && CheckData() && !data_iter_.Valid()) {
    if (!index_iter_.Valid()) {
      return;
    }
    index_iter_.Prev();
    if (!LoadDataBlock()) {
      return;
    }
    data_iter_.SeekToLast();
  }
}

void SegmentIterator::SeekToFirst() {
  if (!status_.ok()) {
    return;
  }
  index_iter_.SeekToFirst();
  if (LoadDataBlock()) {
    data_iter_.SeekToFirst();
  }
  SkipForward();
}

void SegmentIterator::SeekToLast() {
  if (!status_.ok()) {
    return;
  }
  index_iter_.SeekToLast();
  if (LoadDataBlock()) {
    data_iter_.SeekToLast();
  }
  SkipBackward();
}

void SegmentIterator::Seek(std::string_view internal_key) {
  if (!status_.ok()) {
    return;
  }
  index_iter_.Seek(internal_key);
  if (LoadDataBlock()) {
    data_iter_.Seek(internal_key);
  }
  SkipForward();
}

void SegmentIterator::Next() {
  assert(Valid());
  data_iter_.Next();
  SkipForward();
}

void SegmentIterator::Prev() {
  assert(Valid());
  data_iter_.Prev();
  SkipBackward();
}

}  // namespace cairn::segment
