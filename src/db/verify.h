// Offline verification of a database directory: reads every file Cairn owns and checks
// every checksum, without changing anything and without taking the LOCK (so it can inspect a
// directory another process has open; a record being written at that moment may show as a
// torn tail).
#ifndef CAIRN_DB_VERIFY_H_
#define CAIRN_DB_VERIFY_H_

#include <cstdint>
#include <string>
#include <set>
#include <vector>

#include "cairn/env.h"
#include "cairn/status.h"

namespace cairn {

struct VerifyReport {
  uint64_t files_checked = 0;
  uint64_t records_checked = 0;
  uint64_t bytes_checked = 0;
  // Damage: each names the file and offset. Non-empty means corruption was found.
  std::vector<std::string> problems;
  // Not damage: e.g. a torn tail in the newest WAL, which the next open truncates.
  std::vector<std::string> notes;
};

// IOError if the directory cannot be read at all; otherwise OK with the findings in *report.
Status VerifyDatabase(Env* env, const std::string& dir, VerifyReport* report);

}  // namespace cairn

#endif  // CAIRN_DB_VERIFY_H_
