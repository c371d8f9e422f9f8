// Options for opening a database, writing and reading. Plain structs with documented
// defaults; there are no global flags.
#ifndef CAIRN_OPTIONS_H_
#define CAIRN_OPTIONS_H_

#include <cstddef>
#include <cstdint>

namespace cairn {

class Env;
class Snapshot;

// What recovery does when a WAL is damaged at or before its synced offset, i.e. when
// acknowledged data has been lost or altered on disk. (A torn tail, damage after the last
// synced offset, is always repaired by truncation; see docs/durability.md.)
enum class WalRecovery {
  // Refuse to open: DB::Open returns Corruption naming the file, the offset and the sequence
  // range. Nothing on disk is changed. The default.
  kStrict,
  // Open with every record before the first damage. Every WAL file from the damaged one on
  // is first copied to "<name>.corrupt" (kept, never deleted by Cairn); the damaged file is
  // then truncated at the damage and later WAL files are removed. The exact lost range (file,
  // offsets, sequence numbers) is written to the LOG and reported by the property
  // "cairn.recovery.lost".
  kSalvage,
};

// Block compression in segment files. Written to disk per block; never renumber.
enum class Compression : unsigned char {
  kNone = 0,
  kLZ4 = 1,   // fast; the default
  kZstd = 2,  // smaller, slower to write
};

struct Options {
  // Where all file system access goes. Not owned; must outlive the DB. nullptr means
  // Env::Default().
  Env* env = nullptr;

  // Create the database if the directory holds none. Default true.
  bool create_if_missing = true;

  // Fail with InvalidArgument if a database already exists. Default false.
  bool error_if_exists = false;

  // When the active MemTable holds this many bytes it becomes immutable and a new MemTable
  // with a new WAL file starts. Default 64 MiB.
  size_t memtable_size_bytes = 64u << 20;

  // See WalRecovery. Default kStrict.
  WalRecovery wal_recovery = WalRecovery::kStrict;

  // How many obsolete WAL files (all their records flushed) are kept for reuse as future WAL
  // files instead of being deleted. A reused file is overwritten in place from offset 0, so
  // a durable write's fdatasync writes only data, with no file-size change to commit (about
  // 1.5x faster on ext4), and no large file is unlinked on the write path (a discard stall).
  // The cost: up to this many old WAL files stay on disk. 0 turns recycling off. Default 2.
  size_t wal_recycle_files = 2;

  // When no obsolete WAL can be recycled (a new database, or before any WAL became obsolete),
  // a new WAL file is first written full of zeros up to this many bytes (at most the WAL cap
  // and memtable_size_bytes) and synced, then used like a recycled file: durable writes within those bytes commit no
  // file-size change either. The cost: writing and syncing this many bytes when such a WAL is
  // created (at open, or by the background WAL thread), and the disk space; and sync=false
  // appends into zeros are slower than appends to a growing file (ext4: about 0.5 µs per
  // write), so after the WAL made at open only a WAL following one that received a synced
  // commit is zero-filled. 0 turns it off (a new WAL then grows with every write), e.g. for a
  // bulk load without sync. Default 8 MiB.
  size_t wal_preallocate_bytes = 8u << 20;

  // With sync=false writes, a background thread fdatasyncs the active WAL once this many
  // bytes of it are unsynced (never blocking writers), so the MemTable switch, which must
  // sync the old WAL completely, finds little left to write. It also narrows what an OS
  // crash can lose. 0 turns it off. Default 1 MiB.
  uint64_t wal_background_sync_bytes = 1u << 20;

  // --- Segment files (docs/format-segment.md) ---

  // Target size of a data block before compression. Default 8 KiB.
  size_t block_size_bytes = 8u << 10;

  // Bloom filter bits per key; about 1% false positives at 10. 0 disables filters. Default 10.
  int bloom_bits_per_key = 10;

  // Compression of data blocks; a block is stored uncompressed when compression saves less
  // than 1/8 of it. Default kLZ4.
  Compression compression = Compression::kLZ4;

  // Memory for decoded blocks shared by all reads of this DB. Default 64 MiB.
  size_t block_cache_bytes = 64u << 20;

  // --- Flush, compaction and write pressure (docs/design.md, "Compaction") ---

  // When the live WAL files hold more than this, the active MemTable is flushed even if it is
  // not full, so a reopen after a crash replays about this much log: the cap, plus what is
  // written while that flush runs (unflushed log is also MemTable memory, so it never exceeds
  // what max_memtable_memory_bytes allows). The cap used is at most half of
  // max_memtable_memory_bytes, so that replaying a WAL at its cap never fills MemTable memory
  // to the hard limit (an open would then start with writers stopped). Default 128 MiB.
  uint64_t max_wal_size_bytes = 128u << 20;

  // The hard limit on memory in MemTables (active and waiting to be flushed). Writers are
  // slowed smoothly from half of it on, in proportion to how far flushing has fallen behind,
  // and wait only when it is reached. Default 256 MiB; at least twice memtable_size_bytes.
  size_t max_memtable_memory_bytes = 256u << 20;

  // Level-0 files (flush outputs, which overlap each other) that trigger a compaction into
  // level 1. Default 4.
  int l0_compaction_trigger = 4;
  // From this many level-0 files on, writers are slowed, more the more files there are; the
  // slowdown is full at l0_slowdown_full_files. Never a hard stop. Defaults 8 and 24.
  int l0_slowdown_files = 8;
  int l0_slowdown_full_files = 24;

  // Target size of level 1; each deeper level may hold level_size_multiplier times more.
  // Defaults 256 MiB and 10.
  uint64_t level1_size_bytes = 256u << 20;
  int level_size_multiplier = 10;

  // Compaction outputs are cut near this size (at a user-key boundary). Default 32 MiB.
  uint64_t target_segment_size_bytes = 32u << 20;
};

struct WriteOptions {
  // true (the default): the write returns OK only after its WAL record, and every record
  // before it, is durable (fdatasync). It survives kill -9, an OS crash and power loss.
  //
  // false: the write returns OK after its record was handed to the operating system with
  // write(2), before any fdatasync. It survives kill -9 of this process, but an OS crash or a
  // power cut may lose it (and any other unsynced write). A later synced write makes every
  // earlier write durable too.
  bool sync = true;
};

struct ReadOptions {
  // Read as of this snapshot (from DB::GetSnapshot). nullptr: the latest committed state.
  const Snapshot* snapshot = nullptr;
};

}  // namespace cairn

#endif  // CAIRN_OPTIONS_H_
