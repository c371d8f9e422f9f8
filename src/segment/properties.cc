#include "segment/properties.h"

#include <array>
#include <cassert>

#include "segment/segment_format.h"
#include "util/coding.h"
#include "util/constants.h"
#include "util/internal_key.h"

namespace cairn::segment {
namespace {

// Field tags. Written to disk; never renumber. 0 is never a tag.
enum Tag : uint32_t {
  kTagSmallestKey = 1,
  kTagLargestKey = 2,
  kTagMinSequence = 3,
  kTagMaxSequence = 4,
  kTagEntryCount = 5,
  kTagDeletionCount = 6,
  kTagMinCommitMicros = 7,
  kTagMaxCommitMicros = 8,
  kTagRawKeyBytes = 9,
  kTagRawValueBytes = 10,
  kTagDataBlockCount = 11,
  kTagDataBytes = 12,
  kTagIndexBytes = 13,
  kTagFilterBytes = 14,
  kTagCompression = 15,
  kTagCreationMicros = 16,
};
constexpr uint32_t kLastTag = kTagCreationMicros;

void PutKeyField(std::string* out, Tag tag, std::string_view key) {
  PutVarint32(out, tag);
  PutVarint32(out, static_cast<uint32_t>(key.size()));
  out->append(key.data(), key.size());
}

void PutIntField(std::string* out, Tag tag, uint64_t value) {
  PutVarint32(out, tag);
  PutVarint32(out, static_cast<uint32_t>(VarintLength(value)));
  PutVarint64(out, value);
}

// The integer fields, in tag order, as pointers into a SegmentProperties.
struct IntField {
  Tag tag;
  uint64_t SegmentProperties::*member;
};
constexpr std::array<IntField, 13> kIntFields = {{
    {kTagMinSequence, &SegmentProperties::min_sequence},
    {kTagMaxSequence, &SegmentProperties::max_sequence},
    {kTagEntryCount, &SegmentProperties::entry_count},
    {kTagDeletionCount, &SegmentProperties::deletion_count},
    {kTagMinCommitMicros, &SegmentProperties::min_commit_micros},
    {kTagMaxCommitMicros, &SegmentProperties::max_commit_micros},
    {kTagRawKeyBytes, &SegmentProperties::raw_key_bytes},
    {kTagRawValueBytes, &SegmentProperties::raw_value_bytes},
    {kTagDataBlockCount, &SegmentProperties::data_block_count},
    {kTagDataBytes, &SegmentProperties::data_bytes},
    {kTagIndexBytes, &SegmentProperties::index_bytes},
    {kTagFilterBytes, &SegmentProperties::filter_bytes},
    {kTagCreationMicros, &SegmentProperties::creation_micros},
}};

// Checks relations between fields, after every field has been read.
Status CheckConsistency(const SegmentProperties& p) {
  if (p.smallest_key.size() < kTrailerSize || p.largest_key.size() < kTrailerSize ||
      p.smallest_key.size() > kMaxKeySizeBytes + kTrailerSize ||
      p.largest_key.size() > kMaxKeySizeBytes + kTrailerSize) {
    return Status::Corruption("properties: key size out of range");
  }
  if (CompareInternalKeys(p.smallest_key, p.largest_key) > 0) {
    return Status::Corruption("properties: smallest key > largest key");
  }
  if (p.min_sequence > p.max_sequence || p.max_sequence > kMaxSequenceNumber) {
    return Status::Corruption("properties: bad sequence range");
  }
  if (p.min_commit_micros > p.max_commit_micros) {
    return Status::Corruption("properties: bad commit-time range");
  }
  if (p.entry_count == 0 || p.deletion_count > p.entry_count || p.data_block_count == 0 ||
      p.data_block_count > p.entry_count) {
    return Status::Corruption("properties: bad entry, deletion or block count");
  }
  return Status::OK();
}

}  // namespace

void EncodeProperties(const SegmentProperties& properties, std::string* out) {
  assert(CheckConsistency(properties).ok());
  PutKeyField(out, kTagSmallestKey, properties.smallest_key);
  PutKeyField(out, kTagLargestKey, properties.largest_key);
  for (const IntField& field : kIntFields) {
    PutIntField(out, field.tag, properties.*field.member);
  }
  PutIntField(out, kTagCompression, static_cast<uint8_t>(properties.compression));
}

Status DecodeProperties(std::string_view input, SegmentProperties* properties) {
  SegmentProperties decoded;
  uint32_t seen = 0;  // bit per known tag
  static_assert(kLastTag < 32);
  while (!input.empty()) {
    uint32_t tag = 0;
    std::string_view value;
    if (!GetVarint32(&input, &tag) || !GetLengthPrefixed(&input, &value)) {
      return Status::Corruption("properties: truncated field");
    }
    if (tag == 0) {
      return Status::Corruption("properties: tag 0");
    }
    if (tag > kLastTag) {
      continue;  // a field from a later version
    }
    if ((seen & (1u << tag)) != 0) {
      return Status::Corruption("properties: field " + std::to_string(tag) + " repeated");
    }
    seen |= 1u << tag;
    if (tag == kTagSmallestKey || tag == kTagLargestKey) {
      (tag == kTagSmallestKey ? decoded.smallest_key : decoded.largest_key).assign(value);
      continue;
    }
    uint64_t number = 0;
    if (!GetVarint64(&value, &number) || !value.empty()) {
      return Status::Corruption("properties: field " + std::to_string(tag) + " is not a varint");
    }
    if (tag == kTagCompression) {
      if (number > 0xff || !IsKnownCompression(static_cast<uint8_t>(number))) {
        return Status::Corruption("properties: unknown compression " + std::to_string(number));
      }
      decoded.compression = static_cast<Compression>(number);
      continue;
    }
    for (const IntField& field : kIntFields) {
      if (field.tag == tag) {
        decoded.*field.member = number;
      }
    }
  }
  for (uint32_t tag = 1; tag <= kLastTag; tag++) {
    if ((seen & (1u << tag)) == 0) {
      return Status::Corruption("properties: field " + std::to_string(tag) + " missing");
    }
  }
  CAIRN_RETURN_IF_ERROR(CheckConsistency(decoded));
  *properties = std::move(decoded);
  return Status::OK();
}

}  // namespace cairn::segment
