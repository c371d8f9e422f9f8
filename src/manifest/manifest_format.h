// The manifest's on-disk constants (spec: docs/format-manifest.md). Every value here is
// written to disk: never renumber or change one; add a new format version instead.
//
// A manifest file NNNNNN.manifest is a record file (record/record_format.h, framing spec in
// docs/format-wal.md): the same 56-byte header with the magic "CAIRNMAN", then records of type
// kManifestEdit whose payload is one encoded VersionEdit:
//
//   edit  := field*
//   field := tag:varint32 length:varint32 body[length]
//
// The record's first_seq is the edit's index in the file (0 for the snapshot edit), its
// seq_count is 1, and its commit_micros is the wall-clock time the edit was written
// (informational). The synced-offset rule of the WAL applies unchanged.
#ifndef CAIRN_MANIFEST_MANIFEST_FORMAT_H_
#define CAIRN_MANIFEST_MANIFEST_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "record/record_format.h"
#include "util/constants.h"
#include "util/internal_key.h"

namespace cairn::manifest {

// "CAIRNMAN": a manifest log. Same length as the WAL's magic, so the header layout is shared.
inline constexpr std::string_view kManifestMagic{"CAIRNMAN", 8};
static_assert(kManifestMagic.size() == record::kMagicSize);

// The record type of every manifest record.
inline constexpr record::RecordType kEditRecordType = record::RecordType::kManifestEdit;
// Every edit occupies one index (the record's seq_count).
inline constexpr uint32_t kEditIndexCount = 1;

// Field tags of an encoded VersionEdit. Written to disk; never renumber, never reuse.
enum class EditTag : uint32_t {
  kDbId = 1,              // body: 16 bytes; present exactly in the snapshot edit
  kLogNumber = 2,         // body: varint64
  kNextFileNumber = 3,    // body: varint64
  kLastSequence = 4,      // body: varint64
  kLastCommitMicros = 5,  // body: varint64
  kAddedWal = 6,          // body: varint64 WAL file number; repeated
  kAddedSegment = 7,      // body: SegmentMeta (see segment_meta.h); repeated
  kDeletedSegment = 8,    // body: level:varint32 number:varint64; repeated
};

// A tag with this bit set names a field a reader that does not know it may skip (its body is
// length-framed). Every tag of format version 1 has it clear: an unknown tag without the bit
// is Corruption. A future ignorable field must also be safe to lose at the next rollover,
// since a reader that skips it does not carry it into its snapshot.
inline constexpr uint32_t kSafeToIgnoreTagBit = 1u << 6;
static_assert((static_cast<uint32_t>(EditTag::kDeletedSegment) & kSafeToIgnoreTagBit) == 0);

// --- Limits, each checked before anything is allocated from a decoded length ---

// An internal key is a user key (at most kMaxKeySizeBytes) plus the 8-byte trailer.
inline constexpr size_t kMaxInternalKeyBytes = kMaxKeySizeBytes + kTrailerSize;
inline constexpr size_t kMinInternalKeyBytes = kTrailerSize;
// Levels a segment may be in. The compaction policy uses far fewer; the bound only keeps a
// corrupt level number from indexing anything unbounded.
inline constexpr uint32_t kMaxLevels = 64;
// Segments one edit may add or delete. A snapshot lists every live segment: a million
// segments of even 1 MiB is a terabyte-sized database, far past what one manifest edit
// should describe; the record payload bound (256 MiB) caps the bytes anyway.
inline constexpr size_t kMaxSegmentsPerEdit = 1u << 20;
// WAL files one edit may list. Live WAL bytes are capped (Options::max_wal_size_bytes), so a
// database has a handful of live logs; 65536 leaves room for tiny logs and long outages.
inline constexpr size_t kMaxWalsPerEdit = 1u << 16;
// An encoded edit is one record payload.
inline constexpr size_t kMaxEditBytes = kMaxRecordPayloadBytes;

// --- CURRENT (text; see current_file.h) ---

inline constexpr std::string_view kCurrentFirstLinePrefix = "cairn-current v";
inline constexpr uint32_t kCurrentFormatVersion = 1;
// A CURRENT is about 60 bytes; anything much larger is not one of ours.
inline constexpr size_t kMaxCurrentFileBytes = 256;

}  // namespace cairn::manifest

#endif  // CAIRN_MANIFEST_MANIFEST_FORMAT_H_
