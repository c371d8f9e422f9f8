#include "db/verify.h"

#include <algorithm>
#include <map>
#include <optional>

#include "db/batch_payload.h"
#include "db/identity.h"
#include "env/env_util.h"
#include "manifest/current_file.h"
#include "manifest/manifest_reader.h"
#include "record/record_reader.h"
#include "segment/segment.h"
#include "util/filename.h"
#include "wal/wal_format.h"

namespace cairn {
namespace {

// What the manifest says is live.
struct LiveState {
  bool known = false;
  uint64_t log_number = 0;
  std::map<uint64_t, manifest::SegmentMeta> segments;
};

// Whether a WAL file holds at least one intact record (under its own header's identity).
Result<bool> WalHoldsRecords(Env* env, const std::string& path) {
  auto opened = record::RecordReader::Open(env, path);
  if (!opened.ok()) {
    return opened.status();
  }
  record::FileHeader header;
  Status s = opened.value()->ReadHeader(wal::kWalMagic, &header);
  if (s.IsIOError()) {
    return s;
  }
  if (!s.ok()) {
    return true;  // unreadable header: judged by VerifyWal, never skipped
  }
  record::DamageScan scan;
  CAIRN_RETURN_IF_ERROR(opened.value()->ScanAfterDamage(record::kFileHeaderSize - 1, &scan));
  return scan.intact_records_after > 0;
}

// Checks one WAL file: header, then every record's checksum and payload structure.
// `expected_prev_below` is set for the oldest live log (its predecessor must be below it),
// `expected_prev` otherwise.
Status VerifyWal(Env* env, const std::string& dir, const std::string& name, uint64_t number,
                 std::optional<uint64_t> expected_prev, uint64_t expected_prev_below, bool newest,
                 const record::DbId* db_id, VerifyReport* report) {
  auto opened = record::RecordReader::Open(env, JoinPath(dir, name));
  if (!opened.ok()) {
    report->problems.push_back(name + ": cannot open: " + opened.status().ToString());
    return Status::OK();
  }
  record::RecordReader* reader = opened.value().get();
  report->files_checked++;
  record::FileHeader header;
  Status s = reader->ReadHeader(wal::kWalMagic, &header);
  if (!s.ok()) {
    if (s.IsIOError()) {
      return s;
    }
    std::string line = name + " offset 0: " + s.message();
    if (newest && reader->file_size() <= record::kFileHeaderSize) {
      report->notes.push_back(line + " (an unfinished newest WAL; the next open removes it)");
    } else {
      report->problems.push_back(line);
    }
    return Status::OK();
  }
  if (header.file_number != number) {
    report->problems.push_back(name + " offset 0: header names WAL " +
                               std::to_string(header.file_number));
  }
  bool chain_ok = expected_prev.has_value() ? header.prev_file_number == *expected_prev
                                            : header.prev_file_number < expected_prev_below;
  if (!chain_ok) {
    report->problems.push_back(name + " offset 0: its predecessor is WAL " +
                               std::to_string(header.prev_file_number) + ", which is missing");
  }
  if (db_id != nullptr && header.db_id != *db_id) {
    report->problems.push_back(name + " offset 0: belongs to another database");
  }
  for (;;) {
    record::Record record;
    record::RecordReader::Outcome outcome;
    CAIRN_RETURN_IF_ERROR(reader->Next(&record, &outcome));
    if (outcome == record::RecordReader::Outcome::kEnd) {
      break;
    }
    if (outcome == record::RecordReader::Outcome::kDamage) {
      record::DamageScan scan;
      CAIRN_RETURN_IF_ERROR(reader->ScanAfterDamage(reader->damage_offset(), &scan));
      std::string line = name + " offset " + std::to_string(reader->damage_offset()) + ": " +
                         reader->damage_reason();
      if (newest && scan.max_synced_offset_after <= reader->damage_offset()) {
        report->notes.push_back(line + " (torn tail of the newest WAL; the next open cuts it)");
      } else {
        report->problems.push_back(line);
      }
      break;
    }
    Status payload = ParseBatchPayload(record.payload, record.seq_count, nullptr);
    if (!payload.ok()) {
      report->problems.push_back(name + " offset " + std::to_string(record.offset) + ": " +
                                 payload.message());
    }
    report->records_checked++;
    report->bytes_checked += record.end_offset() - record.offset;
  }
  return Status::OK();
}

// Reads CURRENT and the manifest it names (never changing either) into *live.
Status VerifyManifest(Env* env, const std::string& dir, const record::DbId* db_id, LiveState* live,
                      VerifyReport* report) {
  uint64_t manifest_number = 0;
  Status s = manifest::ReadCurrent(env, dir, &manifest_number);
  if (s.IsIOError()) {
    return s;
  }
  if (!s.ok()) {
    report->problems.push_back("CURRENT: " + s.ToString());
    return Status::OK();
  }
  report->files_checked += 2;
  std::string name = ManifestFileName(manifest_number);
  manifest::ManifestReadReport read_report;
  std::optional<record::DbId> expected;
  if (db_id != nullptr) {
    expected = *db_id;
  }
  s = manifest::ReadManifest(
      env, dir, name, expected, manifest::ManifestReadMode::kVerifyOnly,
      [&](const manifest::VersionEdit& edit, uint64_t) {
        for (const auto& deleted : edit.deleted_segments) {
          live->segments.erase(deleted.number);
        }
        for (const auto& added : edit.added_segments) {
          live->segments[added.number] = added;
        }
        if (edit.log_number) {
          live->log_number = std::max(live->log_number, *edit.log_number);
        }
        return Status::OK();
      },
      &read_report);
  if (s.IsIOError()) {
    return s;
  }
  if (!s.ok()) {
    report->problems.push_back(name + ": " + s.message());
    return Status::OK();
  }
  live->known = true;
  if (read_report.torn_tail) {
    report->notes.push_back(name + " offset " + std::to_string(read_report.torn_tail_offset) +
                            ": torn tail (" + read_report.torn_tail_reason +
                            "; the next open cuts it)");
  }
  return Status::OK();
}

// Reads every block of every live segment.
Status VerifySegments(Env* env, const std::string& dir, const LiveState& live,
                      VerifyReport* report) {
  for (const auto& [number, meta] : live.segments) {
    std::string name = SegmentFileName(number);
    auto segment =
        segment::Segment::Open(env, JoinPath(dir, name), number, meta.file_size_bytes, nullptr);
    if (!segment.ok()) {
      if (segment.status().IsIOError()) {
        return segment.status();
      }
      report->problems.push_back(
          name + ": " + segment.status().ToString() +
          (segment.status().IsNotFound() ? " (listed by the manifest)" : ""));
      continue;
    }
    report->files_checked++;
    uint64_t blocks = 0;
    Status s = segment.value()->VerifyAllBlocks(&blocks);
    if (s.IsIOError()) {
      return s;
    }
    if (!s.ok()) {
      report->problems.push_back(s.message());
    }
    report->records_checked += meta.entry_count;
    report->bytes_checked += meta.file_size_bytes;
  }
  return Status::OK();
}

}  // namespace

Status VerifyDatabase(Env* env, const std::string& dir, VerifyReport* report) {
  *report = VerifyReport();
  auto children = env->GetChildren(dir);
  if (!children.ok()) {
    return children.status();
  }
  std::vector<std::pair<uint64_t, std::string>> wals;
  std::set<uint64_t> segment_files;
  bool has_identity = false;
  for (const std::string& name : children.value()) {
    FileType type;
    uint64_t number;
    if (!ParseFileName(name, &type, &number)) {
      continue;
    }
    switch (type) {
      case FileType::kWal:
        wals.emplace_back(number, name);
        break;
      case FileType::kIdentity:
        has_identity = true;
        break;
      case FileType::kSegment:
        segment_files.insert(number);
        break;
      case FileType::kManifest:
      case FileType::kCurrent:
        break;  // the live manifest is found through CURRENT and checked below
      case FileType::kQuarantined:
        report->notes.push_back(name + ": a WAL set aside by salvage (kept for the operator)");
        break;
      case FileType::kTemp:
        report->notes.push_back(name +
                                ": left by an interrupted publish or zero-fill (the "
                                "next open removes it)");
        break;
      case FileType::kLock:
      case FileType::kInfoLog:
      case FileType::kInfoLogOld:
        break;  // no data to check
    }
  }
  std::sort(wals.begin(), wals.end());
  record::DbId db_id{};
  bool id_known = false;
  if (has_identity) {
    report->files_checked++;
    Status s = ReadIdentity(env, dir, &db_id);
    if (s.ok()) {
      id_known = true;
    } else if (s.IsIOError()) {
      return s;
    } else {
      report->problems.push_back("IDENTITY offset 0: " + s.message());
    }
  } else if (!wals.empty() || !segment_files.empty()) {
    report->problems.push_back("IDENTITY: missing while data files exist");
  }
  LiveState live;
  if (has_identity) {
    CAIRN_RETURN_IF_ERROR(VerifyManifest(env, dir, id_known ? &db_id : nullptr, &live, report));
    CAIRN_RETURN_IF_ERROR(VerifySegments(env, dir, live, report));
  }
  for (uint64_t number : segment_files) {
    if (live.known && live.segments.count(number) == 0) {
      report->notes.push_back(SegmentFileName(number) +
                              ": not listed by the manifest (an orphan; the next open removes it)");
    }
  }
  std::erase_if(wals, [&](const auto& wal) { return wal.first < live.log_number; });
  // A log is judged as the newest (a torn tail is only a note) when no later log holds a
  // record: the next WAL is prepared before the active one ends (docs/durability.md §2).
  size_t last_with_records = 0;
  for (size_t i = 0; i < wals.size(); i++) {
    auto holds = WalHoldsRecords(env, JoinPath(dir, wals[i].second));
    if (!holds.ok()) {
      return holds.status();
    }
    if (holds.value()) {
      last_with_records = i;
    }
  }
  for (size_t i = 0; i < wals.size(); i++) {
    std::optional<uint64_t> expected_prev;
    if (i > 0) {
      expected_prev = wals[i - 1].first;
    }
    CAIRN_RETURN_IF_ERROR(VerifyWal(env, dir, wals[i].second, wals[i].first, expected_prev,
                                    std::max<uint64_t>(live.log_number, 1),
                                    i + 1 == wals.size() || i >= last_with_records,
                                    id_known ? &db_id : nullptr, report));
  }
  return Status::OK();
}

}  // namespace cairn
