// Full verification of a database against cairn-stress's expected state (docs/stress.md).
//
// Reads every key twice, once by a full iterator scan and once by Get, and checks:
//   - the scan returns keys in strictly increasing order, each a key of the key space;
//   - Get and the scan agree on every key;
//   - each key holds its acknowledged state, or (only when `allow_pending`, i.e. after a
//     crash) the state of its in-flight write;
//   - every batch is all-old or all-new: no member found in its old state while another
//     member is found new or was acknowledged.
// Only when everything passed is the oracle updated: each key's found state becomes its
// acknowledged state and the verified-operations counter catches up. A failing verification
// leaves the oracle untouched, so rerunning it on the same directory replays the failure.
#ifndef CAIRN_TOOLS_STRESS_STRESS_VERIFY_H_
#define CAIRN_TOOLS_STRESS_STRESS_VERIFY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "stress/expected_state.h"

namespace cairn::stress {

struct VerifyReport {
  uint64_t keys_present = 0;
  uint64_t in_flight_found_new = 0;  // in-flight writes the database holds (adopted)
  uint64_t in_flight_found_old = 0;  // in-flight writes the database does not hold (dropped)
  uint64_t batches_in_flight = 0;
  // One line per problem (at most kVerifyMessagesMax, then a count).
  std::vector<std::string> failures;
  uint64_t failure_count = 0;

  bool ok() const { return failure_count == 0; }
  // "keys=N present=P in-flight: new=A old=D batches=B failures=F"
  std::string Summary() const;
};

// Failure messages kept in a report; further failures are only counted.
inline constexpr size_t kVerifyMessagesMax = 20;

VerifyReport VerifyDatabase(DB* db, ExpectedState* state, bool allow_pending);

}  // namespace cairn::stress

#endif  // CAIRN_TOOLS_STRESS_STRESS_VERIFY_H_
