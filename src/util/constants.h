// Every limit in Cairn, with the reason for it. Relations between limits are checked at
// compile time. On-disk constants (magics, versions, header sizes) live with their format
// (wal/wal_format.h) and are frozen there.
#ifndef CAIRN_UTIL_CONSTANTS_H_
#define CAIRN_UTIL_CONSTANTS_H_

#include <cstddef>
#include <cstdint>

namespace cairn {

// Keys and values. A bound on each keeps a single record's size, and so every allocation
// made while reading a record, bounded.
constexpr size_t kMaxKeySizeBytes = 64u << 10;    // 64 KiB
constexpr size_t kMaxValueSizeBytes = 64u << 20;  // 64 MiB
// A WriteBatch is one WAL record, so it is bounded by the record payload limit.
constexpr size_t kMaxBatchSizeBytes = 256u << 20;  // 256 MiB
// The largest WAL record payload a reader will accept. A length field above this is
// corruption, rejected before anything is allocated.
constexpr size_t kMaxRecordPayloadBytes = kMaxBatchSizeBytes;
static_assert(kMaxKeySizeBytes + kMaxValueSizeBytes + 64 < kMaxBatchSizeBytes,
              "one maximal Put must fit in a batch");

// Group commit: a leader stops adding followers past this many bytes, so one commit's
// write(2) and the latency of the writers queued behind it stay bounded. A single batch
// larger than this is committed alone.
constexpr size_t kMaxGroupCommitBytes = 4u << 20;  // 4 MiB
// A small leader batch only pulls in this much more, so a tiny write is not held back by a
// group full of large ones.
constexpr size_t kSmallBatchBytes = 128u << 10;
constexpr size_t kSmallBatchGroupBytes = kSmallBatchBytes + (1u << 20);
static_assert(kSmallBatchGroupBytes <= kMaxGroupCommitBytes);

// MemTable arena blocks.
constexpr size_t kArenaBlockBytes = 64u << 10;

// Sequence numbers occupy 56 bits of an internal key's trailer (8 bits are the kind).
constexpr uint64_t kMaxSequenceNumber = (1ull << 56) - 1;

// Recovery: the forward scan that looks for intact records after a damaged one, to tell a
// torn tail from lost acknowledged data, examines every byte offset of the rest of the file;
// records past the damage longer than this are not considered (they are bounded anyway).
constexpr size_t kRecoveryScanWindowBytes = kMaxRecordPayloadBytes;

// The info log (LOG) is rotated to LOG.old at open once it exceeds this size.
constexpr uint64_t kInfoLogRotateBytes = 8u << 20;

}  // namespace cairn

#endif  // CAIRN_UTIL_CONSTANTS_H_
