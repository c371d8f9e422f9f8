#include "cairn/write_batch.h"

#include "db/batch_payload.h"
#include "util/coding.h"
#include "util/constants.h"
#include "util/internal_key.h"

// The encoding is in db/batch_payload.h.

namespace cairn {

void WriteBatch::Put(std::string_view key, std::string_view value) {
  if (key.size() > kMaxKeySizeBytes || value.size() > kMaxValueSizeBytes) {
    oversized_ = true;
    return;  // Validate() reports it; nothing is encoded
  }
  if (rep_.empty()) {
    // Most batches are one Put (DB::Put): one allocation instead of a growth per append.
    // Only the first: reserving exactly at every Put would copy a large batch again each time.
    rep_.reserve(1 + static_cast<size_t>(VarintLength(key.size()) + VarintLength(value.size())) +
                 key.size() + value.size());
  }
  rep_.push_back(static_cast<char>(ValueKind::kPut));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
  count_++;
}

void WriteBatch::Delete(std::string_view key) {
  if (key.size() > kMaxKeySizeBytes) {
    oversized_ = true;
    return;
  }
  rep_.push_back(static_cast<char>(ValueKind::kDelete));
  PutLengthPrefixed(&rep_, key);
  count_++;
}

void WriteBatch::Clear() {
  rep_.clear();
  count_ = 0;
  oversized_ = false;
}

Status WriteBatch::Validate() const {
  if (oversized_) {
    return Status::InvalidArgument("key larger than " + std::to_string(kMaxKeySizeBytes) +
                                   " bytes or value larger than " +
                                   std::to_string(kMaxValueSizeBytes) + " bytes");
  }
  if (rep_.size() > kMaxBatchSizeBytes) {
    return Status::InvalidArgument("write batch larger than " +
                                   std::to_string(kMaxBatchSizeBytes) + " bytes");
  }
  return Status::OK();
}

Status WriteBatch::Iterate(Handler* handler) const {
  return ParseBatchPayload(rep_, count_, handler);
}

Status WriteBatch::SetRep(std::string_view rep, uint32_t count) {
  if (rep.size() > kMaxBatchSizeBytes) {
    return Status::Corruption("write batch larger than the limit");
  }
  CAIRN_RETURN_IF_ERROR(ParseBatchPayload(rep, count, nullptr));
  rep_.assign(rep.data(), rep.size());
  count_ = count;
  oversized_ = false;
  return Status::OK();
}

}  // namespace cairn
