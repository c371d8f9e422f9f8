#include "db/verify.h"

#include <algorithm>

#include "db/batch_payload.h"
#include "db/identity.h"
#include "env/env_util.h"
#include "util/filename.h"
#include "wal/wal_reader.h"

namespace cairn {
namespace {

// Checks one WAL file: header, then every record's checksum and payload structure.
// `expected_prev` is the previous log present (0 for the first).
Status VerifyWal(Env* env, const std::string& dir, const std::string& name, uint64_t number,
                 uint64_t expected_prev, bool newest, const wal::DbId* db_id,
                 VerifyReport* report) {
  auto opened = wal::WalReader::Open(env, JoinPath(dir, name));
  if (!opened.ok()) {
    report->problems.push_back(name + ": cannot open: " + opened.status().ToString());
    return Status::OK();
  }
  wal::WalReader* reader = opened.value().get();
  report->files_checked++;
  wal::FileHeader header;
  Status s = reader->ReadHeader(wal::kWalMagic, &header);
  if (!s.ok()) {
    if (s.IsIOError()) {
      return s;
    }
    std::string line = name + " offset 0: " + s.message();
    if (newest && reader->file_size() <= wal::kFileHeaderSize) {
      report->notes.push_back(line + " (an unfinished newest WAL; the next open removes it)");
    } else {
      report->problems.push_back(line);
    }
    return Status::OK();
  }
  if (header.file_number != number) {
    report->problems.push_back(name + " offset 0: header names log " +
                               std::to_string(header.file_number));
  }
  if (header.prev_file_number != expected_prev) {
    report->problems.push_back(name + " offset 0: its predecessor is log " +
                               std::to_string(header.prev_file_number) +
                               (expected_prev == 0
                                    ? ", which is missing"
                                    : " but the previous log present is " +
                                          std::to_string(expected_prev)));
  }
  if (db_id != nullptr && header.db_id != *db_id) {
    report->problems.push_back(name + " offset 0: belongs to another database");
  }
  for (;;) {
    wal::Record record;
    wal::WalReader::Outcome outcome;
    CAIRN_RETURN_IF_ERROR(reader->Next(&record, &outcome));
    if (outcome == wal::WalReader::Outcome::kEnd) {
      break;
    }
    if (outcome == wal::WalReader::Outcome::kDamage) {
      wal::DamageScan scan;
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

}  // namespace

Status VerifyDatabase(Env* env, const std::string& dir, VerifyReport* report) {
  *report = VerifyReport();
  auto children = env->GetChildren(dir);
  if (!children.ok()) {
    return children.status();
  }
  std::vector<std::pair<uint64_t, std::string>> wals;
  bool has_identity = false;
  for (const std::string& name : children.value()) {
    FileType type;
    uint64_t number;
    if (!ParseFileName(name, &type, &number)) {
      continue;
    }
    if (type == FileType::kWal) {
      wals.emplace_back(number, name);
    } else if (type == FileType::kIdentity) {
      has_identity = true;
    }
  }
  std::sort(wals.begin(), wals.end());
  wal::DbId db_id{};
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
  } else if (!wals.empty()) {
    report->problems.push_back("IDENTITY: missing while WAL files exist");
  }
  for (size_t i = 0; i < wals.size(); i++) {
    uint64_t expected_prev = i == 0 ? 0 : wals[i - 1].first;
    CAIRN_RETURN_IF_ERROR(VerifyWal(env, dir, wals[i].second, wals[i].first, expected_prev,
                                    i + 1 == wals.size(), id_known ? &db_id : nullptr, report));
  }
  return Status::OK();
}

}  // namespace cairn
