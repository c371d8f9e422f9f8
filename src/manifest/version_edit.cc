#include "manifest/version_edit.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "manifest/manifest_format.h"
#include "util/coding.h"
#include "util/constants.h"

namespace cairn::manifest {
namespace {

constexpr uint32_t Tag(EditTag tag) { return static_cast<uint32_t>(tag); }

// Scalar tags each own one bit of a "seen" mask, so a repeated one is detected.
static_assert(Tag(EditTag::kLastCommitMicros) < 32);

void PutField(std::string* out, EditTag tag, std::string_view body) {
  PutVarint32(out, Tag(tag));
  PutLengthPrefixed(out, body);
}

void PutU64Field(std::string* out, EditTag tag, uint64_t value) {
  std::string body;
  PutVarint64(&body, value);
  PutField(out, tag, body);
}

std::string FieldError(size_t field_offset, uint32_t tag, std::string_view what) {
  return "edit byte " + std::to_string(field_offset) + ", tag " + std::to_string(tag) + ": " +
         std::string(what);
}

// A scalar body is exactly one varint64.
bool ParseU64Body(std::string_view body, uint64_t* value) {
  return GetVarint64(&body, value) && body.empty();
}

std::string HexBytes(const uint8_t* data, size_t n) {
  std::string out;
  char buf[3];
  for (size_t i = 0; i < n; i++) {
    std::snprintf(buf, sizeof(buf), "%02x", data[i]);
    out.append(buf, 2);
  }
  return out;
}

// Decodes the body of a scalar field. `seen` holds one bit per scalar tag already decoded, so
// a repeated field is detected.
Status DecodeScalarField(uint32_t tag, std::string_view body, size_t field_offset, uint32_t* seen,
                         std::optional<uint64_t>* field) {
  if ((*seen & (1u << tag)) != 0) {
    return Status::Corruption(FieldError(field_offset, tag, "field repeated"));
  }
  *seen |= 1u << tag;
  uint64_t value = 0;
  if (!ParseU64Body(body, &value)) {
    return Status::Corruption(FieldError(field_offset, tag, "malformed varint64 body"));
  }
  *field = value;
  return Status::OK();
}

// Decodes one element of a list field. Each list's length is checked against its limit
// before the element is allocated.
Status DecodeListField(uint32_t tag, std::string_view body, size_t field_offset,
                       VersionEdit* edit) {
  if (tag == Tag(EditTag::kAddedWal)) {
    uint64_t number = 0;
    if (edit->added_wals.size() >= kMaxWalsPerEdit) {
      return Status::Corruption(FieldError(field_offset, tag, "too many WAL files"));
    }
    if (!ParseU64Body(body, &number)) {
      return Status::Corruption(FieldError(field_offset, tag, "malformed WAL number"));
    }
    edit->added_wals.push_back(number);
    return Status::OK();
  }
  if (tag == Tag(EditTag::kAddedSegment)) {
    if (edit->added_segments.size() >= kMaxSegmentsPerEdit) {
      return Status::Corruption(FieldError(field_offset, tag, "too many added segments"));
    }
    SegmentMeta meta;
    Status s = meta.DecodeFrom(body);
    if (!s.ok()) {
      return Status::Corruption(FieldError(field_offset, tag, s.message()));
    }
    edit->added_segments.push_back(std::move(meta));
    return Status::OK();
  }
  assert(tag == Tag(EditTag::kDeletedSegment));
  if (edit->deleted_segments.size() >= kMaxSegmentsPerEdit) {
    return Status::Corruption(FieldError(field_offset, tag, "too many deleted segments"));
  }
  DeletedSegment deleted;
  if (!GetVarint32(&body, &deleted.level) || !GetVarint64(&body, &deleted.number) ||
      !body.empty()) {
    return Status::Corruption(FieldError(field_offset, tag, "malformed deleted segment"));
  }
  edit->deleted_segments.push_back(deleted);
  return Status::OK();
}

// Decodes one field into *edit.
Status DecodeField(uint32_t tag, std::string_view body, size_t field_offset, uint32_t* seen,
                   VersionEdit* edit) {
  switch (tag) {
    case Tag(EditTag::kDbId):
      if ((*seen & (1u << tag)) != 0 || body.size() != sizeof(record::DbId)) {
        return Status::Corruption(FieldError(field_offset, tag, "bad or repeated db_id"));
      }
      *seen |= 1u << tag;
      edit->db_id.emplace();
      std::memcpy(edit->db_id->data(), body.data(), body.size());
      return Status::OK();
    case Tag(EditTag::kLogNumber):
      return DecodeScalarField(tag, body, field_offset, seen, &edit->log_number);
    case Tag(EditTag::kNextFileNumber):
      return DecodeScalarField(tag, body, field_offset, seen, &edit->next_file_number);
    case Tag(EditTag::kLastSequence):
      return DecodeScalarField(tag, body, field_offset, seen, &edit->last_sequence);
    case Tag(EditTag::kLastCommitMicros):
      return DecodeScalarField(tag, body, field_offset, seen, &edit->last_commit_micros);
    case Tag(EditTag::kAddedWal):
    case Tag(EditTag::kAddedSegment):
    case Tag(EditTag::kDeletedSegment):
      return DecodeListField(tag, body, field_offset, edit);
    default:
      if ((tag & kSafeToIgnoreTagBit) != 0) {
        return Status::OK();  // a newer writer's optional field: skipped by design
      }
      return Status::Corruption(FieldError(field_offset, tag, "unknown tag"));
  }
}

Status CheckSnapshotFields(const VersionEdit& edit) {
  if (!edit.is_snapshot()) {
    return Status::OK();
  }
  if (!edit.log_number || !edit.next_file_number || !edit.last_sequence ||
      !edit.last_commit_micros) {
    return Status::InvalidArgument(
        "snapshot edit lacks one of log_number, next_file_number, last_sequence, "
        "last_commit_micros");
  }
  if (!edit.deleted_segments.empty()) {
    return Status::InvalidArgument("snapshot edit deletes segments");
  }
  return Status::OK();
}

// Checks one file number against the edit's counters; `numbers` detects duplicates.
Status CheckFileNumber(const VersionEdit& edit, const char* what, uint64_t number,
                       std::unordered_set<uint64_t>* numbers) {
  if (number == 0) {
    return Status::InvalidArgument(std::string(what) + " number 0");
  }
  if (edit.next_file_number && number >= *edit.next_file_number) {
    return Status::InvalidArgument(std::string(what) + " #" + std::to_string(number) +
                                   " is not below next_file_number " +
                                   std::to_string(*edit.next_file_number));
  }
  if (!numbers->insert(number).second) {
    return Status::InvalidArgument(std::string(what) + " #" + std::to_string(number) +
                                   " listed twice");
  }
  return Status::OK();
}

Status CheckSegments(const VersionEdit& edit, std::unordered_set<uint64_t>* numbers) {
  for (const SegmentMeta& meta : edit.added_segments) {
    Status s = meta.Check();
    if (!s.ok()) {
      return s.WithContext("added segment #" + std::to_string(meta.number));
    }
    CAIRN_RETURN_IF_ERROR(CheckFileNumber(edit, "file", meta.number, numbers));
    if (edit.last_sequence && meta.max_seq > *edit.last_sequence) {
      return Status::InvalidArgument("segment #" + std::to_string(meta.number) +
                                     " holds sequence numbers past last_sequence");
    }
    if (edit.last_commit_micros && meta.max_commit_micros > *edit.last_commit_micros) {
      return Status::InvalidArgument("segment #" + std::to_string(meta.number) +
                                     " holds commit times past last_commit_micros");
    }
  }
  std::unordered_set<uint64_t> deleted;
  for (const DeletedSegment& d : edit.deleted_segments) {
    if (d.level >= kMaxLevels) {
      return Status::InvalidArgument("deleted segment #" + std::to_string(d.number) + " at level " +
                                     std::to_string(d.level));
    }
    // A segment deleted at one level and added at another is a move (a compaction that only
    // relabels a file's level); deleted and added at the same level, or a WAL number, is not.
    auto moved = std::find_if(edit.added_segments.begin(), edit.added_segments.end(),
                              [&](const SegmentMeta& added) { return added.number == d.number; });
    bool is_move = moved != edit.added_segments.end() && moved->level != d.level;
    if (numbers->count(d.number) != 0 && !is_move) {
      return Status::InvalidArgument("segment #" + std::to_string(d.number) +
                                     " is both added and deleted at one level (or is a WAL "
                                     "number)");
    }
    CAIRN_RETURN_IF_ERROR(CheckFileNumber(edit, "deleted segment", d.number, &deleted));
  }
  return Status::OK();
}

}  // namespace

void VersionEdit::EncodeTo(std::string* out) const {
  assert(Check().ok());
  if (db_id) {
    PutField(out, EditTag::kDbId,
             std::string_view(reinterpret_cast<const char*>(db_id->data()), db_id->size()));
  }
  if (log_number) PutU64Field(out, EditTag::kLogNumber, *log_number);
  if (next_file_number) PutU64Field(out, EditTag::kNextFileNumber, *next_file_number);
  if (last_sequence) PutU64Field(out, EditTag::kLastSequence, *last_sequence);
  if (last_commit_micros) PutU64Field(out, EditTag::kLastCommitMicros, *last_commit_micros);
  for (uint64_t number : added_wals) {
    PutU64Field(out, EditTag::kAddedWal, number);
  }
  std::string body;
  for (const SegmentMeta& meta : added_segments) {
    body.clear();
    meta.EncodeTo(&body);
    PutField(out, EditTag::kAddedSegment, body);
  }
  for (const DeletedSegment& d : deleted_segments) {
    body.clear();
    PutVarint32(&body, d.level);
    PutVarint64(&body, d.number);
    PutField(out, EditTag::kDeletedSegment, body);
  }
}

Status VersionEdit::DecodeFrom(std::string_view input) {
  *this = VersionEdit();
  const size_t total = input.size();
  uint32_t seen = 0;
  while (!input.empty()) {
    const size_t field_offset = total - input.size();
    uint32_t tag = 0;
    std::string_view body;
    if (!GetVarint32(&input, &tag)) {
      return Status::Corruption("edit byte " + std::to_string(field_offset) +
                                ": field tag truncated or malformed");
    }
    // GetLengthPrefixed checks the length against the bytes left before taking any.
    if (!GetLengthPrefixed(&input, &body)) {
      return Status::Corruption(FieldError(field_offset, tag, "field length exceeds the edit"));
    }
    CAIRN_RETURN_IF_ERROR(DecodeField(tag, body, field_offset, &seen, this));
  }
  Status checked = Check();
  if (!checked.ok()) {
    return Status::Corruption("edit: " + checked.message());
  }
  return Status::OK();
}

Status VersionEdit::Check() const {
  CAIRN_RETURN_IF_ERROR(CheckSnapshotFields(*this));
  if (last_sequence && *last_sequence > kMaxSequenceNumber) {
    return Status::InvalidArgument("last_sequence " + std::to_string(*last_sequence) +
                                   " exceeds 2^56 - 1");
  }
  if (next_file_number && *next_file_number == 0) {
    return Status::InvalidArgument("next_file_number 0");
  }
  if (added_wals.size() > kMaxWalsPerEdit || added_segments.size() > kMaxSegmentsPerEdit ||
      deleted_segments.size() > kMaxSegmentsPerEdit) {
    return Status::InvalidArgument("edit lists more files than the format allows");
  }
  // WAL and segment numbers come from one counter, so they share one duplicate check.
  std::unordered_set<uint64_t> numbers;
  for (uint64_t number : added_wals) {
    CAIRN_RETURN_IF_ERROR(CheckFileNumber(*this, "WAL", number, &numbers));
    if (log_number && number < *log_number) {
      return Status::InvalidArgument("WAL #" + std::to_string(number) + " is below log_number " +
                                     std::to_string(*log_number));
    }
  }
  return CheckSegments(*this, &numbers);
}

std::string VersionEdit::DebugString() const {
  std::string out = is_snapshot() ? "snapshot db_id=" + HexBytes(db_id->data(), db_id->size())
                                  : std::string("delta");
  out += "\n ";
  auto scalar = [&out](const char* name, const std::optional<uint64_t>& value) {
    if (value) {
      out += std::string(" ") + name + "=" + std::to_string(*value);
    }
  };
  scalar("log_number", log_number);
  scalar("next_file_number", next_file_number);
  scalar("last_sequence", last_sequence);
  scalar("last_commit_micros", last_commit_micros);
  out += "\n";
  for (uint64_t number : added_wals) {
    out += "  add_wal " + std::to_string(number) + "\n";
  }
  for (const SegmentMeta& meta : added_segments) {
    out += "  add_segment " + meta.DebugString() + "\n";
  }
  for (const DeletedSegment& d : deleted_segments) {
    out += "  delete_segment #" + std::to_string(d.number) + " L" + std::to_string(d.level) + "\n";
  }
  return out;
}

}  // namespace cairn::manifest
