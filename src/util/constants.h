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


// --- Segments (docs/format-segment.md) ---
// Format constants (magic, version, footer layout) live in segment/segment_format.h.

// Entries between restart points in a data block: a Seek binary-searches restart points, then
// scans at most this many prefix-compressed entries. Index blocks restart at every entry, so
// a Seek in the index is a pure binary search over keys stored whole.
constexpr int kSegmentDataRestartInterval = 16;
constexpr int kSegmentIndexRestartInterval = 1;

// A data block's target size: the builder cuts a block once it reaches it, so a block may be
// larger by one entry (the readable bound below covers that). Options::block_size_bytes is
// clamped to this range: smaller blocks make the index and the
// per-block overhead dominate; larger ones make a point read decompress and scan too much.
constexpr size_t kSegmentMinTargetBlockBytes = 256;
constexpr size_t kSegmentMaxTargetBlockBytes = 4u << 20;  // 4 MiB

// The largest block, stored or decoded, that a reader accepts. A length field above it is
// corruption, rejected before anything is allocated. A data block holds entries up to the
// target size plus one maximal entry; a writer fails a segment whose index or filter block
// would exceed it (at 10 bits per key that is over 200 million distinct keys).
constexpr size_t kSegmentMaxReadableBlockBytes = 128u << 20;  // 128 MiB
static_assert(kSegmentMaxTargetBlockBytes + kMaxKeySizeBytes + 8 + kMaxValueSizeBytes + 15 +
                      (kSegmentMaxTargetBlockBytes / 8) <
                  kSegmentMaxReadableBlockBytes,
              "a full data block plus one maximal entry (and its restart array) must be readable");

// Bloom filter: Options::bloom_bits_per_key is clamped to [0, this]; more bits buy nothing
// measurable and the probe count stays bounded.
constexpr int kSegmentMaxBloomBitsPerKey = 32;

// The segment builder hands bytes to the file in chunks of about this size: one write(2) per
// chunk rather than per block, and bounded memory while building.
constexpr size_t kSegmentWriteBufferBytes = 1u << 20;  // 1 MiB
static_assert(kSegmentWriteBufferBytes >= kSegmentMaxTargetBlockBytes / 4);

// The block cache is split into 2^this shards, each an LRU with its own mutex, so concurrent
// readers rarely contend.
constexpr int kBlockCacheShardBits = 4;

}  // namespace cairn

#endif  // CAIRN_UTIL_CONSTANTS_H_
