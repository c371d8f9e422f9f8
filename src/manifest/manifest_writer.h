// ManifestWriter: appends version edits to one manifest file, each durable before Append
// returns.
//
// A manifest file NNNNNN.manifest is a record file like the WAL (a record::RecordWriter with the
// magic "CAIRNMAN"); each record holds one encoded VersionEdit (docs/format-manifest.md).
// Create() writes the header and a snapshot edit of the whole current state, so a manifest
// never depends on an older one. Each Append() is one write(2) and one fdatasync, and every
// record is stamped with the synced offset, so recovery can tell a torn tail (a crash during
// an Append) from lost acknowledged edits.
//
// Errors. A failed write or sync *poisons* the writer: the edit's outcome is unknown (it may
// or may not be in the file after a crash) and fsync is never retried. Every later call
// returns the first error. The caller must stop using this file and roll over: Create() a
// new manifest (a new file number) holding a snapshot of the state *without* the failed
// edit, publish it with WriteCurrent(), then apply the edit there (or put it in the
// snapshot). Until CURRENT names the new manifest, a crash recovers from this one, possibly
// with the failed edit: files the failed edit added must not be deleted, and files it would
// make obsolete (WALs below its log_number, segments it deletes) must not be deleted either.
// The simplest correct reaction is the DB's sticky read-only state; rollover is the way to
// keep writing without a reopen.
//
// Ownership: the writer owns its file; the caller owns the writer and the Env (which must
// outlive it). The writer never deletes or renames files: which manifest is live is decided
// by CURRENT (current_file.h), and obsolete manifests are removed by the file collector.
// Thread safety: not thread-safe; the caller serialises edits (one manifest writer at a time).
#ifndef CAIRN_MANIFEST_MANIFEST_WRITER_H_
#define CAIRN_MANIFEST_MANIFEST_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "cairn/env.h"
#include "cairn/status.h"
#include "manifest/version_edit.h"
#include "record/record_format.h"
#include "record/record_writer.h"

namespace cairn::manifest {

class ManifestWriter {
 public:
  // Creates `dir`/NNNNNN.manifest (NNNNNN = `number`, a fresh file number never used before;
  // an existing file of that name is truncated) and makes it durable:
  //   1. write the header (magic "CAIRNMAN", `number`, `prev_manifest_number`, `db_id`),
  //      fdatasync it, fsync `dir` (record::RecordWriter::Create);
  //   2. write `snapshot` as the first record (edit index 0) and fdatasync it.
  // On OK the file is complete and may be published with WriteCurrent(). `snapshot` must be
  // a snapshot edit whose db_id equals `db_id` and must pass Check(): otherwise
  // InvalidArgument (and an assertion in debug builds) before any file is created. Other
  // errors are the Env's (IOError, NoSpace) with the path; the half-made file is an orphan
  // that no CURRENT names, left for the file collector.
  // `prev_manifest_number` is the manifest this one replaces (0 for a new database); it is
  // informational (shown by `cairn verify`).
  [[nodiscard]] static Result<std::unique_ptr<ManifestWriter>> Create(
      Env* env, const std::string& dir, uint64_t number, uint64_t prev_manifest_number,
      const record::DbId& db_id, const VersionEdit& snapshot);

  ManifestWriter(const ManifestWriter&) = delete;
  ManifestWriter& operator=(const ManifestWriter&) = delete;
  ~ManifestWriter();

  // Encodes `edit` into one record, writes it and fdatasyncs it. OK means the edit is
  // durable. `edit` must be a delta (no db_id) that passes Check(), and its encoding must
  // fit in one record: otherwise InvalidArgument (asserted in debug builds for a broken
  // edit), nothing is written and the writer stays usable. Any other error poisons the
  // writer (see the header comment): outcome unknown, roll over.
  [[nodiscard]] Status Append(const VersionEdit& edit);

  // Closes the file without syncing (everything acknowledged is already synced).
  [[nodiscard]] Status Close();

  // Bytes written to the file (header and records), for the rollover decision.
  uint64_t size_bytes() const { return log_->written_offset(); }
  // Bytes known durable.
  uint64_t synced_bytes() const { return log_->synced_offset(); }
  uint64_t number() const { return log_->file_number(); }
  // Edits in the file, the snapshot included.
  uint64_t edit_count() const { return edit_count_; }
  bool poisoned() const { return log_->poisoned(); }
  // The first write/sync error (OK if none).
  const Status& error() const { return log_->error(); }
  const std::string& path() const { return log_->path(); }

 private:
  ManifestWriter(Env* env, std::unique_ptr<record::RecordWriter> log);

  // Encodes, writes and syncs one record holding `edit` at index edit_count_.
  Status WriteEdit(const VersionEdit& edit);

  Env* const env_;
  std::unique_ptr<record::RecordWriter> log_;
  uint64_t edit_count_ = 0;
};

}  // namespace cairn::manifest

#endif  // CAIRN_MANIFEST_MANIFEST_WRITER_H_
