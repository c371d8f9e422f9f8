#include "server/pending_writes.h"

#include <cassert>

#include "server/limits.h"
#include "util/constants.h"

namespace cairn::server {
namespace {

Status OutcomeUnknownError() {
  return Status::IOError(
      "a write of this data has an unknown outcome (its WAL sync or commit failed), the "
      "database is read-only until restarted",
      Status::SubCode::kOutcomeUnknown);
}

}  // namespace

Status PendingWrites::CheckPut(std::string_view key, std::string_view value) {
  if (key.size() > kMaxKeySizeBytes) {
    return Status::InvalidArgument("key larger than " + std::to_string(kMaxKeySizeBytes) +
                                   " bytes");
  }
  if (value.size() > kMaxValueSizeBytes) {
    return Status::InvalidArgument("value larger than " + std::to_string(kMaxValueSizeBytes) +
                                   " bytes");
  }
  return Status::OK();
}

Status PendingWrites::Get(std::string_view key, std::string* value) const {
  if (!overlay_.empty() || abandoned_) {
    std::string owned(key);
    auto it = overlay_.find(owned);
    if (it != overlay_.end()) {
      if (!it->second.has_value()) {
        return Status::NotFound("deleted");
      }
      *value = *it->second;
      return Status::OK();
    }
    // The engine holds the value of an unsynced write, which a restart may not have.
    if (abandoned_ && IsUnsynced(owned)) {
      return OutcomeUnknownError();
    }
  }
  return db_->Get(ReadOptions(), key, value);
}

void PendingWrites::Put(std::string_view key, std::string_view value) {
  assert(!abandoned_);
  batch_.Put(key, value);
  overlay_[std::string(key)] = std::string(value);
}

void PendingWrites::Delete(std::string_view key) {
  assert(!abandoned_);
  batch_.Delete(key);
  overlay_[std::string(key)] = std::nullopt;
}

Status PendingWrites::Commit(uint64_t tag) {
  if (empty()) {
    return Status::OK();
  }
  WriteOptions options;
  options.sync = false;  // the Syncer's SyncWal makes it durable; replies wait for that
  Status s = db_->Write(options, batch_);
  batch_.Clear();
  // A write with an unknown outcome may still be there after a restart: its keys are as
  // uncertain as those of a committed write whose sync has not returned.
  if (s.ok() || s.IsOutcomeUnknown()) {
    KeepUnsynced(tag);
  }
  overlay_.clear();
  return s;
}

void PendingWrites::KeepUnsynced(uint64_t tag) {
  if (!track_unsynced_) {
    return;
  }
  // Only the keys are needed: the values (up to a whole batch) are freed now, as before.
  for (auto& entry : overlay_) {
    entry.second.reset();
  }
  if (unsynced_.size() < kMaxUnsyncedCommits) {
    unsynced_.push_back(Unsynced{tag, std::move(overlay_)});
    overlay_ = Overlay();  // a moved-from map is valid but unspecified
    return;
  }
  // Bounded: merge into the newest entry, whose keys then wait for this later tag.
  unsynced_.back().keys.merge(overlay_);  // moves the nodes; keys already there stay behind
  unsynced_.back().tag = tag;
}

void PendingWrites::ForgetSynced(uint64_t durable) {
  while (!unsynced_.empty() && unsynced_.front().tag <= durable) {
    unsynced_.pop_front();
  }
}

void PendingWrites::Abandon() {
  abandoned_ = true;
  batch_.Clear();
  overlay_.clear();
}

Status PendingWrites::CheckEveryKeyKnown() const {
  for (const Unsynced& commit : unsynced_) {
    if (abandoned_ && !commit.keys.empty()) {
      return OutcomeUnknownError();
    }
  }
  return Status::OK();
}

bool PendingWrites::IsUnsynced(const std::string& key) const {
  for (const Unsynced& commit : unsynced_) {
    if (commit.keys.count(key) != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace cairn::server
