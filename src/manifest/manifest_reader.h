// ReadManifest: reads, validates and replays one manifest file.
//
// The manifest is a record file like the WAL, so it is read with record::RecordReader and judged by
// the same synced-offset rule (docs/format-manifest.md):
//   - damage after the last synced offset (no intact record after it claims it was synced)
//     is a torn tail, a crash during an Append whose edit was never acknowledged: in
//     kRecover mode it is cut off with Env::TruncateFile (which fsyncs), in kVerifyOnly
//     mode it is only reported;
//   - damage at or before a synced offset lost an acknowledged edit: Corruption naming the
//     file, the offset, the edit index and what failed; nothing on disk is changed.
// Also Corruption: a missing file, a bad header or magic (a manifest named by CURRENT was
// complete before CURRENT named it, so its header is never torn), a header naming another
// file number or another database, a record of another type, an edit index out of order,
// an edit that does not decode or breaks an invariant, a first edit that is not a snapshot,
// a later edit that is one, and a file with no intact snapshot edit (even when the damage
// would otherwise look like a torn tail: the snapshot was synced before CURRENT named it).
// NotSupported for a higher format version; IOError from the Env.
//
// Edits are delivered to the callback in file order as they are read. If ReadManifest
// returns non-OK, the caller must discard everything the callback built: no partial state
// may be used. A non-OK status from the callback (e.g. the VersionSet finding an edit that
// deletes a segment it does not have) stops the read and is returned with the file and
// offset added; the tail is then left as it is.
//
// Thread safety: stateless; the caller must ensure no writer appends to the file meanwhile.
#ifndef CAIRN_MANIFEST_MANIFEST_READER_H_
#define CAIRN_MANIFEST_MANIFEST_READER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "cairn/env.h"
#include "cairn/status.h"
#include "manifest/version_edit.h"
#include "record/record_format.h"

namespace cairn::manifest {

enum class ManifestReadMode {
  kRecover,     // cut a torn tail (TruncateFile, durable) so the file ends at its last edit
  kVerifyOnly,  // never change the file (`cairn verify`); a torn tail is only reported
};

// What the read found, for the info log and `cairn verify`. Filled as far as the read got,
// also on error.
struct ManifestReadReport {
  uint64_t file_number = 0;
  uint64_t prev_manifest_number = 0;  // from the header
  record::DbId db_id{};               // from the header
  uint64_t file_size_bytes = 0;       // before any truncation
  uint64_t edit_count = 0;            // edits delivered, the snapshot included
  uint64_t valid_end_offset = 0;      // end of the last intact edit
  // A torn tail: bytes [torn_tail_offset, file_size_bytes) were not an acknowledged edit.
  bool torn_tail = false;
  uint64_t torn_tail_offset = 0;
  std::string torn_tail_reason;
  bool torn_tail_truncated = false;  // kRecover: the cut was made and synced
};

// Called once per edit, in order. `record_offset` is the file offset of the edit's record.
using ManifestEditCallback = std::function<Status(const VersionEdit& edit, uint64_t record_offset)>;

// Reads `dir`/`manifest_name` ("NNNNNN.manifest"; anything else is InvalidArgument). If
// `expected_db_id` is set, the header's and the snapshot's db_id must equal it. Statuses as
// described in the header comment. `report` must not be null.
[[nodiscard]] Status ReadManifest(Env* env, const std::string& dir,
                                  const std::string& manifest_name,
                                  const std::optional<record::DbId>& expected_db_id,
                                  ManifestReadMode mode, const ManifestEditCallback& on_edit,
                                  ManifestReadReport* report);

}  // namespace cairn::manifest

#endif  // CAIRN_MANIFEST_MANIFEST_READER_H_
