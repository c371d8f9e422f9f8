#include "server/pending_writes.h"

#include "util/constants.h"

namespace cairn::server {

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
  if (!overlay_.empty()) {
    auto it = overlay_.find(std::string(key));
    if (it != overlay_.end()) {
      if (!it->second.has_value()) {
        return Status::NotFound("deleted");
      }
      *value = *it->second;
      return Status::OK();
    }
  }
  return db_->Get(ReadOptions(), key, value);
}

void PendingWrites::Put(std::string_view key, std::string_view value) {
  batch_.Put(key, value);
  overlay_[std::string(key)] = std::string(value);
}

void PendingWrites::Delete(std::string_view key) {
  batch_.Delete(key);
  overlay_[std::string(key)] = std::nullopt;
}

Status PendingWrites::Commit() {
  if (empty()) {
    return Status::OK();
  }
  WriteOptions options;
  options.sync = false;  // the Syncer's SyncWal makes it durable; replies wait for that
  Status s = db_->Write(options, batch_);
  batch_.Clear();
  overlay_.clear();
  return s;
}

}  // namespace cairn::server
