#include "wal/wal_writer.h"

#include "wal/wal_codec.h"

namespace cairn::wal {

Result<std::unique_ptr<WalWriter>> WalWriter::Create(Env* env, const std::string& dir,
                                                     const std::string& path,
                                                     const FileHeader& header) {
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
  return std::unique_ptr<WalWriter>(new WalWriter(std::move(handle), path, header.file_number,
                                                  RecordChecksumSeed(header.db_id,
                                                                     header.file_number),
                                                  bytes.size()));
}

WalWriter::WalWriter(std::unique_ptr<WritableFile> file, std::string path, uint64_t file_number,
                     uint32_t checksum_seed, uint64_t offset)
    : file_(std::move(file)),
      path_(std::move(path)),
      file_number_(file_number),
      checksum_seed_(checksum_seed),
      written_offset_(offset),
      synced_offset_(offset) {}

void WalWriter::AppendRecord(RecordType type, uint64_t first_seq, uint32_t seq_count,
                             uint64_t commit_micros, std::string_view payload,
                             std::string* buffer) const {
  RecordLocation where{checksum_seed_, written_offset_ + buffer->size()};
  EncodeRecord(type, first_seq, seq_count, synced_offset_, commit_micros, payload, where, buffer);
}

Status WalWriter::Write(std::string_view bytes) {
  if (!error_.ok()) {
    return error_;
  }
  Status s = file_->Append(bytes);
  if (!s.ok()) {
    error_ = s.WithContext("WAL write to " + path_);
    return error_;
  }
  written_offset_ += bytes.size();
  return Status::OK();
}

Status WalWriter::Sync() {
  if (!error_.ok()) {
    return error_;
  }
  if (synced_offset_ == written_offset_) {
    return Status::OK();
  }
  Status s = file_->Sync();
  if (!s.ok()) {
    // Never retried: after a failed fdatasync the kernel may have marked the pages clean, so
    // a later success would prove nothing.
    error_ = s.WithContext("WAL sync of " + path_);
    return error_;
  }
  synced_offset_ = written_offset_;
  return Status::OK();
}

Status WalWriter::Close() {
  if (file_ == nullptr) {
    return Status::OK();
  }
  Status s = file_->Close();
  file_.reset();
  return s;
}

}  // namespace cairn::wal
