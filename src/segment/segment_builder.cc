#include "segment/segment_builder.h"

#include <algorithm>
#include <cassert>

#include "segment/block_reader.h"
#include "util/constants.h"
#include "util/internal_key.h"

namespace cairn::segment {

void IndexSeparator(std::string_view last_key, std::string_view next_key, std::string* out) {
  assert(CompareInternalKeys(last_key, next_key) < 0);
  const std::string_view a = ExtractUserKey(last_key);
  const std::string_view b = ExtractUserKey(next_key);
  const size_t limit = std::min(a.size(), b.size());
  size_t prefix = 0;
  while (prefix < limit && a[prefix] == b[prefix]) {
    prefix++;
  }
  if (prefix < limit) {
    // a < b: a[prefix] < b[prefix]. If a byte fits strictly between them, cut there: the user
    // key a[0, prefix] + (a[prefix] + 1) is > a and < b, and with the largest trailer it sorts
    // before every version of itself, so it is > last_key and < next_key.
    const auto byte = static_cast<unsigned char>(a[prefix]);
    if (byte < 0xff && byte + 1 < static_cast<unsigned char>(b[prefix])) {
      out->assign(a.data(), prefix);
      out->push_back(static_cast<char>(byte + 1));
      PutFixed64(out, PackTrailer(kMaxSequenceNumber, kValueKindForSeek));
      assert(CompareInternalKeys(last_key, *out) < 0 && CompareInternalKeys(*out, next_key) < 0);
      return;
    }
  }
  out->assign(last_key);
}

Result<std::unique_ptr<SegmentBuilder>> SegmentBuilder::Open(Env* env, const std::string& path,
                                                             const Options& options) {
  Result<std::unique_ptr<WritableFile>> file = env->NewWritableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<SegmentBuilder>(
      new SegmentBuilder(env, path, std::move(file).value(), options));
}

SegmentBuilder::SegmentBuilder(Env* env, std::string path, std::unique_ptr<WritableFile> file,
                               const Options& options)
    : env_(env),
      path_(std::move(path)),
      file_(std::move(file)),
      block_size_bytes_(std::clamp(options.block_size_bytes, kSegmentMinTargetBlockBytes,
                                   kSegmentMaxTargetBlockBytes)),
      compressor_(options.compression),
      data_block_(kSegmentDataRestartInterval),
      index_block_(kSegmentIndexRestartInterval) {
  const int bits = std::clamp(options.bloom_bits_per_key, 0, kSegmentMaxBloomBitsPerKey);
  if (bits > 0) {
    filter_.emplace(bits);
  }
  properties_.compression = options.compression;
  properties_.min_sequence = kMaxSequenceNumber;
  properties_.min_commit_micros = UINT64_MAX;
  buffer_.reserve(kSegmentWriteBufferBytes + block_size_bytes_);
}

SegmentBuilder::~SegmentBuilder() {
  assert(file_ == nullptr && "SegmentBuilder destroyed without Finish() or Abandon()");
  CloseFile();
}

Status SegmentBuilder::Add(std::string_view key, std::string_view value) {
  if (!status_.ok()) {
    return status_;
  }
  if (finished_) {
    assert(false && "SegmentBuilder::Add after Finish or Abandon");
    return Status::InvalidArgument("segment builder: Add after Finish or Abandon");
  }
  if (key.size() < kTrailerSize || key.size() - kTrailerSize > kMaxKeySizeBytes ||
      value.size() > kMaxValueSizeBytes) {
    return Status::InvalidArgument("segment builder: key or value size out of range");
  }
  const ValueKind kind = ExtractKind(key);
  if (kind != ValueKind::kPut && kind != ValueKind::kDelete) {
    return Status::InvalidArgument("segment builder: unknown value kind");
  }
  const bool first = properties_.entry_count == 0;
  if (!first && CompareInternalKeys(last_key_, key) >= 0) {
    assert(false && "SegmentBuilder::Add: keys out of order");
    return Status::InvalidArgument("segment builder: keys must be added in increasing order");
  }
  if (pending_index_entry_) {
    AddIndexEntry(key);
  }
  const std::string_view user_key = ExtractUserKey(key);
  if (filter_.has_value() && (first || ExtractUserKey(last_key_) != user_key)) {
    filter_->AddKey(user_key);
  }
  if (first) {
    properties_.smallest_key.assign(key);
  }
  const uint64_t sequence = ExtractSequence(key);
  properties_.min_sequence = std::min(properties_.min_sequence, sequence);
  properties_.max_sequence = std::max(properties_.max_sequence, sequence);
  properties_.entry_count++;
  properties_.deletion_count += kind == ValueKind::kDelete ? 1 : 0;
  properties_.raw_key_bytes += key.size();
  properties_.raw_value_bytes += value.size();

  data_block_.Add(key, value);
  last_key_.assign(key);
  if (data_block_.CurrentSizeEstimate() >= block_size_bytes_) {
    FlushDataBlock();
  }
  return status_;
}

void SegmentBuilder::WidenCommitTimeRange(uint64_t min_micros, uint64_t max_micros) {
  assert(min_micros <= max_micros);
  properties_.min_commit_micros = std::min(properties_.min_commit_micros, min_micros);
  properties_.max_commit_micros = std::max(properties_.max_commit_micros, max_micros);
  commit_range_set_ = true;
}

BlockHandle SegmentBuilder::AppendBlock(std::string_view stored, Compression type) {
  BlockHandle handle{offset_, stored.size()};
  AppendBlockWithTrailer(stored, type, &buffer_);
  offset_ += stored.size() + kBlockTrailerSize;
  return handle;
}

void SegmentBuilder::FlushDataBlock() {
  assert(!data_block_.empty() && !pending_index_entry_);
  const std::string_view raw = data_block_.Finish();
  if (compressor_.Compress(raw, &compressed_)) {
    pending_handle_ = AppendBlock(compressed_, compressor_.type());
  } else {
    pending_handle_ = AppendBlock(raw, Compression::kNone);
  }
  properties_.data_block_count++;
  properties_.data_bytes += pending_handle_.size_bytes + kBlockTrailerSize;
  data_block_.Reset();
  pending_index_entry_ = true;
  if (buffer_.size() >= kSegmentWriteBufferBytes) {
    WriteBuffer();
  }
}

void SegmentBuilder::AddIndexEntry(std::string_view next_key) {
  assert(pending_index_entry_);
  std::string separator;
  if (next_key.empty()) {
    separator = last_key_;
  } else {
    IndexSeparator(last_key_, next_key, &separator);
  }
  std::string encoded_handle;
  EncodeBlockHandle(pending_handle_, &encoded_handle);
  index_block_.Add(separator, encoded_handle);
  pending_index_entry_ = false;
}

void SegmentBuilder::WriteBuffer() {
  if (!status_.ok() || buffer_.empty()) {
    return;
  }
  status_ = file_->Append(buffer_);
  buffer_.clear();
}

Status SegmentBuilder::WriteMetaBlocks(Footer* footer) {
  std::string scratch;
  if (filter_.has_value()) {
    if (filter_->EncodedSize() > kSegmentMaxReadableBlockBytes) {
      return Status::InvalidArgument("segment builder: too many keys for one filter block");
    }
    filter_->Finish(&scratch);
    footer->filter = AppendBlock(scratch, Compression::kNone);
    properties_.filter_bytes = footer->filter.size_bytes + kBlockTrailerSize;
  }
  const std::string_view index = index_block_.Finish();
  if (index.size() > kSegmentMaxReadableBlockBytes) {
    return Status::InvalidArgument("segment builder: too many blocks for one index block");
  }
  footer->index = AppendBlock(index, Compression::kNone);
  properties_.index_bytes = footer->index.size_bytes + kBlockTrailerSize;
  properties_.largest_key = last_key_;
  properties_.creation_micros = env_->NowMicros();
  scratch.clear();
  EncodeProperties(properties_, &scratch);
  footer->properties = AppendBlock(scratch, Compression::kNone);
  EncodeFooter(*footer, &buffer_);
  offset_ += kFooterSize;
  return Status::OK();
}

Status SegmentBuilder::Finish(SegmentProperties* properties, uint64_t* file_size_bytes) {
  assert(!finished_);
  if (finished_) {
    return Status::InvalidArgument("segment builder: Finish called twice");
  }
  finished_ = true;
  Status s = status_;
  if (s.ok() && properties_.entry_count == 0) {
    s = Status::InvalidArgument("segment builder: a segment needs at least one entry");
  }
  if (s.ok() && !commit_range_set_) {
    s = Status::InvalidArgument("segment builder: commit-time range not set");
  }
  if (s.ok()) {
    if (!data_block_.empty()) {
      FlushDataBlock();
    }
    AddIndexEntry({});
    Footer footer;
    s = WriteMetaBlocks(&footer);
  }
  if (s.ok()) {
    WriteBuffer();
    s = status_;
  }
  if (s.ok()) {
    s = file_->Sync();
  }
  if (s.ok()) {
    s = file_->Close();
    file_.reset();
  }
  if (!s.ok()) {
    status_ = s;
    CloseFile();
    return s;
  }
  *properties = properties_;
  *file_size_bytes = offset_;
  return Status::OK();
}

void SegmentBuilder::Abandon() {
  finished_ = true;
  CloseFile();
}

void SegmentBuilder::CloseFile() {
  if (file_ != nullptr) {
    // Only reached for a file being given up: the caller deletes it, so a close error
    // changes nothing.
    file_->Close().IgnoreError();
    file_.reset();
  }
}

}  // namespace cairn::segment
