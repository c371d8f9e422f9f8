// The encoding of a WriteBatch, which is also the payload of a WAL batch record
// (docs/format-wal.md, "batch payload"):
//   payload := op*
//   op      := kind:u8 key_length:varint32 key [value_length:varint32 value]  (value: kPut only)
// kind is a ValueKind (0 delete, 1 put). The number of operations is not in the payload; the
// WAL record's seq_count carries it, and operation i gets sequence number first_seq + i.
#ifndef CAIRN_DB_BATCH_PAYLOAD_H_
#define CAIRN_DB_BATCH_PAYLOAD_H_

#include <cstdint>
#include <string_view>

#include "cairn/status.h"
#include "cairn/write_batch.h"

namespace cairn {

class MemTable;

// Checks the whole payload first (every operation well-formed and within the key and value
// limits, exactly `expected_count` of them), then, only if all is well, calls `handler` for
// each operation in order; so a malformed payload is never partly applied. `handler` may be
// null to only check. Corruption names the bad operation.
Status ParseBatchPayload(std::string_view payload, uint32_t expected_count,
                         WriteBatch::Handler* handler);

// Applies a checked payload to `memtable`, operation i at sequence first_seq + i.
Status InsertBatchPayload(std::string_view payload, uint32_t count, uint64_t first_seq,
                          MemTable* memtable);

}  // namespace cairn

#endif  // CAIRN_DB_BATCH_PAYLOAD_H_
