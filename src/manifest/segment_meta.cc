#include "manifest/segment_meta.h"

#include <cassert>
#include <cstdio>

#include "manifest/manifest_format.h"
#include "util/coding.h"
#include "util/internal_key.h"

namespace cairn::manifest {
namespace {

// Reads a length-prefixed internal key. The length is checked against the input (by
// GetLengthPrefixed) and against the format's bounds before the bytes are copied.
Status GetInternalKey(std::string_view* input, const char* what, std::string* key) {
  std::string_view bytes;
  if (!GetLengthPrefixed(input, &bytes)) {
    return Status::Corruption(std::string("segment meta: ") + what + " key truncated");
  }
  if (bytes.size() < kMinInternalKeyBytes || bytes.size() > kMaxInternalKeyBytes) {
    return Status::Corruption(std::string("segment meta: ") + what + " key of " +
                              std::to_string(bytes.size()) + " bytes is outside [" +
                              std::to_string(kMinInternalKeyBytes) + ", " +
                              std::to_string(kMaxInternalKeyBytes) + "]");
  }
  key->assign(bytes.data(), bytes.size());
  return Status::OK();
}

Status GetU64(std::string_view* input, const char* what, uint64_t* value) {
  if (!GetVarint64(input, value)) {
    return Status::Corruption(std::string("segment meta: ") + what + " truncated or malformed");
  }
  return Status::OK();
}

bool ValidKeySize(const std::string& key) {
  return key.size() >= kMinInternalKeyBytes && key.size() <= kMaxInternalKeyBytes;
}

void AppendEscaped(std::string_view bytes, std::string* out) {
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\' && byte != '\'') {
      out->push_back(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", byte);
      out->append(buf);
    }
  }
}

}  // namespace

void SegmentMeta::EncodeTo(std::string* out) const {
  assert(Check().ok());
  PutVarint32(out, level);
  PutVarint64(out, number);
  PutVarint64(out, file_size_bytes);
  PutLengthPrefixed(out, smallest);
  PutLengthPrefixed(out, largest);
  PutVarint64(out, min_seq);
  PutVarint64(out, max_seq);
  PutVarint64(out, min_commit_micros);
  PutVarint64(out, max_commit_micros);
  PutVarint64(out, entry_count);
  PutVarint64(out, deletion_count);
}

Status SegmentMeta::DecodeFrom(std::string_view input) {
  if (!GetVarint32(&input, &level)) {
    return Status::Corruption("segment meta: level truncated or malformed");
  }
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "number", &number));
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "file size", &file_size_bytes));
  CAIRN_RETURN_IF_ERROR(GetInternalKey(&input, "smallest", &smallest));
  CAIRN_RETURN_IF_ERROR(GetInternalKey(&input, "largest", &largest));
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "min_seq", &min_seq));
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "max_seq", &max_seq));
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "min_commit_micros", &min_commit_micros));
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "max_commit_micros", &max_commit_micros));
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "entry_count", &entry_count));
  CAIRN_RETURN_IF_ERROR(GetU64(&input, "deletion_count", &deletion_count));
  if (!input.empty()) {
    return Status::Corruption("segment meta: " + std::to_string(input.size()) +
                              " unexpected trailing bytes");
  }
  Status checked = Check();
  if (!checked.ok()) {
    return Status::Corruption("segment meta #" + std::to_string(number) + ": " + checked.message());
  }
  return Status::OK();
}

Status SegmentMeta::Check() const {
  if (number == 0) {
    return Status::InvalidArgument("segment number 0");
  }
  if (level >= kMaxLevels) {
    return Status::InvalidArgument("level " + std::to_string(level) +
                                   " >= " + std::to_string(kMaxLevels));
  }
  if (file_size_bytes == 0) {
    return Status::InvalidArgument("file size 0");
  }
  if (!ValidKeySize(smallest) || !ValidKeySize(largest)) {
    return Status::InvalidArgument("key size outside [" + std::to_string(kMinInternalKeyBytes) +
                                   ", " + std::to_string(kMaxInternalKeyBytes) + "]");
  }
  if (CompareInternalKeys(smallest, largest) > 0) {
    return Status::InvalidArgument("smallest key sorts after largest key");
  }
  if (min_seq > max_seq || max_seq > kMaxSequenceNumber) {
    return Status::InvalidArgument("bad sequence range [" + std::to_string(min_seq) + ", " +
                                   std::to_string(max_seq) + "]");
  }
  if (min_commit_micros > max_commit_micros) {
    return Status::InvalidArgument("commit time range is reversed");
  }
  if (entry_count == 0 || deletion_count > entry_count) {
    return Status::InvalidArgument("entry count " + std::to_string(entry_count) +
                                   " with deletion count " + std::to_string(deletion_count));
  }
  return Status::OK();
}

std::string SegmentMeta::DebugString() const {
  // Appends, not `"#" + std::to_string(...)`: GCC 12 at -O3 warns (-Wrestrict, GCC bug
  // 105329) about the inlined insert at the front of the temporary.
  std::string out;
  auto add = [&out](std::string_view text, uint64_t number) {
    out.append(text);
    out.append(std::to_string(number));
  };
  add("#", number);
  add(" L", level);
  add(" ", file_size_bytes);
  out.append(" bytes keys [");
  out.append(InternalKeyDebugString(smallest));
  out.append(" .. ");
  out.append(InternalKeyDebugString(largest));
  add("] seq [", min_seq);
  add(",", max_seq);
  add("] micros [", min_commit_micros);
  add(",", max_commit_micros);
  add("] ", entry_count);
  add(" entries (", deletion_count);
  out.append(" del)");
  return out;
}

std::string InternalKeyDebugString(std::string_view internal_key) {
  std::string out;
  if (internal_key.size() < kTrailerSize) {
    out.append("<bad key: ");
    AppendEscaped(internal_key, &out);
    out += ">";
    return out;
  }
  // Appends, not `out = "'"` or `"'@" + std::to_string(...)`: GCC 12 at -O3 warns
  // (-Wrestrict) about the inlined copies those expand to (GCC bug 105329).
  out.push_back('\'');
  AppendEscaped(ExtractUserKey(internal_key), &out);
  out += "'@";
  out += std::to_string(ExtractSequence(internal_key));
  out += ':';
  uint8_t kind = static_cast<uint8_t>(ExtractKind(internal_key));
  if (kind == static_cast<uint8_t>(ValueKind::kPut)) {
    out += "put";
  } else if (kind == static_cast<uint8_t>(ValueKind::kDelete)) {
    out += "del";
  } else {
    out += "kind";
    out += std::to_string(kind);
  }
  return out;
}

}  // namespace cairn::manifest
