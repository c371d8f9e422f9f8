#include "segment/segment.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "segment/block_reader.h"
#include "segment/segment_iterator.h"
#include "util/constants.h"
#include "util/internal_key.h"

namespace cairn::segment {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Segment::Segment(PrivateTag, std::unique_ptr<ReadableFile> file, std::string file_name,
                 uint64_t file_number, uint64_t file_size_bytes, BlockCache* cache)
    : file_(std::move(file)),
      file_name_(std::move(file_name)),
      file_number_(file_number),
      file_size_bytes_(file_size_bytes),
      cache_(cache) {}

Result<std::shared_ptr<Segment>> Segment::Open(Env* env, const std::string& path,
                                               uint64_t file_number, uint64_t file_size_bytes,
                                               BlockCache* cache) {
  Result<std::unique_ptr<ReadableFile>> file = env->NewReadableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  std::string file_name = BaseName(path);
  Result<uint64_t> size = file.value()->Size();
  if (!size.ok()) {
    return size.status();
  }
  if (size.value() != file_size_bytes) {
    return SegmentCorruption(file_name, std::min(size.value(), file_size_bytes),
                             "file is " + std::to_string(size.value()) + " bytes, expected " +
                                 std::to_string(file_size_bytes) +
                                 (size.value() < file_size_bytes ? " (truncated)" : ""));
  }
  auto segment =
      std::make_shared<Segment>(PrivateTag{}, std::move(file).value(), std::move(file_name),
                                file_number, file_size_bytes, cache);
  CAIRN_RETURN_IF_ERROR(segment->Load());
  return segment;
}

Status Segment::Load() {
  const size_t tail_size =
      static_cast<size_t>(std::min<uint64_t>(file_size_bytes_, kMaxFooterSize));
  char tail[kMaxFooterSize];
  std::string_view read;
  CAIRN_RETURN_IF_ERROR(file_->Read(file_size_bytes_ - tail_size, tail_size, tail, &read));
  if (read.size() != tail_size) {
    return SegmentCorruption(file_name_, file_size_bytes_ - tail_size,
                             "file shorter than its size");
  }
  CAIRN_RETURN_IF_ERROR(
      DecodeFooter(file_name_, read, file_size_bytes_, &footer_, &footer_offset_));
  data_end_ = std::min(footer_.index.offset, footer_.properties.offset);
  if (!footer_.filter.empty()) {
    data_end_ = std::min(data_end_, footer_.filter.offset);
  }

  OwnedBytes properties;
  CAIRN_RETURN_IF_ERROR(
      ReadBlock(*file_, file_name_, footer_.properties, footer_offset_, &properties));
  Status s = DecodeProperties(properties.view(), &properties_);
  if (!s.ok()) {
    return SegmentCorruption(file_name_, footer_.properties.offset, s.message());
  }
  CAIRN_RETURN_IF_ERROR(LoadIndex(footer_));
  return LoadFilter(footer_);
}

Status Segment::LoadIndex(const Footer& footer) {
  OwnedBytes contents;
  CAIRN_RETURN_IF_ERROR(ReadBlock(*file_, file_name_, footer.index, footer_offset_, &contents));
  Result<std::shared_ptr<const Block>> index = Block::Parse(std::move(contents));
  if (!index.ok()) {
    return SegmentCorruption(file_name_, footer.index.offset, "index " + index.status().message());
  }
  index_block_ = std::move(index).value();
  return CheckAndDecodeIndex();
}

Status Segment::CheckAndDecodeIndex() {
  BlockIter it(index_block_.get());
  uint64_t expected_offset = 0;
  uint64_t count = 0;
  std::string previous_key;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    BlockHandle handle;
    CAIRN_RETURN_IF_ERROR(DecodeIndexValue(it.value(), &handle));
    if (handle.offset != expected_offset || !handle.EndsAtOrBefore(data_end_) ||
        handle.size_bytes == 0) {
      return SegmentCorruption(
          file_name_, footer_.index.offset,
          "index entry " + std::to_string(count) + ": data block handle out of place");
    }
    if (count > 0 && CompareInternalKeys(previous_key, it.key()) >= 0) {
      return SegmentCorruption(file_name_, footer_.index.offset,
                               "index keys out of order at entry " + std::to_string(count));
    }
    previous_key.assign(it.key());
    index_entries_.push_back(IndexEntry{index_keys_.size(), it.key().size(), handle});
    index_keys_.append(it.key());
    expected_offset = handle.end_offset();
    count++;
  }
  if (!it.status().ok()) {
    return BlockError(footer_.index.offset, it.status().WithContext("index"));
  }
  if (expected_offset != data_end_ || count != properties_.data_block_count) {
    return SegmentCorruption(file_name_, footer_.index.offset,
                             "index covers " + std::to_string(count) + " blocks ending at " +
                                 std::to_string(expected_offset) + ", properties say " +
                                 std::to_string(properties_.data_block_count) +
                                 " blocks ending at " + std::to_string(data_end_));
  }
  if (CompareInternalKeys(previous_key, properties_.largest_key) < 0) {
    return SegmentCorruption(file_name_, footer_.index.offset,
                             "last index key is below the largest key");
  }
  return Status::OK();
}

Status Segment::LoadFilter(const Footer& footer) {
  if (footer.filter.empty()) {
    return Status::OK();  // written without a filter: filter_ matches everything
  }
  CAIRN_RETURN_IF_ERROR(
      ReadBlock(*file_, file_name_, footer.filter, footer_offset_, &filter_bytes_));
  Status s = BloomFilter::Parse(filter_bytes_.view(), &filter_);
  if (!s.ok()) {
    return SegmentCorruption(file_name_, footer.filter.offset, s.message());
  }
  return Status::OK();
}

size_t Segment::memory_usage_bytes() const {
  return index_block_->size_bytes() + index_entries_.capacity() * sizeof(IndexEntry) +
         index_keys_.capacity() + filter_bytes_.size + sizeof(*this) +
         properties_.smallest_key.size() + properties_.largest_key.size();
}

Status Segment::DecodeIndexValue(std::string_view value, BlockHandle* handle) const {
  if (!DecodeBlockHandle(&value, handle) || !value.empty()) {
    return SegmentCorruption(file_name_, footer_.index.offset, "index entry: bad block handle");
  }
  return Status::OK();
}

Status Segment::BlockError(uint64_t block_offset, const Status& status) const {
  if (status.IsCorruption()) {
    return SegmentCorruption(file_name_, block_offset, status.message());
  }
  return status;
}

Status Segment::ReadDataBlock(const BlockHandle& handle, bool fill_cache,
                              std::shared_ptr<const Block>* block) const {
  if (cache_ != nullptr) {
    std::shared_ptr<const Block> cached = cache_->Lookup(file_number_, handle.offset);
    if (cached != nullptr) {
      *block = std::move(cached);
      return Status::OK();
    }
  }
  OwnedBytes contents;
  CAIRN_RETURN_IF_ERROR(ReadBlock(*file_, file_name_, handle, data_end_, &contents));
  Result<std::shared_ptr<const Block>> parsed = Block::Parse(std::move(contents));
  if (!parsed.ok()) {
    return SegmentCorruption(file_name_, handle.offset, "data " + parsed.status().message());
  }
  *block = std::move(parsed).value();
  if (cache_ != nullptr && fill_cache) {
    cache_->Insert(file_number_, handle.offset, *block);
  }
  return Status::OK();
}

Status Segment::Get(std::string_view user_key, uint64_t sequence, GetResult* result,
                    std::string* value) const {
  *result = GetResult::kNotPresent;
  if (!filter_.KeyMayMatch(user_key) || user_key < ExtractUserKey(properties_.smallest_key) ||
      user_key > ExtractUserKey(properties_.largest_key)) {
    return Status::OK();
  }
  // The search key (user_key, sequence, largest kind) sorts before every version of the key
  // at or below `sequence`, after every newer one. Built inline: no allocation for short keys.
  KeyBuffer target;
  char* p = target.Reserve(user_key.size() + kTrailerSize);
  std::memcpy(p, user_key.data(), user_key.size());
  EncodeFixed64(p + user_key.size(),
                PackTrailer(std::min(sequence, kMaxSequenceNumber), kValueKindForSeek));
  target.Commit(user_key.size() + kTrailerSize);

  BlockIter entry;
  std::shared_ptr<const Block> block;
  for (size_t i = FirstIndexEntryAtOrAfter(target.view()); i < index_entries_.size(); i++) {
    const BlockHandle& handle = index_entries_[i].handle;
    CAIRN_RETURN_IF_ERROR(ReadDataBlock(handle, /*fill_cache=*/true, &block));
    entry.Reset(block.get());
    entry.Seek(target.view());
    if (!entry.status().ok()) {
      return BlockError(handle.offset, entry.status());
    }
    if (!entry.Valid()) {
      continue;  // every entry of this block is smaller: the answer starts the next block
    }
    if (ExtractUserKey(entry.key()) != user_key) {
      return Status::OK();
    }
    switch (ExtractKind(entry.key())) {
      case ValueKind::kPut:
        *result = GetResult::kFound;
        value->assign(entry.value().data(), entry.value().size());
        return Status::OK();
      case ValueKind::kDelete:
        *result = GetResult::kDeleted;
        return Status::OK();
    }
    return SegmentCorruption(file_name_, handle.offset, "entry of unknown kind");
  }
  return Status::OK();
}

size_t Segment::FirstIndexEntryAtOrAfter(std::string_view target) const {
  size_t left = 0;
  size_t right = index_entries_.size();
  while (left < right) {
    const size_t mid = left + (right - left) / 2;
    if (CompareInternalKeys(IndexKey(mid), target) < 0) {
      left = mid + 1;
    } else {
      right = mid;
    }
  }
  return left;
}

std::unique_ptr<InternalIterator> Segment::NewIterator(bool fill_cache) const {
  return std::make_unique<SegmentIterator>(shared_from_this(), fill_cache);
}

}  // namespace cairn::segment
