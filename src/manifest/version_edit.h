// VersionEdit: one change to the set of files that make up the database, as recorded in the
// manifest log. Replaying a manifest's edits in order rebuilds the current version.
//
// The first edit of every manifest file is a *snapshot*: it carries db_id and describes the
// whole state (every scalar field set, every live WAL and segment listed, nothing deleted).
// Later edits are deltas. The encoding (docs/format-manifest.md) is a sequence of tagged,
// length-framed fields whose tag numbers are frozen (manifest_format.h).
//
// Invariants (Check()):
//   - a snapshot (db_id set) has log_number, next_file_number, last_sequence and
//     last_commit_micros set and deletes nothing;
//   - every file number is > 0 and, when next_file_number is set, below it;
//   - every added WAL is >= log_number when log_number is set;
//   - no WAL or segment number appears twice; no segment is both added and deleted at one
//     level (deleted at one level and added at another is a move);
//   - every added segment passes SegmentMeta::Check(); when set, last_sequence bounds every
//     segment's max_seq, and last_commit_micros every segment's max_commit_micros;
//   - last_sequence <= kMaxSequenceNumber; list sizes within the limits of manifest_format.h.
//
// Thread safety: a plain value.
#ifndef CAIRN_MANIFEST_VERSION_EDIT_H_
#define CAIRN_MANIFEST_VERSION_EDIT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "manifest/segment_meta.h"
#include "record/record_format.h"

namespace cairn::manifest {

struct DeletedSegment {
  uint32_t level = 0;
  uint64_t number = 0;
  bool operator==(const DeletedSegment&) const = default;
};

struct VersionEdit {
  // Set only in the snapshot edit that opens a manifest file: the database's id, which must
  // equal the manifest header's and IDENTITY's.
  std::optional<record::DbId> db_id;
  // WAL files numbered below log_number are obsolete: all their records are in segments.
  std::optional<uint64_t> log_number;
  // The next unused file number (WAL, segment, manifest numbers share one counter).
  std::optional<uint64_t> next_file_number;
  // The largest sequence number covered by the state after this edit.
  std::optional<uint64_t> last_sequence;
  // The largest commit time (µs since the Unix epoch) covered; the clock floor at reopen.
  std::optional<uint64_t> last_commit_micros;
  // WAL files created since the previous edit (recorded when created, before any record in
  // them is acknowledged), so recovery can tell that a newest WAL is missing. In a snapshot:
  // every live WAL (number >= log_number).
  std::vector<uint64_t> added_wals;
  std::vector<SegmentMeta> added_segments;
  std::vector<DeletedSegment> deleted_segments;

  bool is_snapshot() const { return db_id.has_value(); }

  // Appends the encoding. Requires Check().ok() (asserted: encoding a broken edit is a
  // programmer error; ManifestWriter also refuses one with InvalidArgument in release builds).
  void EncodeTo(std::string* out) const;

  // Replaces *this with the edit encoded in `input`, then checks it. Corruption names the
  // field and what failed: a truncated or overlong field, an unknown tag without the
  // safe-to-ignore bit, a repeated scalar field, a length or count beyond the limits of
  // manifest_format.h (checked before anything is allocated), or a broken invariant.
  [[nodiscard]] Status DecodeFrom(std::string_view input);

  // The invariants above. InvalidArgument names the first one broken.
  [[nodiscard]] Status Check() const;

  // Multi-line, human-readable, stable enough for logs and `cairn verify`:
  //   snapshot db_id=0011..ff
  //   log_number=7 next_file_number=13 last_sequence=990 last_commit_micros=17950...
  //   add_wal 7
  //   add_segment #12 L0 ...
  //   delete_segment #9 L1
  std::string DebugString() const;

  bool operator==(const VersionEdit&) const = default;
};

}  // namespace cairn::manifest

#endif  // CAIRN_MANIFEST_VERSION_EDIT_H_
