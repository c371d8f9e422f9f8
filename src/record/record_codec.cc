#include "record/record_codec.h"

#include <cstring>

#include "util/coding.h"
#include "util/constants.h"
#include "util/crc32c.h"

namespace cairn::record {

static_assert(kFileHeaderSize == kMagicSize + 4 + 4 + 8 + 8 + 16 + 4 + 4);
static_assert(kFileHeaderCrcOffset + 4 == kFileHeaderSize);
static_assert(kRecordHeaderSize == 4 + 4 + 1 + 3 + 4 + 8 + 8 + 8);
static_assert(kMaxRecordPayloadBytes <= UINT32_MAX, "payload length is a u32");

void EncodeFileHeader(const FileHeader& header, std::string* out) {
  assert(header.magic.size() == kMagicSize);
  size_t start = out->size();
  out->append(header.magic.data(), header.magic.size());
  PutFixed32(out, kFormatVersion);
  PutFixed32(out, static_cast<uint32_t>(kFileHeaderSize));
  PutFixed64(out, header.file_number);
  PutFixed64(out, header.prev_file_number);
  out->append(reinterpret_cast<const char*>(header.db_id.data()), header.db_id.size());
  PutFixed32(out, 0);  // reserved
  uint32_t crc = crc32c::Value(out->data() + start, kFileHeaderCrcOffset);
  PutFixed32(out, crc32c::Mask(crc));
  assert(out->size() - start == kFileHeaderSize);
}

Status DecodeFileHeader(std::string_view bytes, std::string_view expected_magic,
                        FileHeader* header) {
  if (bytes.size() < kFileHeaderSize) {
    return Status::Corruption("file header truncated: " + std::to_string(bytes.size()) + " of " +
                              std::to_string(kFileHeaderSize) + " bytes");
  }
  if (bytes.substr(0, kMagicSize) != expected_magic) {
    return Status::Corruption("bad magic: not a " + std::string(expected_magic) + " file");
  }
  uint32_t stored_crc = DecodeFixed32(bytes.data() + kFileHeaderCrcOffset);
  if (crc32c::Unmask(stored_crc) != crc32c::Value(bytes.data(), kFileHeaderCrcOffset)) {
    return Status::Corruption("file header checksum mismatch");
  }
  uint32_t version = DecodeFixed32(bytes.data() + 8);
  if (version != kFormatVersion) {
    return Status::NotSupported("format version " + std::to_string(version) +
                                " (this build reads version " + std::to_string(kFormatVersion) +
                                ")");
  }
  if (DecodeFixed32(bytes.data() + 12) != kFileHeaderSize) {
    return Status::Corruption("unexpected header size");
  }
  if (DecodeFixed32(bytes.data() + 48) != 0) {
    return Status::Corruption("nonzero reserved header field");
  }
  header->magic = expected_magic;
  header->file_number = DecodeFixed64(bytes.data() + 16);
  header->prev_file_number = DecodeFixed64(bytes.data() + 24);
  std::memcpy(header->db_id.data(), bytes.data() + 32, header->db_id.size());
  return Status::OK();
}

namespace {

uint32_t RecordChecksum(std::string_view header, std::string_view payload,
                        const RecordLocation& where) {
  char offset[8];
  EncodeFixed64(offset, where.offset);
  uint32_t crc = crc32c::Extend(where.seed, offset, sizeof(offset));
  crc = crc32c::Extend(crc, header.data() + 4, kRecordHeaderSize - 4);
  return crc32c::Extend(crc, payload.data(), payload.size());
}

}  // namespace

uint32_t RecordChecksumSeed(const DbId& db_id, uint64_t file_number) {
  char bytes[sizeof(DbId) + 8];
  std::memcpy(bytes, db_id.data(), db_id.size());
  EncodeFixed64(bytes + db_id.size(), file_number);
  return crc32c::Value(bytes, sizeof(bytes));
}

void EncodeRecord(RecordType type, uint64_t first_seq, uint32_t seq_count, uint64_t synced_offset,
                  uint64_t commit_micros, std::string_view payload, const RecordLocation& where,
                  std::string* out) {
  assert(payload.size() <= kMaxRecordPayloadBytes);
  size_t start = out->size();
  PutFixed32(out, 0);  // crc, filled in below
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  out->push_back(static_cast<char>(type));
  out->append(3, '\0');
  PutFixed32(out, seq_count);
  PutFixed64(out, first_seq);
  PutFixed64(out, synced_offset);
  PutFixed64(out, commit_micros);
  uint32_t crc =
      RecordChecksum(std::string_view(out->data() + start, kRecordHeaderSize), payload, where);
  EncodeFixed32(out->data() + start, crc32c::Mask(crc));
  out->append(payload.data(), payload.size());
}

Status DecodeRecordHeader(std::string_view header, uint64_t max_payload_bytes, Record* record,
                          uint32_t* payload_length, uint32_t* stored_crc) {
  assert(header.size() == kRecordHeaderSize);
  const char* p = header.data();
  *stored_crc = DecodeFixed32(p);
  *payload_length = DecodeFixed32(p + 4);
  auto type = static_cast<uint8_t>(p[8]);
  if (p[9] != 0 || p[10] != 0 || p[11] != 0) {
    return Status::Corruption("nonzero reserved record bytes");
  }
  if (!IsKnownRecordType(type)) {
    return Status::Corruption("unknown record type " + std::to_string(type));
  }
  if (*payload_length > kMaxRecordPayloadBytes || *payload_length > max_payload_bytes) {
    return Status::Corruption(
        "record length " + std::to_string(*payload_length) + " exceeds bound " +
        std::to_string(std::min<uint64_t>(max_payload_bytes, kMaxRecordPayloadBytes)));
  }
  record->type = static_cast<RecordType>(type);
  record->seq_count = DecodeFixed32(p + 12);
  record->first_seq = DecodeFixed64(p + 16);
  record->synced_offset = DecodeFixed64(p + 24);
  record->commit_micros = DecodeFixed64(p + 32);
  return Status::OK();
}

bool RecordChecksumMatches(std::string_view header, std::string_view payload, uint32_t stored_crc,
                           const RecordLocation& where) {
  return crc32c::Unmask(stored_crc) == RecordChecksum(header, payload, where);
}

}  // namespace cairn::record
