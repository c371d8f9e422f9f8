#include "jobs/output_writer.h"

#include "env/env_util.h"
#include "util/filename.h"
#include "util/internal_key.h"

namespace cairn {

OutputWriter::OutputWriter(Env* env, std::string dir, const Options& options, int level,
                           std::function<uint64_t()> new_file_number, uint64_t cut_size_bytes)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      level_(level),
      new_file_number_(std::move(new_file_number)),
      cut_size_bytes_(cut_size_bytes) {}

OutputWriter::~OutputWriter() {
  if (builder_ != nullptr) {
    builder_->Abandon();  // an unfinished output; the caller abandons or the collector removes
  }
}

void OutputWriter::SetCommitTimeRange(uint64_t min_micros, uint64_t max_micros) {
  min_commit_micros_ = min_micros;
  max_commit_micros_ = max_micros;
}

Status OutputWriter::StartOutput() {
  uint64_t number = new_file_number_();
  numbers_.push_back(number);
  auto builder = segment::SegmentBuilder::Open(env_, JoinPath(dir_, SegmentFileName(number)),
                                               options_);
  if (!builder.ok()) {
    return builder.status();
  }
  builder_ = std::move(builder).value();
  builder_->WidenCommitTimeRange(min_commit_micros_, max_commit_micros_);
  return Status::OK();
}

Status OutputWriter::FinishOutput() {
  segment::SegmentProperties properties;
  uint64_t file_size = 0;
  Status s = builder_->Finish(&properties, &file_size);
  builder_.reset();
  if (!s.ok()) {
    return s;
  }
  SegmentMeta meta;
  meta.number = numbers_.back();
  meta.level = level_;
  meta.file_size_bytes = file_size;
  meta.smallest = properties.smallest_key;
  meta.largest = properties.largest_key;
  meta.min_seq = properties.min_sequence;
  meta.max_seq = properties.max_sequence;
  meta.min_commit_micros = properties.min_commit_micros;
  meta.max_commit_micros = properties.max_commit_micros;
  meta.entry_count = properties.entry_count;
  meta.deletion_count = properties.deletion_count;
  outputs_.push_back(std::move(meta));
  bytes_written_ += file_size;
  return Status::OK();
}

Status OutputWriter::Add(std::string_view internal_key, std::string_view value) {
  std::string_view user_key = ExtractUserKey(internal_key);
  if (builder_ != nullptr && cut_size_bytes_ > 0 &&
      builder_->EstimatedFileSizeBytes() >= cut_size_bytes_ && user_key != last_user_key_) {
    CAIRN_RETURN_IF_ERROR(FinishOutput());
  }
  if (builder_ == nullptr) {
    CAIRN_RETURN_IF_ERROR(StartOutput());
  }
  last_user_key_.assign(user_key);
  return builder_->Add(internal_key, value);
}

Status OutputWriter::Finish(std::vector<SegmentMeta>* outputs) {
  if (builder_ != nullptr) {
    CAIRN_RETURN_IF_ERROR(FinishOutput());
  }
  if (!outputs_.empty()) {
    // The outputs' names must be durable before a manifest edit refers to them.
    CAIRN_RETURN_IF_ERROR(env_->SyncDir(dir_));
  }
  *outputs = outputs_;
  return Status::OK();
}

void OutputWriter::Abandon() {
  if (builder_ != nullptr) {
    builder_->Abandon();
    builder_.reset();
  }
  for (uint64_t number : numbers_) {
    // Best effort: a file left behind is an orphan the collector removes at the next open.
    env_->RemoveFile(JoinPath(dir_, SegmentFileName(number))).IgnoreError();
  }
  numbers_.clear();
  outputs_.clear();
}

}  // namespace cairn
