#include "record/record_reader.h"

#include <algorithm>

#include "record/record_codec.h"
#include "util/coding.h"
#include "util/constants.h"

namespace cairn::record {
namespace {

// Read-ahead granularity: large enough that replay is sequential I/O, small enough that a
// reader costs little memory.
constexpr size_t kReadAheadBytes = 1u << 20;

// Whether a record header could start with `header` (kRecordHeaderSize bytes), with
// `bytes_left` bytes from its start to the end of the file: a subset of TryRecordAt's checks,
// with no allocation.
bool MayStartRecord(std::string_view header, uint64_t bytes_left) {
  const char* p = header.data();
  if (p[9] != 0 || p[10] != 0 || p[11] != 0 || !IsKnownRecordType(static_cast<uint8_t>(p[8]))) {
    return false;
  }
  uint32_t payload_length = DecodeFixed32(p + 4);
  return payload_length <= kMaxRecordPayloadBytes &&
         payload_length <= bytes_left - kRecordHeaderSize;
}

}  // namespace

Result<std::unique_ptr<RecordReader>> RecordReader::Open(Env* env, const std::string& path) {
  auto file = env->NewReadableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  auto size = file.value()->Size();
  if (!size.ok()) {
    return size.status();
  }
  return std::unique_ptr<RecordReader>(
      new RecordReader(std::move(file).value(), path, size.value()));
}

RecordReader::RecordReader(std::unique_ptr<ReadableFile> file, std::string path, uint64_t file_size)
    : file_(std::move(file)), path_(std::move(path)), file_size_(file_size) {}

Status RecordReader::Fetch(uint64_t offset, size_t n, std::string_view* out) {
  if (offset >= file_size_) {
    *out = std::string_view();
    return Status::OK();
  }
  n = static_cast<size_t>(std::min<uint64_t>(n, file_size_ - offset));
  if (offset >= window_offset_ && offset + n <= window_offset_ + window_size_) {
    *out = std::string_view(window_.data() + (offset - window_offset_), n);
    return Status::OK();
  }
  // `n` is bounded by the caller (a header, or a payload length already checked against the
  // format's limit and the file size), so this allocation is bounded too.
  size_t want =
      static_cast<size_t>(std::min<uint64_t>(std::max(n, kReadAheadBytes), file_size_ - offset));
  if (window_.size() < want) {
    window_.resize(want);
  }
  std::string_view got;
  Status s = file_->Read(offset, want, window_.data(), &got);
  if (!s.ok()) {
    window_size_ = 0;
    return s.WithContext("reading " + path_ + " at offset " + std::to_string(offset));
  }
  if (got.data() != window_.data()) {
    std::copy(got.begin(), got.end(), window_.data());
  }
  window_offset_ = offset;
  window_size_ = got.size();
  *out = std::string_view(window_.data(), std::min(n, window_size_));
  return Status::OK();
}

Status RecordReader::ReadHeader(std::string_view expected_magic, FileHeader* header) {
  std::string_view bytes;
  CAIRN_RETURN_IF_ERROR(Fetch(0, kFileHeaderSize, &bytes));
  CAIRN_RETURN_IF_ERROR(DecodeFileHeader(bytes, expected_magic, header));
  checksum_seed_ = RecordChecksumSeed(header->db_id, header->file_number);
  header_read_ = true;
  cursor_ = kFileHeaderSize;
  return Status::OK();
}

Status RecordReader::TryRecordAt(uint64_t offset, Record* record, bool* valid, std::string* reason,
                                 bool* truncated) {
  *valid = false;
  *truncated = false;
  std::string_view header;
  CAIRN_RETURN_IF_ERROR(Fetch(offset, kRecordHeaderSize, &header));
  if (header.size() < kRecordHeaderSize) {
    *truncated = true;
    *reason = "incomplete record header (" + std::to_string(header.size()) + " bytes)";
    return Status::OK();
  }
  uint32_t payload_length = 0;
  uint32_t stored_crc = 0;
  // Checked against the format's bound here; the bytes actually left decide truncation below.
  Status decoded =
      DecodeRecordHeader(header, kMaxRecordPayloadBytes, record, &payload_length, &stored_crc);
  if (!decoded.ok()) {
    *reason = decoded.message();
    return Status::OK();
  }
  uint64_t available = file_size_ - offset - kRecordHeaderSize;
  if (payload_length > available) {
    *truncated = true;
    *reason = "incomplete record: payload of " + std::to_string(payload_length) +
              " bytes, file ends after " + std::to_string(available);
    return Status::OK();
  }
  // Copy the header out: fetching the payload may move the window.
  char header_copy[kRecordHeaderSize];
  std::copy(header.begin(), header.end(), header_copy);
  std::string_view payload;
  CAIRN_RETURN_IF_ERROR(Fetch(offset + kRecordHeaderSize, payload_length, &payload));
  if (!RecordChecksumMatches(std::string_view(header_copy, kRecordHeaderSize), payload, stored_crc,
                             RecordLocation{checksum_seed_, offset})) {
    *reason = "record checksum mismatch";
    return Status::OK();
  }
  if (record->synced_offset > offset) {
    *reason = "record claims synced offset " + std::to_string(record->synced_offset) +
              " past its own start";
    return Status::OK();
  }
  if (record->first_seq > kMaxSequenceNumber ||
      (record->seq_count > 0 && record->first_seq > kMaxSequenceNumber - record->seq_count)) {
    *reason = "record sequence range overflows";
    return Status::OK();
  }
  if (record->type == RecordType::kBatch && (record->seq_count == 0 || record->first_seq == 0)) {
    // No writer makes one: a batch holds at least one operation and sequence numbers start
    // at 1. Replaying it would set the database's last sequence from an empty range.
    *reason = "batch record with an empty sequence range or sequence 0";
    return Status::OK();
  }
  record->offset = offset;
  record->payload = payload;
  *valid = true;
  return Status::OK();
}

Status RecordReader::Next(Record* record, Outcome* outcome) {
  assert(cursor_ >= kFileHeaderSize && "ReadHeader first");
  if (cursor_ == file_size_) {
    *outcome = Outcome::kEnd;
    return Status::OK();
  }
  bool valid = false;
  bool truncated = false;
  std::string reason;
  CAIRN_RETURN_IF_ERROR(TryRecordAt(cursor_, record, &valid, &reason, &truncated));
  if (!valid) {
    damage_offset_ = cursor_;
    damage_reason_ = reason;
    damage_is_truncation_ = truncated;
    *outcome = Outcome::kDamage;
    return Status::OK();
  }
  cursor_ = record->end_offset();
  *outcome = Outcome::kRecord;
  return Status::OK();
}

Status RecordReader::ScanAfterDamage(uint64_t damage_offset, DamageScan* scan) {
  *scan = DamageScan();
  if (!header_read_) {
    return Status::OK();  // without a valid header no record can be authenticated
  }
  for (uint64_t offset = damage_offset + 1; offset + kRecordHeaderSize <= file_size_; offset++) {
    // Cheap rejection first: the scan visits every byte offset, and what follows the records
    // of a recycled file can be tens of MiB (its previous life). Only offsets passing the
    // header's fixed-value checks (reserved bytes, type, length bound; all checked again by
    // TryRecordAt) are worth a full decode and checksum.
    std::string_view peek;
    CAIRN_RETURN_IF_ERROR(Fetch(offset, kRecordHeaderSize, &peek));
    if (!MayStartRecord(peek, file_size_ - offset)) {
      continue;
    }
    Record record;
    bool valid = false;
    bool truncated = false;
    std::string reason;
    CAIRN_RETURN_IF_ERROR(TryRecordAt(offset, &record, &valid, &reason, &truncated));
    if (!valid) {
      continue;
    }
    if (scan->intact_records_after == 0) {
      scan->min_seq_after = record.first_seq;
      scan->max_seq_after = record.last_seq();
    }
    scan->intact_records_after++;
    scan->max_synced_offset_after = std::max(scan->max_synced_offset_after, record.synced_offset);
    if (record.seq_count > 0) {
      scan->min_seq_after = std::min(scan->min_seq_after, record.first_seq);
      scan->max_seq_after = std::max(scan->max_seq_after, record.last_seq());
    }
    // Skip the record found: a valid record's payload cannot contain another record's start
    // that matters more than the record itself.
    offset = record.end_offset() - 1;
  }
  return Status::OK();
}

}  // namespace cairn::record
