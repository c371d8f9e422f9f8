#include "manifest/manifest_writer.h"

#include <cassert>

#include "env/env_util.h"
#include "manifest/manifest_format.h"
#include "util/filename.h"

namespace cairn::manifest {
namespace {

// The edit checks every writer call makes before touching the file. A broken edit is a
// programmer error (asserted), but release builds refuse it too: written, it would make the
// manifest unreadable and the database unopenable.
Status CheckEditForWrite(const VersionEdit& edit, bool want_snapshot) {
  Status s = edit.Check();
  assert(s.ok());
  if (!s.ok()) {
    return Status::InvalidArgument("refusing to write a broken version edit: " + s.message());
  }
  assert(edit.is_snapshot() == want_snapshot);
  if (edit.is_snapshot() != want_snapshot) {
    return Status::InvalidArgument(want_snapshot
                                       ? "a manifest must start with a snapshot edit"
                                       : "only the first edit of a manifest may be a snapshot");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<ManifestWriter>> ManifestWriter::Create(Env* env, const std::string& dir,
                                                               uint64_t number,
                                                               uint64_t prev_manifest_number,
                                                               const record::DbId& db_id,
                                                               const VersionEdit& snapshot) {
  CAIRN_RETURN_IF_ERROR(CheckEditForWrite(snapshot, /*want_snapshot=*/true));
  assert(*snapshot.db_id == db_id);
  if (*snapshot.db_id != db_id) {
    return Status::InvalidArgument("snapshot edit names another database id");
  }
  // The manifest's own number comes from the counter the snapshot records.
  assert(number > 0 && number < *snapshot.next_file_number);
  if (number == 0 || number >= *snapshot.next_file_number) {
    return Status::InvalidArgument("manifest number " + std::to_string(number) +
                                   " is not below the snapshot's next_file_number");
  }
  record::FileHeader header;
  header.magic = kManifestMagic;
  header.file_number = number;
  header.prev_file_number = prev_manifest_number;
  header.db_id = db_id;
  const std::string path = JoinPath(dir, ManifestFileName(number));
  // Writes the header, fdatasyncs it and fsyncs `dir`, so the name is durable before the
  // snapshot record is acknowledged.
  auto log = record::RecordWriter::Create(env, dir, path, header);
  if (!log.ok()) {
    return log.status().WithContext("create manifest " + path);
  }
  std::unique_ptr<ManifestWriter> writer(new ManifestWriter(env, std::move(log).value()));
  CAIRN_RETURN_IF_ERROR(writer->WriteEdit(snapshot));
  return writer;
}

ManifestWriter::ManifestWriter(Env* env, std::unique_ptr<record::RecordWriter> log)
    : env_(env), log_(std::move(log)) {}

ManifestWriter::~ManifestWriter() = default;

Status ManifestWriter::Append(const VersionEdit& edit) {
  if (log_->poisoned()) {
    return log_->error();
  }
  CAIRN_RETURN_IF_ERROR(CheckEditForWrite(edit, /*want_snapshot=*/false));
  return WriteEdit(edit);
}

Status ManifestWriter::WriteEdit(const VersionEdit& edit) {
  std::string payload;
  edit.EncodeTo(&payload);
  if (payload.size() > kMaxEditBytes) {
    return Status::InvalidArgument("version edit of " + std::to_string(payload.size()) +
                                   " bytes exceeds the record limit of " +
                                   std::to_string(kMaxEditBytes));
  }
  std::string record;
  // The record carries the synced offset (everything before it: every earlier Append was
  // synced), the edit's index in the file, and the wall time, which only helps operators.
  log_->AppendRecord(kEditRecordType, /*first_seq=*/edit_count_, kEditIndexCount, env_->NowMicros(),
                     payload, &record);
  Status s = log_->Write(record);
  if (s.ok()) {
    s = log_->Sync();
  }
  if (!s.ok()) {
    // The RecordWriter is now poisoned and keeps the first error; never retried.
    return s.WithContext("manifest edit " + std::to_string(edit_count_) +
                         " (outcome unknown; roll over to a new manifest)");
  }
  edit_count_++;
  return Status::OK();
}

Status ManifestWriter::Close() { return log_->Close(); }

}  // namespace cairn::manifest
