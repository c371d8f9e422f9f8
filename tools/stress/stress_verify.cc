// Full verification: scan, then Get, then classify each key against the oracle, then check
// batch atomicity, and only then resolve the oracle.
#include "stress/stress_verify.h"

#include <map>
#include <optional>

#include "stress/stress_values.h"

namespace cairn::stress {
namespace {

bool Matches(uint32_t key, KeyState state, const std::optional<std::string>& found) {
  if (!state.exists) return !found.has_value();
  return found.has_value() && *found == ValueFor(key, state.version);
}

void AddFailure(VerifyReport* report, const std::string& message) {
  ++report->failure_count;
  if (report->failures.size() < kVerifyMessagesMax) {
    report->failures.push_back(message);
  }
}

// Every key's value by a full forward scan (nullopt: absent), checking order and names.
std::vector<std::optional<std::string>> Scan(DB* db, uint32_t keys, VerifyReport* report) {
  std::vector<std::optional<std::string>> found(keys);
  std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
  std::string previous;
  bool first = true;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key_name(it->key());
    if (!first && key_name <= previous) {
      AddFailure(report, "scan: key " + key_name + " after " + previous + " (order broken)");
    }
    first = false;
    previous = key_name;
    const std::optional<uint32_t> key = ParseKeyName(key_name);
    if (!key.has_value() || *key >= keys) {
      AddFailure(report, "scan: key '" + key_name + "' was never written by cairn-stress");
      continue;
    }
    found[*key] = std::string(it->value());
  }
  if (!it->status().ok()) {
    AddFailure(report, "scan: iterator error " + it->status().ToString());
  }
  return found;
}

enum class Found { kOld, kNew, kEither };

struct BatchCheck {
  std::vector<uint32_t> old_keys;
  std::vector<uint32_t> new_keys;       // in flight, found new
  std::vector<uint32_t> acked_members;  // acknowledged: the batch committed
};

std::string KeyList(const std::vector<uint32_t>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size() && i < 8; ++i) {
    out += (i ? "," : "") + KeyName(keys[i]);
  }
  return keys.size() > 8 ? out + ",..." : out;
}

void CheckBatches(const std::map<uint64_t, BatchCheck>& batches, VerifyReport* report) {
  for (const auto& [id, batch] : batches) {
    if (!batch.old_keys.empty() || !batch.new_keys.empty()) {
      ++report->batches_in_flight;
    }
    if (batch.old_keys.empty() || (batch.new_keys.empty() && batch.acked_members.empty())) {
      continue;
    }
    AddFailure(report, "batch " + std::to_string(id) + " not atomic: old state at " +
                           KeyList(batch.old_keys) + "; new state at " + KeyList(batch.new_keys) +
                           (batch.acked_members.empty()
                                ? ""
                                : " and acknowledged at " + KeyList(batch.acked_members)));
  }
}

}  // namespace

std::string VerifyReport::Summary() const {
  return "present=" + std::to_string(keys_present) +
         " in-flight-new=" + std::to_string(in_flight_found_new) +
         " in-flight-old=" + std::to_string(in_flight_found_old) +
         " batches-in-flight=" + std::to_string(batches_in_flight) +
         " failures=" + std::to_string(failure_count);
}

VerifyReport VerifyDatabase(DB* db, ExpectedState* state, bool allow_pending) {
  VerifyReport report;
  const uint32_t keys = state->keys();
  const std::vector<std::optional<std::string>> scanned = Scan(db, keys, &report);
  std::vector<Found> found_as(keys, Found::kOld);
  std::map<uint64_t, BatchCheck> batches;
  for (uint32_t key = 0; key < keys; ++key) {
    std::string value;
    Status s = db->Get(ReadOptions(), KeyName(key), &value);
    std::optional<std::string> got;
    if (s.ok()) {
      got = value;
    } else if (!s.IsNotFound()) {
      AddFailure(&report, "get " + KeyName(key) + ": " + s.ToString());
      continue;
    }
    if (got != scanned[key]) {
      AddFailure(&report, "get " + KeyName(key) + " returned " + DescribeValue(key, got) +
                              " but the scan " + DescribeValue(key, scanned[key]));
    }
    report.keys_present += got.has_value() ? 1 : 0;
    const KeyState acked = state->Acked(key);
    const std::optional<KeyState> pending = state->Pending(key);
    const uint64_t batch = state->Batch(key);
    const bool old_ok = Matches(key, acked, got);
    const bool new_ok = pending.has_value() && Matches(key, *pending, got);
    if (pending.has_value() && !allow_pending) {
      AddFailure(&report, KeyName(key) + " has a write in flight during a clean verification");
    }
    if (!old_ok && !new_ok) {
      AddFailure(&report, KeyName(key) + ": found " + DescribeValue(key, got) +
                              ", expected acknowledged " + acked.ToString() +
                              (pending ? " or in-flight " + pending->ToString() : ""));
      continue;
    }
    found_as[key] = old_ok && new_ok ? Found::kEither : (new_ok ? Found::kNew : Found::kOld);
    if (pending.has_value()) {
      report.in_flight_found_new += found_as[key] == Found::kNew ? 1 : 0;
      report.in_flight_found_old += found_as[key] == Found::kOld ? 1 : 0;
    }
    if (batch != 0) {
      BatchCheck& check = batches[batch];
      if (!pending.has_value()) {
        check.acked_members.push_back(key);
      } else if (found_as[key] == Found::kOld) {
        check.old_keys.push_back(key);
      } else if (found_as[key] == Found::kNew) {
        check.new_keys.push_back(key);
      }
    }
  }
  CheckBatches(batches, &report);
  if (!report.ok()) {
    return report;
  }
  for (uint32_t key = 0; key < keys; ++key) {
    const std::optional<KeyState> pending = state->Pending(key);
    if (pending.has_value() || state->Batch(key) != 0) {
      state->Resolve(key, found_as[key] == Found::kNew ? *pending : state->Acked(key));
    }
  }
  state->MarkVerified();
  return report;
}

}  // namespace cairn::stress
