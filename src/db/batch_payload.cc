#include "db/batch_payload.h"

#include "memtable/memtable.h"
#include "util/coding.h"
#include "util/constants.h"
#include "util/internal_key.h"

namespace cairn {
namespace {

// Decodes one operation from the front of `input`.
bool NextOperation(std::string_view* input, ValueKind* kind, std::string_view* key,
                   std::string_view* value) {
  if (input->empty()) {
    return false;
  }
  auto raw_kind = static_cast<uint8_t>(input->front());
  input->remove_prefix(1);
  if (raw_kind != static_cast<uint8_t>(ValueKind::kPut) &&
      raw_kind != static_cast<uint8_t>(ValueKind::kDelete)) {
    return false;
  }
  *kind = static_cast<ValueKind>(raw_kind);
  if (!GetLengthPrefixed(input, key) || key->size() > kMaxKeySizeBytes) {
    return false;
  }
  *value = std::string_view();
  if (*kind == ValueKind::kPut) {
    if (!GetLengthPrefixed(input, value) || value->size() > kMaxValueSizeBytes) {
      return false;
    }
  }
  return true;
}

Status Check(std::string_view payload, uint32_t expected_count) {
  uint32_t seen = 0;
  std::string_view input = payload;
  while (!input.empty()) {
    ValueKind kind;
    std::string_view key, value;
    if (!NextOperation(&input, &kind, &key, &value)) {
      return Status::Corruption("batch payload: malformed operation " + std::to_string(seen));
    }
    seen++;
  }
  if (seen != expected_count) {
    return Status::Corruption("batch payload: " + std::to_string(seen) +
                              " operations where the record says " +
                              std::to_string(expected_count));
  }
  return Status::OK();
}

}  // namespace

Status ParseBatchPayload(std::string_view payload, uint32_t expected_count,
                         WriteBatch::Handler* handler) {
  CAIRN_RETURN_IF_ERROR(Check(payload, expected_count));
  if (handler == nullptr) {
    return Status::OK();
  }
  ValueKind kind;
  std::string_view key, value;
  while (NextOperation(&payload, &kind, &key, &value)) {
    if (kind == ValueKind::kPut) {
      handler->Put(key, value);
    } else {
      handler->Delete(key);
    }
  }
  return Status::OK();
}

Status InsertBatchPayload(std::string_view payload, uint32_t count, uint64_t first_seq,
                          MemTable* memtable) {
  CAIRN_RETURN_IF_ERROR(Check(payload, count));
  uint64_t sequence = first_seq;
  ValueKind kind;
  std::string_view key, value;
  while (NextOperation(&payload, &kind, &key, &value)) {
    memtable->Add(sequence++, kind, key, value);
  }
  return Status::OK();
}

}  // namespace cairn
