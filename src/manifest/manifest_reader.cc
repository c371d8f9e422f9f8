#include "manifest/manifest_reader.h"

#include <memory>
#include <utility>

#include "env/env_util.h"
#include "manifest/manifest_format.h"
#include "record/record_reader.h"
#include "util/filename.h"

namespace cairn::manifest {
namespace {

// Reads one manifest file front to back. Nothing on disk changes until the whole file has
// been read and judged: the torn-tail cut is made by ReadManifest after Run() returns.
class ManifestReplay {
 public:
  ManifestReplay(std::string name, const std::optional<record::DbId>& expected_db_id,
                 const ManifestEditCallback& on_edit, ManifestReadReport* report)
      : name_(std::move(name)),
        expected_db_id_(expected_db_id),
        on_edit_(on_edit),
        report_(report) {}

  // Reads the header and every record. OK with report_->torn_tail set means the caller may
  // cut the file at report_->torn_tail_offset.
  Status Run(record::RecordReader* reader, uint64_t number);

 private:
  Status Corrupt(uint64_t offset, const std::string& what) const {
    return Status::Corruption("manifest " + name_ + " offset " + std::to_string(offset) + ": " +
                              what);
  }
  Status ReadHeader(record::RecordReader* reader, uint64_t number);
  Status ApplyRecord(const record::Record& record);
  Status OnDamage(record::RecordReader* reader);

  const std::string name_;
  const std::optional<record::DbId>& expected_db_id_;
  const ManifestEditCallback& on_edit_;
  ManifestReadReport* const report_;
  record::DbId header_db_id_{};
};

Status ManifestReplay::Run(record::RecordReader* reader, uint64_t number) {
  report_->file_size_bytes = reader->file_size();
  CAIRN_RETURN_IF_ERROR(ReadHeader(reader, number));
  report_->valid_end_offset = record::kFileHeaderSize;
  for (;;) {
    record::Record record;
    record::RecordReader::Outcome outcome;
    CAIRN_RETURN_IF_ERROR(reader->Next(&record, &outcome));
    if (outcome == record::RecordReader::Outcome::kEnd) {
      break;
    }
    if (outcome == record::RecordReader::Outcome::kDamage) {
      return OnDamage(reader);
    }
    CAIRN_RETURN_IF_ERROR(ApplyRecord(record));
  }
  if (report_->edit_count == 0) {
    return Corrupt(record::kFileHeaderSize, "the file holds no snapshot edit");
  }
  return Status::OK();
}

Status ManifestReplay::ReadHeader(record::RecordReader* reader, uint64_t number) {
  record::FileHeader header;
  Status s = reader->ReadHeader(kManifestMagic, &header);
  if (!s.ok()) {
    if (s.IsCorruption()) {
      return Corrupt(0, s.message());
    }
    return s.WithContext("manifest " + name_);  // NotSupported or IOError
  }
  report_->file_number = header.file_number;
  report_->prev_manifest_number = header.prev_file_number;
  report_->db_id = header.db_id;
  header_db_id_ = header.db_id;
  if (header.file_number != number) {
    return Corrupt(0, "header names file number " + std::to_string(header.file_number) +
                          " (misplaced or renamed file)");
  }
  if (expected_db_id_ && header.db_id != *expected_db_id_) {
    return Corrupt(0, "header names another database id");
  }
  return Status::OK();
}

Status ManifestReplay::ApplyRecord(const record::Record& record) {
  const uint64_t index = report_->edit_count;
  if (record.type != kEditRecordType) {
    return Corrupt(record.offset, "record of type " +
                                      std::to_string(static_cast<int>(record.type)) +
                                      " is not a manifest edit");
  }
  if (record.first_seq != index || record.seq_count != kEditIndexCount) {
    return Corrupt(record.offset, "record claims edit index " + std::to_string(record.first_seq) +
                                      ", expected " + std::to_string(index));
  }
  VersionEdit edit;
  Status s = edit.DecodeFrom(record.payload);
  if (!s.ok()) {
    return Corrupt(record.offset, "edit " + std::to_string(index) + ": " + s.message());
  }
  if (index == 0 && !edit.is_snapshot()) {
    return Corrupt(record.offset, "the first edit is not a snapshot (no db_id)");
  }
  if (index > 0 && edit.is_snapshot()) {
    return Corrupt(record.offset, "edit " + std::to_string(index) + " is a second snapshot");
  }
  if (edit.is_snapshot() && *edit.db_id != header_db_id_) {
    return Corrupt(record.offset, "snapshot edit names another database id than the header");
  }
  s = on_edit_(edit, record.offset);
  if (!s.ok()) {
    return s.WithContext("manifest " + name_ + " offset " + std::to_string(record.offset) +
                         " (edit " + std::to_string(index) + ")");
  }
  report_->edit_count++;
  report_->valid_end_offset = record.end_offset();
  return Status::OK();
}

Status ManifestReplay::OnDamage(record::RecordReader* reader) {
  const uint64_t offset = reader->damage_offset();
  const std::string what =
      "edit " + std::to_string(report_->edit_count) + ": " + reader->damage_reason();
  if (report_->edit_count == 0) {
    // The snapshot is synced before CURRENT can name the file, so it is never a torn tail.
    return Corrupt(offset, what + "; the file holds no intact snapshot edit");
  }
  record::DamageScan scan;
  CAIRN_RETURN_IF_ERROR(reader->ScanAfterDamage(offset, &scan));
  if (scan.max_synced_offset_after > offset) {
    return Corrupt(offset, what + "; " + std::to_string(scan.intact_records_after) +
                               " intact record(s) after it (edits " +
                               std::to_string(scan.min_seq_after) + ".." +
                               std::to_string(scan.max_seq_after) + ") show bytes up to offset " +
                               std::to_string(scan.max_synced_offset_after) +
                               " had been synced: an acknowledged edit is lost");
  }
  report_->torn_tail = true;
  report_->torn_tail_offset = offset;
  report_->torn_tail_reason = what + "; " + std::to_string(scan.intact_records_after) +
                              " intact unacknowledged record(s) after it";
  return Status::OK();
}

}  // namespace

Status ReadManifest(Env* env, const std::string& dir, const std::string& manifest_name,
                    const std::optional<record::DbId>& expected_db_id, ManifestReadMode mode,
                    const ManifestEditCallback& on_edit, ManifestReadReport* report) {
  *report = ManifestReadReport();
  FileType type;
  uint64_t number = 0;
  if (!ParseFileName(manifest_name, &type, &number) || type != FileType::kManifest) {
    return Status::InvalidArgument("not a manifest file name: " + manifest_name);
  }
  const std::string path = JoinPath(dir, manifest_name);
  auto opened = record::RecordReader::Open(env, path);
  if (!opened.ok()) {
    if (opened.status().IsNotFound()) {
      // Whoever names a manifest (CURRENT) relies on it: its absence is lost metadata.
      return Status::Corruption("manifest " + path + " is missing");
    }
    return opened.status().WithContext("manifest " + path);
  }
  std::unique_ptr<record::RecordReader> reader = std::move(opened).value();
  ManifestReplay replay(manifest_name, expected_db_id, on_edit, report);
  CAIRN_RETURN_IF_ERROR(replay.Run(reader.get(), number));
  reader.reset();
  if (report->torn_tail && mode == ManifestReadMode::kRecover) {
    // TruncateFile also fdatasyncs, so the cut is durable before anything is built on it.
    Status s = env->TruncateFile(path, report->torn_tail_offset);
    if (!s.ok()) {
      return s.WithContext("cutting the torn tail of manifest " + path);
    }
    report->torn_tail_truncated = true;
  }
  return Status::OK();
}

}  // namespace cairn::manifest
