// Recovery of a database's WAL files at open: replay, and the decision between a torn tail
// (repaired) and lost acknowledged data (Corruption, or salvage when asked for).
//
// The decision table, with the test that checks each row, is in docs/durability.md. In short:
//   - WALs form a chain: each header names its predecessor. A gap is a missing WAL.
//   - Every WAL but the newest was fully synced before its successor was created, so any
//     damage in it is corruption.
//   - In the newest WAL, damage is a torn tail unless an intact record after it claims a
//     synced offset beyond the damage (then acknowledged bytes were lost: corruption). A WAL
//     followed only by WALs holding no record counts as the newest; a later recorded WAL
//     whose header was lost may have held records, so it does not hold "no record".
//   - A newest WAL no longer than a header whose header is bad, and which the manifest does
//     not record, died while being created: it holds no record and is removed. (A recorded
//     WAL's header was durable before it was recorded: a bad one is damage.) A newest WAL whose
//     header is good but which holds no valid record is reported (empty_newest_wal) for the caller
//     to remove once its manifest no longer lists it; the next WAL names its predecessor instead.
// Nothing on disk changes until every WAL has been read and judged; a Corruption outcome in
// strict mode leaves the directory exactly as it was.
#ifndef CAIRN_WAL_WAL_RECOVERY_H_
#define CAIRN_WAL_WAL_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/status.h"
#include "record/record_format.h"

namespace cairn::wal {

struct WalFile {
  uint64_t number = 0;
  std::string name;  // file name inside the directory
};

struct RecoveryOptions {
  std::string dir;
  record::DbId db_id{};
  // The oldest WAL's predecessor must be below this number (its predecessor's records are
  // elsewhere, or it has none). 1 means: the oldest WAL must have no predecessor.
  uint64_t first_prev_bound = 1;
  bool salvage = false;
  // The WALs the manifest records. Each was recorded only after its header was durable, so a
  // recorded WAL with a bad header was damaged after the fact: Corruption (or, under
  // salvage, quarantined), never removed as a WAL that died at creation.
  std::set<uint64_t> recorded_wals;
};

struct RecoveryResult {
  uint64_t last_sequence = 0;  // highest sequence number replayed (0 if none)
  uint64_t records_replayed = 0;
  uint64_t bytes_replayed = 0;     // record bytes (headers and payloads) replayed
  uint64_t newest_wal_number = 0;  // newest WAL that survives recovery (0 if none)
  // A newest WAL with a valid header and no record, left in place for the caller to remove
  // (0 if none). It is not counted in newest_wal_number.
  uint64_t empty_newest_wal = 0;
  // WALs removed (died at creation) or quarantined whole by salvage: the caller must drop
  // them from the manifest's live WALs, or the next open finds a recorded WAL missing.
  std::vector<uint64_t> dropped_wals;
  std::vector<std::string> events;  // what was repaired, one line each, for the LOG
  std::string lost;                 // salvage: what was dropped, or empty
};

// Called for each valid record in order. A non-OK status aborts recovery with it.
using RecordHandler = std::function<Status(const record::Record&)>;

// Reads every WAL in `WALs` (any order; sorted here), calls `apply` for each record, then
// performs the repairs the rules call for (truncating and syncing the newest WAL, removing a
// WAL that died at creation, and under salvage quarantining damaged WALs). On return OK the
// surviving WALs are durable, end at their last valid record, and may be appended to by
// newer WALs.
Status RecoverWals(Env* env, const std::vector<WalFile>& wals, const RecoveryOptions& options,
                   const RecordHandler& apply, RecoveryResult* result);

}  // namespace cairn::wal

#endif  // CAIRN_WAL_WAL_RECOVERY_H_
