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
  size_t log_index = 0;
  uint64_t offset = 0;  // 0: the log is unusable from its header on
  std::string reason;
};

class LogRecovery {
 public:
  LogRecovery(Env* env, std::vector<LogFile> logs, const RecoveryOptions& options,
              const RecordHandler& apply, RecoveryResult* result)
      : env_(env), logs_(std::move(logs)), options_(options), apply_(apply), result_(result) {
    std::sort(logs_.begin(), logs_.end(),
              [](const LogFile& a, const LogFile& b) { return a.number < b.number; });
  }

  Status Run() {
    for (size_t i = 0; i < logs_.size() && !damage_.found && !remove_newest_; i++) {
      valid_end_ = record::kFileHeaderSize;
      CAIRN_RETURN_IF_ERROR(ReplayLog(i));
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
  std::string Path(size_t i) const { return JoinPath(options_.dir, logs_[i].name); }
  bool IsNewest(size_t i) const { return i + 1 == logs_.size(); }

  Status ReplayLog(size_t i);
  Status CheckHeader(size_t i, const record::FileHeader& header, std::string* problem) const;
  Status OnDamage(size_t i, record::RecordReader* reader);
  Status LaterLogsHoldNoRecord(size_t i, bool* none);
  Status MaxSequenceFrom(size_t first_log, uint64_t* max_seq);
  Status ReportDamage();
  Status Repair();
  Status Salvage();
  Status CopyFile(const std::string& from, const std::string& to);

  Env* const env_;
  std::vector<LogFile> logs_;
  const RecoveryOptions& options_;
  const RecordHandler& apply_;
  RecoveryResult* const result_;

  uint64_t valid_end_ = 0;  // end of the last valid record of the log being replayed
  bool remove_newest_ = false;
  // The newest log holding records and the end of its last valid record. It may be followed
  // by a log prepared ahead of the switch that never received a record.
  std::optional<size_t> last_with_records_;
  uint64_t last_with_records_end_ = 0;
  std::vector<uint64_t> valid_ends_;  // per log replayed: the end of its last valid record
  Damage damage_;
  uint64_t lost_after_max_seq_ = 0;  // highest sequence number seen past the damage
};

Status LogRecovery::CheckHeader(size_t i, const record::FileHeader& header, std::string* problem) const {
  if (header.file_number != logs_[i].number) {
    *problem = "header names log " + std::to_string(header.file_number) +
               " (a misplaced or recycled file)";
  } else if (header.db_id != options_.db_id) {
    *problem = "header belongs to another database (database id mismatch)";
  } else if (i == 0 && header.prev_file_number >= options_.first_prev_bound) {
    *problem = "its predecessor, log " + std::to_string(header.prev_file_number) +
               ", is missing";
  } else if (i > 0 && header.prev_file_number != logs_[i - 1].number) {
    *problem = "its predecessor is log " + std::to_string(header.prev_file_number) +
               " but the previous log present is " + std::to_string(logs_[i - 1].number) +
               (header.prev_file_number > logs_[i - 1].number ? " (a log is missing)" : "");
  }
  return Status::OK();
}

Status LogRecovery::ReplayLog(size_t i) {
  auto opened = record::RecordReader::Open(env_, Path(i));
  if (!opened.ok()) {
    return opened.status();
  }
  record::RecordReader* reader = opened.value().get();
  record::FileHeader header;
  Status header_status = reader->ReadHeader(kWalMagic, &header);
  if (!header_status.ok()) {
    if (header_status.IsNotSupported() || header_status.IsIOError()) {
      return header_status.WithContext(logs_[i].name);
    }
    if (IsNewest(i) && reader->file_size() <= record::kFileHeaderSize &&
        options_.recorded_logs.count(logs_[i].number) == 0) {
      // Created, never completed: records are written only after the header is durable.
      remove_newest_ = true;
      result_->events.push_back("removed " + logs_[i].name + " (" +
                                std::to_string(reader->file_size()) +
                                " bytes): the process stopped while creating it (" +
                                header_status.message() + ")");
      return Status::OK();
    }
    std::string reason = header_status.message();
    if (options_.recorded_logs.count(logs_[i].number) != 0) {
      reason += " (the manifest records this log, so its header had been durable)";
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
      return applied.WithContext("WAL " + logs_[i].name + " offset " +
                                 std::to_string(record.offset));
    }
    result_->records_replayed++;
    result_->bytes_replayed += record.end_offset() - record.offset;
    result_->last_sequence = std::max(result_->last_sequence, record.last_seq());
    valid_end_ = record.end_offset();
  }
}

Status LogRecovery::OnDamage(size_t i, record::RecordReader* reader) {
  uint64_t offset = reader->damage_offset();
  record::DamageScan scan;
  CAIRN_RETURN_IF_ERROR(reader->ScanAfterDamage(offset, &scan));
  if (scan.intact_records_after > 0) {
    lost_after_max_seq_ = std::max(lost_after_max_seq_, scan.max_seq_after);
  }
  // The newest log holding records may have had a torn tail: its successors, if any, were
  // created ahead of time and never received a record, so nothing proves this log was synced
  // in full (a log is synced in full only before its successor receives its first record).
  bool holds_last_records = IsNewest(i);
  if (!holds_last_records && scan.max_synced_offset_after <= offset) {
    CAIRN_RETURN_IF_ERROR(LaterLogsHoldNoRecord(i, &holds_last_records));
  }
  if (holds_last_records && scan.max_synced_offset_after <= offset) {
    // Nothing after the damage proves the damaged bytes were ever durable: a torn tail.
    result_->events.push_back(
        "cut torn tail of " + logs_[i].name + ": bytes [" + std::to_string(offset) + ", " +
        std::to_string(reader->file_size()) + ") (" + reader->damage_reason() + "; " +
        std::to_string(scan.intact_records_after) + " intact unacknowledged records after it)");
    return Status::OK();
  }
  std::string why = reader->damage_reason();
  if (!holds_last_records) {
    why += "; the log was synced in full before its successor " + logs_[i + 1].name +
           " received a record, so this is acknowledged data";
  } else {
    why += "; an intact record after it shows bytes up to offset " +
           std::to_string(scan.max_synced_offset_after) + " had been synced";
  }
  damage_ = Damage{true, i, offset, why};
  return Status::OK();
}

// Whether every log after `i` holds no record: each has a valid header of this chain and no
// intact record anywhere after it (the rest is zeros, a recycled file's previous life, or a
// torn first write), or it is the newest, not recorded, and died while its header was being
// written.
Status LogRecovery::LaterLogsHoldNoRecord(size_t i, bool* none) {
  *none = false;
  for (size_t j = i + 1; j < logs_.size(); j++) {
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
          options_.recorded_logs.count(logs_[j].number) == 0) {
        continue;  // died while being created
      }
      // Judged as damage when its turn comes (ReplayLog). A recorded log's header was durable
      // before the log was recorded, so a short or bad one was lost afterwards, and with it
      // any proof that the log never received a record: log i may have been synced in full,
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

Status LogRecovery::MaxSequenceFrom(size_t first_log, uint64_t* max_seq) {
  for (size_t i = first_log; i < logs_.size(); i++) {
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

Status LogRecovery::ReportDamage() {
  uint64_t max_seq = lost_after_max_seq_;
  CAIRN_RETURN_IF_ERROR(MaxSequenceFrom(damage_.log_index + 1, &max_seq));
  std::string where = logs_[damage_.log_index].name + " offset " + std::to_string(damage_.offset);
  std::string seqs = SeqRange(result_->last_sequence + 1, max_seq);
  if (!options_.salvage) {
    return Status::Corruption("WAL " + where + ": " + damage_.reason + "; " + seqs +
                              " are affected (open with WalRecovery::kSalvage to keep what "
                              "precedes the damage)");
  }
  result_->lost = "dropped " + where + " to the end";
  for (size_t i = damage_.log_index + 1; i < logs_.size(); i++) {
    result_->lost += ", " + logs_[i].name;
  }
  result_->lost += " (" + damage_.reason + "); " + seqs + " lost; originals kept as *" +
                   std::string(kQuarantineSuffix);
  result_->events.push_back("salvage: " + result_->lost);
  return Status::OK();
}

Status LogRecovery::CopyFile(const std::string& from, const std::string& to) {
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

Status LogRecovery::Salvage() {
  // Order: keep a durable copy of every damaged byte first, then cut. A crash at any step
  // leaves either the untouched logs (the salvage reruns) or the salvaged state.
  size_t k = damage_.log_index;
  for (size_t i = k; i < logs_.size(); i++) {
    std::string quarantine = Path(i) + std::string(kQuarantineSuffix);
    if (i == k && damage_.offset > 0) {
      CAIRN_RETURN_IF_ERROR(CopyFile(Path(i), quarantine));
    } else {
      CAIRN_RETURN_IF_ERROR(env_->RenameFile(Path(i), quarantine));
      result_->dropped_logs.push_back(logs_[i].number);
    }
  }
  CAIRN_RETURN_IF_ERROR(env_->SyncDir(options_.dir));
  // The logs before the damage (and log k up to it) survive, and the next log the database
  // creates follows the last of them and receives records. So, as in Repair, each must be
  // cut at its last valid record and durable first: the previous process may have written
  // records it never synced (this open replayed them), and a torn tail or a previous life
  // left behind would be judged lost data by the next open once the new log holds a record.
  // This matters when log k is quarantined whole (a recorded log whose header was lost):
  // nothing else cuts log k-1 then. Done after the quarantine is durable: after a crash in
  // between, the rerun's recovery cuts the surviving logs at the same records.
  const size_t survivors = damage_.offset > 0 ? k + 1 : k;
  if (survivors == 0) {
    result_->newest_log_number = 0;
    return Status::OK();
  }
  const size_t newest = survivors - 1;
  if (last_with_records_.has_value() && *last_with_records_ < newest) {
    CAIRN_RETURN_IF_ERROR(env_->TruncateFile(Path(*last_with_records_), last_with_records_end_));
  }
  CAIRN_RETURN_IF_ERROR(
      env_->TruncateFile(Path(newest), damage_.offset > 0 ? damage_.offset : valid_ends_[newest]));
  result_->newest_log_number = logs_[newest].number;
  return Status::OK();
}

Status LogRecovery::Repair() {
  if (damage_.found) {
    return Salvage();
  }
  if (logs_.empty()) {
    return Status::OK();
  }
  size_t newest = logs_.size() - 1;
  if (last_with_records_.has_value() && *last_with_records_ != newest) {
    // The newest log holding records is followed only by logs that hold none (prepared ahead
    // of a switch that never came). Like a newest log, it is cut at its last valid record
    // (a torn tail, or a recycled file's previous life) and made durable: the previous
    // process may have written records it never synced, and this open shows them. Done
    // before the empty successor is removed, so a crash in between finds the same state.
    CAIRN_RETURN_IF_ERROR(
        env_->TruncateFile(Path(*last_with_records_), last_with_records_end_));
  }
  bool newest_survives = !remove_newest_ && valid_ends_.size() == logs_.size() &&
                         valid_ends_[newest] > record::kFileHeaderSize;
  if (!newest_survives && newest > 0 && newest - 1 != last_with_records_) {
    // The newest log goes (below), so its predecessor becomes the newest surviving log, and
    // the next log will follow it: it must end durably at its last valid record, or at its
    // header if it holds none (its records, if any were written, were all a torn tail).
    CAIRN_RETURN_IF_ERROR(env_->TruncateFile(Path(newest - 1), valid_ends_[newest - 1]));
  }
  if (remove_newest_) {
    result_->dropped_logs.push_back(logs_[newest].number);
    CAIRN_RETURN_IF_ERROR(env_->RemoveFile(Path(newest)));
    CAIRN_RETURN_IF_ERROR(env_->SyncDir(options_.dir));
    result_->newest_log_number = newest > 0 ? logs_[newest - 1].number : 0;
    return Status::OK();
  }
  if (valid_end_ == record::kFileHeaderSize) {
    // The newest log holds no record (an earlier open created it, or its only records were a
    // torn tail): nothing needs it. The caller removes it, after the manifest stops listing
    // it and before the next log (which names this one's predecessor) is created.
    result_->newest_log_number = newest > 0 ? logs_[newest - 1].number : 0;
    result_->empty_newest_log = logs_[newest].number;
    return Status::OK();
  }
  // Truncating to the valid end also makes the kept bytes durable: the previous process may
  // have written records it never synced, and a newer log must not become durable while this
  // one's tail is not. The cut, if any, is already in result_->events.
  CAIRN_RETURN_IF_ERROR(env_->TruncateFile(Path(newest), valid_end_));
  result_->newest_log_number = logs_[newest].number;
  return Status::OK();
}

}  // namespace

Status RecoverLogs(Env* env, const std::vector<LogFile>& logs, const RecoveryOptions& options,
                   const RecordHandler& apply, RecoveryResult* result) {
  *result = RecoveryResult();
  LogRecovery recovery(env, logs, options, apply, result);
  return recovery.Run();
}

}  // namespace cairn::wal
