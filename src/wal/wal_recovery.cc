#include "wal/wal_recovery.h"

#include <algorithm>
#include <optional>

#include "env/env_util.h"
#include "record/record_reader.h"
#include "wal/wal_format.h"

namespace cairn::wal {
namespace {

constexpr size_t kCopyChunkBytes = 1u << 20;
constexpr std::string_view kQuarantineSuffix = ".corrupt";

std::string SeqRange(uint64_t first, uint64_t last) {
  if (last < first) {
    return "sequence numbers from " + std::to_string(first) + " on (end unknown)";
  }
  return "sequence numbers " + std::to_string(first) + ".." + std::to_string(last);
}

// Where the first unrecoverable damage is, for the error message or the salvage.
struct Damage {
  bool found = false;
  size_t wal_index = 0;
  uint64_t offset = 0;  // 0: the WAL is unusable from its header on
  std::string reason;
};

class WalRecovery {
 public:
  WalRecovery(Env* env, std::vector<WalFile> wals, const RecoveryOptions& options,
              const RecordHandler& apply, RecoveryResult* result)
      : env_(env), wals_(std::move(wals)), options_(options), apply_(apply), result_(result) {
    std::sort(wals_.begin(), wals_.end(),
              [](const WalFile& a, const WalFile& b) { return a.number < b.number; });
  }

  Status Run() {
    for (size_t i = 0; i < wals_.size() && !damage_.found && !remove_newest_; i++) {
      valid_end_ = record::kFileHeaderSize;
      CAIRN_RETURN_IF_ERROR(ReplayWal(i));
      valid_ends_.push_back(valid_end_);
      if (valid_end_ > record::kFileHeaderSize) {
        last_with_records_ = i;
        last_with_records_end_ = valid_end_;
      }
    }
    if (damage_.found) {
      CAIRN_RETURN_IF_ERROR(ReportDamage());
    }
    return Repair();
  }

 private:
  std::string Path(size_t i) const { return JoinPath(options_.dir, wals_[i].name); }
  bool IsNewest(size_t i) const { return i + 1 == wals_.size(); }

  Status ReplayWal(size_t i);
  Status CheckHeader(size_t i, const record::FileHeader& header, std::string* problem) const;
  Status OnDamage(size_t i, record::RecordReader* reader);
  Status LaterWalsHoldNoRecord(size_t i, bool* none);
  Status MaxSequenceFrom(size_t first_wal, uint64_t* max_seq);
  Status ReportDamage();
  Status Repair();
  Status Salvage();
  Status CopyFile(const std::string& from, const std::string& to);

  Env* const env_;
  std::vector<WalFile> wals_;
  const RecoveryOptions& options_;
  const RecordHandler& apply_;
  RecoveryResult* const result_;

  uint64_t valid_end_ = 0;  // end of the last valid record of the WAL being replayed
  bool remove_newest_ = false;
  // The newest WAL holding records and the end of its last valid record. It may be followed
  // by a WAL prepared ahead of the switch that never received a record.
  std::optional<size_t> last_with_records_;
  uint64_t last_with_records_end_ = 0;
  std::vector<uint64_t> valid_ends_;  // per WAL replayed: the end of its last valid record
  Damage damage_;
  uint64_t lost_after_max_seq_ = 0;  // highest sequence number seen past the damage
};

Status WalRecovery::CheckHeader(size_t i, const record::FileHeader& header,
                                std::string* problem) const {
  if (header.file_number != wals_[i].number) {
    *problem = "header names WAL " + std::to_string(header.file_number) +
               " (a misplaced or recycled file)";
  } else if (header.db_id != options_.db_id) {
    *problem = "header belongs to another database (database id mismatch)";
  } else if (i == 0 && header.prev_file_number >= options_.first_prev_bound) {
    *problem = "its predecessor, WAL " + std::to_string(header.prev_file_number) + ", is missing";
  } else if (i > 0 && header.prev_file_number != wals_[i - 1].number) {
    *problem = "its predecessor is WAL " + std::to_string(header.prev_file_number) +
               " but the previous WAL present is " + std::to_string(wals_[i - 1].number) +
               (header.prev_file_number > wals_[i - 1].number ? " (a WAL is missing)" : "");
  }
  return Status::OK();
}

Status WalRecovery::ReplayWal(size_t i) {
  auto opened = record::RecordReader::Open(env_, Path(i));
  if (!opened.ok()) {
    return opened.status();
  }
  record::RecordReader* reader = opened.value().get();
  record::FileHeader header;
  Status header_status = reader->ReadHeader(kWalMagic, &header);
  if (!header_status.ok()) {
    if (header_status.IsNotSupported() || header_status.IsIOError()) {
      return header_status.WithContext(wals_[i].name);
    }
    if (IsNewest(i) && reader->file_size() <= record::kFileHeaderSize &&
        options_.recorded_wals.count(wals_[i].number) == 0) {
      // Created, never completed: records are written only after the header is durable.
      remove_newest_ = true;
      result_->events.push_back(
          "removed " + wals_[i].name + " (" + std::to_string(reader->file_size()) +
          " bytes): the process stopped while creating it (" + header_status.message() + ")");
      return Status::OK();
    }
    std::string reason = header_status.message();
    if (options_.recorded_wals.count(wals_[i].number) != 0) {
      reason += " (the manifest records this WAL, so its header had been durable)";
    }
    damage_ = Damage{true, i, 0, reason};
    return Status::OK();
  }
  std::string problem;
  CAIRN_RETURN_IF_ERROR(CheckHeader(i, header, &problem));
  if (!problem.empty()) {
    damage_ = Damage{true, i, 0, problem};
    return Status::OK();
  }
  valid_end_ = record::kFileHeaderSize;
  for (;;) {
    record::Record record;
    record::RecordReader::Outcome outcome;
    CAIRN_RETURN_IF_ERROR(reader->Next(&record, &outcome));
    if (outcome == record::RecordReader::Outcome::kEnd) {
      return Status::OK();
    }
    if (outcome == record::RecordReader::Outcome::kDamage) {
      return OnDamage(i, reader);
    }
    if (record.type != record::RecordType::kBatch ||
        (result_->records_replayed > 0 && record.first_seq <= result_->last_sequence)) {
      damage_ = Damage{true, i, record.offset,
                       record.type != record::RecordType::kBatch
                           ? "record of a non-WAL type"
                           : "sequence number " + std::to_string(record.first_seq) +
                                 " does not follow " + std::to_string(result_->last_sequence)};
      return Status::OK();
    }
    Status applied = apply_(record);
    if (!applied.ok()) {
      return applied.WithContext("WAL " + wals_[i].name + " offset " +
                                 std::to_string(record.offset));
    }
    result_->records_replayed++;
    result_->bytes_replayed += record.end_offset() - record.offset;
    result_->last_sequence = std::max(result_->last_sequence, record.last_seq());
    valid_end_ = record.end_offset();
  }
}

Status WalRecovery::OnDamage(size_t i, record::RecordReader* reader) {
  uint64_t offset = reader->damage_offset();
  record::DamageScan scan;
  CAIRN_RETURN_IF_ERROR(reader->ScanAfterDamage(offset, &scan));
  if (scan.intact_records_after > 0) {
    lost_after_max_seq_ = std::max(lost_after_max_seq_, scan.max_seq_after);
  }
  // The newest WAL holding records may have had a torn tail: its successors, if any, were
  // created ahead of time and never received a record, so nothing proves this WAL was synced
  // in full (a WAL is synced in full only before its successor receives its first record).
  bool holds_last_records = IsNewest(i);
  if (!holds_last_records && scan.max_synced_offset_after <= offset) {
    CAIRN_RETURN_IF_ERROR(LaterWalsHoldNoRecord(i, &holds_last_records));
  }
  if (holds_last_records && scan.max_synced_offset_after <= offset) {
    // Nothing after the damage proves the damaged bytes were ever durable: a torn tail.
    result_->events.push_back(
        "cut torn tail of " + wals_[i].name + ": bytes [" + std::to_string(offset) + ", " +
        std::to_string(reader->file_size()) + ") (" + reader->damage_reason() + "; " +
        std::to_string(scan.intact_records_after) + " intact unacknowledged records after it)");
    return Status::OK();
  }
  std::string why = reader->damage_reason();
  if (!holds_last_records) {
    why += "; the WAL was synced in full before its successor " + wals_[i + 1].name +
           " received a record, so this is acknowledged data";
  } else {
    why += "; an intact record after it shows bytes up to offset " +
           std::to_string(scan.max_synced_offset_after) + " had been synced";
  }
  damage_ = Damage{true, i, offset, why};
  return Status::OK();
}

// Whether every WAL after `i` holds no record: each has a valid header of this chain and no
// intact record anywhere after it (the rest is zeros, a recycled file's previous life, or a
// torn first write), or it is the newest, not recorded, and died while its header was being
// written.
Status WalRecovery::LaterWalsHoldNoRecord(size_t i, bool* none) {
  *none = false;
  for (size_t j = i + 1; j < wals_.size(); j++) {
    auto opened = record::RecordReader::Open(env_, Path(j));
    if (!opened.ok()) {
      return opened.status();
    }
    record::RecordReader* reader = opened.value().get();
    record::FileHeader header;
    Status header_status = reader->ReadHeader(kWalMagic, &header);
    if (header_status.IsIOError()) {
      return header_status;
    }
    if (!header_status.ok()) {
      if (IsNewest(j) && reader->file_size() <= record::kFileHeaderSize &&
          options_.recorded_wals.count(wals_[j].number) == 0) {
        continue;  // died while being created
      }
      // Judged as damage when its turn comes (ReplayWal). A recorded WAL's header was durable
      // before the WAL was recorded, so a short or bad one was lost afterwards, and with it
      // any proof that the WAL never received a record: WAL i may have been synced in full,
      // so its damage cannot be called a torn tail.
      return Status::OK();
    }
    std::string problem;
    CAIRN_RETURN_IF_ERROR(CheckHeader(j, header, &problem));
    if (!problem.empty()) {
      return Status::OK();
    }
    record::DamageScan scan;
    CAIRN_RETURN_IF_ERROR(reader->ScanAfterDamage(record::kFileHeaderSize - 1, &scan));
    if (scan.intact_records_after > 0) {
      return Status::OK();
    }
  }
  *none = true;
  return Status::OK();
}

Status WalRecovery::MaxSequenceFrom(size_t first_wal, uint64_t* max_seq) {
  for (size_t i = first_wal; i < wals_.size(); i++) {
    auto opened = record::RecordReader::Open(env_, Path(i));
    if (!opened.ok()) {
      return opened.status();
    }
    record::FileHeader header;
    if (!opened.value()->ReadHeader(kWalMagic, &header).ok()) {
      continue;  // its records cannot be authenticated without the header
    }
    record::DamageScan scan;
    CAIRN_RETURN_IF_ERROR(opened.value()->ScanAfterDamage(record::kFileHeaderSize - 1, &scan));
    *max_seq = std::max(*max_seq, scan.max_seq_after);
  }
  return Status::OK();
}

Status WalRecovery::ReportDamage() {
  uint64_t max_seq = lost_after_max_seq_;
  CAIRN_RETURN_IF_ERROR(MaxSequenceFrom(damage_.wal_index + 1, &max_seq));
  std::string where = wals_[damage_.wal_index].name + " offset " + std::to_string(damage_.offset);
  std::string seqs = SeqRange(result_->last_sequence + 1, max_seq);
  if (!options_.salvage) {
    return Status::Corruption("WAL " + where + ": " + damage_.reason + "; " + seqs +
                              " are affected (open with WalRecovery::kSalvage to keep what "
                              "precedes the damage)");
  }
  result_->lost = "dropped " + where + " to the end";
  for (size_t i = damage_.wal_index + 1; i < wals_.size(); i++) {
    result_->lost += ", " + wals_[i].name;
  }
  result_->lost += " (" + damage_.reason + "); " + seqs + " lost; originals kept as *" +
                   std::string(kQuarantineSuffix);
  result_->events.push_back("salvage: " + result_->lost);
  return Status::OK();
}

Status WalRecovery::CopyFile(const std::string& from, const std::string& to) {
  auto source = env_->NewReadableFile(from);
  if (!source.ok()) {
    return source.status();
  }
  auto size = source.value()->Size();
  if (!size.ok()) {
    return size.status();
  }
  auto dest = env_->NewWritableFile(to);
  if (!dest.ok()) {
    return dest.status();
  }
  std::string buffer(kCopyChunkBytes, '\0');
  for (uint64_t offset = 0; offset < size.value();) {
    std::string_view chunk;
    CAIRN_RETURN_IF_ERROR(source.value()->Read(offset, buffer.size(), buffer.data(), &chunk));
    if (chunk.empty()) {
      return Status::IOError("unexpected end of " + from + " while copying");
    }
    CAIRN_RETURN_IF_ERROR(dest.value()->Append(chunk));
    offset += chunk.size();
  }
  CAIRN_RETURN_IF_ERROR(dest.value()->Sync());
  return dest.value()->Close();
}

Status WalRecovery::Salvage() {
  // Order: keep a durable copy of every damaged byte first, then cut. A crash at any step
  // leaves either the untouched WALs (the salvage reruns) or the salvaged state.
  size_t k = damage_.wal_index;
  for (size_t i = k; i < wals_.size(); i++) {
    std::string quarantine = Path(i) + std::string(kQuarantineSuffix);
    if (i == k && damage_.offset > 0) {
      CAIRN_RETURN_IF_ERROR(CopyFile(Path(i), quarantine));
    } else {
      CAIRN_RETURN_IF_ERROR(env_->RenameFile(Path(i), quarantine));
      result_->dropped_wals.push_back(wals_[i].number);
    }
  }
  CAIRN_RETURN_IF_ERROR(env_->SyncDir(options_.dir));
  // The WALs before the damage (and WAL k up to it) survive, and the next WAL the database
  // creates follows the last of them and receives records. So, as in Repair, each must be
  // cut at its last valid record and durable first: the previous process may have written
  // records it never synced (this open replayed them), and a torn tail or a previous life
  // left behind would be judged lost data by the next open once the new WAL holds a record.
  // This matters when WAL k is quarantined whole (a recorded WAL whose header was lost):
  // nothing else cuts WAL k-1 then. Done after the quarantine is durable: after a crash in
  // between, the rerun's recovery cuts the surviving WALs at the same records.
  const size_t survivors = damage_.offset > 0 ? k + 1 : k;
  if (survivors == 0) {
    result_->newest_wal_number = 0;
    return Status::OK();
  }
  const size_t newest = survivors - 1;
  if (last_with_records_.has_value() && *last_with_records_ < newest) {
    CAIRN_RETURN_IF_ERROR(env_->TruncateFile(Path(*last_with_records_), last_with_records_end_));
  }
  CAIRN_RETURN_IF_ERROR(
      env_->TruncateFile(Path(newest), damage_.offset > 0 ? damage_.offset : valid_ends_[newest]));
  result_->newest_wal_number = wals_[newest].number;
  return Status::OK();
}

Status WalRecovery::Repair() {
  if (damage_.found) {
    return Salvage();
  }
  if (wals_.empty()) {
    return Status::OK();
  }
  size_t newest = wals_.size() - 1;
  if (last_with_records_.has_value() && *last_with_records_ != newest) {
    // The newest WAL holding records is followed only by WALs that hold none (prepared ahead
    // of a switch that never came). Like a newest WAL, it is cut at its last valid record
    // (a torn tail, or a recycled file's previous life) and made durable: the previous
    // process may have written records it never synced, and this open shows them. Done
    // before the empty successor is removed, so a crash in between finds the same state.
    CAIRN_RETURN_IF_ERROR(env_->TruncateFile(Path(*last_with_records_), last_with_records_end_));
  }
  bool newest_survives = !remove_newest_ && valid_ends_.size() == wals_.size() &&
                         valid_ends_[newest] > record::kFileHeaderSize;
  if (!newest_survives && newest > 0 && newest - 1 != last_with_records_) {
    // The newest WAL goes (below), so its predecessor becomes the newest surviving WAL, and
    // the next WAL will follow it: it must end durably at its last valid record, or at its
    // header if it holds none (its records, if any were written, were all a torn tail).
    CAIRN_RETURN_IF_ERROR(env_->TruncateFile(Path(newest - 1), valid_ends_[newest - 1]));
  }
  if (remove_newest_) {
    result_->dropped_wals.push_back(wals_[newest].number);
    CAIRN_RETURN_IF_ERROR(env_->RemoveFile(Path(newest)));
    CAIRN_RETURN_IF_ERROR(env_->SyncDir(options_.dir));
    result_->newest_wal_number = newest > 0 ? wals_[newest - 1].number : 0;
    return Status::OK();
  }
  if (valid_end_ == record::kFileHeaderSize) {
    // The newest WAL holds no record (an earlier open created it, or its only records were a
    // torn tail): nothing needs it. The caller removes it, after the manifest stops listing
    // it and before the next WAL (which names this one's predecessor) is created.
    result_->newest_wal_number = newest > 0 ? wals_[newest - 1].number : 0;
    result_->empty_newest_wal = wals_[newest].number;
    return Status::OK();
  }
  // Truncating to the valid end also makes the kept bytes durable: the previous process may
  // have written records it never synced, and a newer WAL must not become durable while this
  // one's tail is not. The cut, if any, is already in result_->events.
  CAIRN_RETURN_IF_ERROR(env_->TruncateFile(Path(newest), valid_end_));
  result_->newest_wal_number = wals_[newest].number;
  return Status::OK();
}

}  // namespace

Status RecoverWals(Env* env, const std::vector<WalFile>& wals, const RecoveryOptions& options,
                   const RecordHandler& apply, RecoveryResult* result) {
  *result = RecoveryResult();
  WalRecovery recovery(env, wals, options, apply, result);
  return recovery.Run();
}

}  // namespace cairn::wal
