#include "record/record_writer.h"

#include "record/record_codec.h"

namespace cairn::record {

namespace {

// The header has no default magic: each kind of file names its own, and a header written
// without one would not be a valid file of any kind.
Status CheckMagic(const FileHeader& header) {
  if (header.magic.size() != kMagicSize) {
    return Status::InvalidArgument("record file header without a " + std::to_string(kMagicSize) +
                                   "-byte magic");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<RecordWriter>> RecordWriter::Create(Env* env, const std::string& dir,
                                                           const std::string& path,
                                                           const FileHeader& header) {
  CAIRN_RETURN_IF_ERROR(CheckMagic(header));
  auto file = env->NewWritableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  std::string bytes;
  EncodeFileHeader(header, &bytes);
  std::unique_ptr<WritableFile> handle = std::move(file).value();
  CAIRN_RETURN_IF_ERROR(handle->Append(bytes));
  // The header is durable before any record is written after it, so recovery can treat a bad
  // header in a file that holds more than a header as corruption, not a torn write.
  CAIRN_RETURN_IF_ERROR(handle->Sync());
  CAIRN_RETURN_IF_ERROR(env->SyncDir(dir));
  return std::unique_ptr<RecordWriter>(
      new RecordWriter(std::move(handle), path, header.file_number,
                       RecordChecksumSeed(header.db_id, header.file_number), bytes.size(),
                       /*previous_life_bytes=*/0));
}

Result<std::unique_ptr<RecordWriter>> RecordWriter::Reuse(Env* env, const std::string& dir,
                                                          const std::string& pooled_path,
                                                          const std::string& path,
                                                          const FileHeader& header) {
  CAIRN_RETURN_IF_ERROR(CheckMagic(header));
  auto old_size = env->GetFileSize(pooled_path);
  if (!old_size.ok()) {
    return old_size.status();
  }
  auto file = env->ReuseWritableFile(pooled_path);
  if (!file.ok()) {
    return file.status();
  }
  std::string bytes;
  EncodeFileHeader(header, &bytes);
  std::unique_ptr<WritableFile> handle = std::move(file).value();
  CAIRN_RETURN_IF_ERROR(handle->Append(bytes));
  // Durable before the rename: under its old name the file is obsolete and ignored by
  // recovery, so whenever the new name exists (after any crash), its header is the new one.
  CAIRN_RETURN_IF_ERROR(handle->Sync());
  CAIRN_RETURN_IF_ERROR(env->RenameFile(pooled_path, path));
  CAIRN_RETURN_IF_ERROR(env->SyncDir(dir));
  return std::unique_ptr<RecordWriter>(new RecordWriter(
      std::move(handle), path, header.file_number,
      RecordChecksumSeed(header.db_id, header.file_number), bytes.size(), old_size.value()));
}

RecordWriter::RecordWriter(std::unique_ptr<WritableFile> file, std::string path,
                           uint64_t file_number, uint32_t checksum_seed, uint64_t offset,
                           uint64_t previous_life_bytes)
    : file_(std::move(file)),
      path_(std::move(path)),
      file_number_(file_number),
      checksum_seed_(checksum_seed),
      previous_life_bytes_(previous_life_bytes),
      written_offset_(offset),
      synced_offset_(offset) {}

Status RecordWriter::Poison(const Status& s) {
  MutexLock lock(&error_mu_);
  if (error_.ok()) {
    error_ = s;
    poisoned_.store(true, std::memory_order_release);
  }
  return error_;
}

void RecordWriter::AppendRecord(RecordType type, uint64_t first_seq, uint32_t seq_count,
                                uint64_t commit_micros, std::string_view payload,
                                std::string* buffer) const {
  RecordLocation where{checksum_seed_, written_offset() + buffer->size()};
  // A concurrent background Sync may raise synced_offset_ at any moment; whichever value is
  // read was durable, which is all the stamp claims.
  EncodeRecord(type, first_seq, seq_count, synced_offset(), commit_micros, payload, where, buffer);
}

Status RecordWriter::Write(std::string_view bytes) {
  if (poisoned()) {
    return error();
  }
  Status s = file_->Append(bytes);
  if (!s.ok()) {
    return Poison(s.WithContext("write to " + path_));
  }
  written_offset_.fetch_add(bytes.size(), std::memory_order_acq_rel);
  return Status::OK();
}

Status RecordWriter::Sync() {
  MutexLock lock(&sync_mu_);
  if (poisoned()) {
    return error();
  }
  // Every byte written before this point is covered by the fdatasync below.
  const uint64_t target = written_offset();
  if (synced_offset() >= target) {
    return Status::OK();
  }
  if (file_ == nullptr) {
    return Poison(Status::IOError("sync of " + path_ + ": file is closed"));
  }
  Status s = file_->Sync();
  if (!s.ok()) {
    // Never retried: after a failed fdatasync the kernel may have marked the pages clean, so
    // a later success would prove nothing.
    return Poison(s.WithContext("sync of " + path_));
  }
  synced_offset_.store(target, std::memory_order_release);
  return Status::OK();
}

Status RecordWriter::Finish(Env* env) {
  {
    MutexLock lock(&sync_mu_);
    if (poisoned()) {
      return error();
    }
    const uint64_t end = written_offset();
    if (previous_life_bytes_ > end) {
      // Cutting syncs the whole file too (Env::TruncateFile), so it replaces the Sync.
      Status s = env->TruncateFile(path_, end);
      if (!s.ok()) {
        return Poison(s.WithContext("cutting the previous life of recycled file " + path_));
      }
      previous_life_bytes_ = 0;
      synced_offset_.store(end, std::memory_order_release);
      return Status::OK();
    }
  }
  return Sync();
}

Status RecordWriter::Close() {
  MutexLock lock(&sync_mu_);
  if (file_ == nullptr) {
    return Status::OK();
  }
  Status s = file_->Close();
  file_.reset();
  return s;
}

}  // namespace cairn::record
