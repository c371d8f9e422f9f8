// MemEnv: an in-memory Env that models exactly what a crash keeps.
//
// It tracks, for every file, the bytes that were synced (WritableFile::Sync or
// Env::TruncateFile) and, for every directory, the entries that were synced (Env::SyncDir).
// A crash keeps only what is durable:
//   - a file's content reverts to its content at its last sync (or, with torn writes, to a
//     seeded random mix of old and new 512-byte units, see CrashOptions);
//   - a directory's entries revert to those at its last SyncDir: a created file whose
//     directory was never synced disappears, a rename or unlink that was not followed by
//     SyncDir is undone; hard links share one file (inode).
//   - a directory itself exists after a crash only if its entry in its parent was synced.
//     The root "/" always exists.
// A rename between two directories is durable per directory: the new name needs SyncDir on
// the target directory, the removal of the old name SyncDir on the source directory.
// Reopening an existing file with NewWritableFile truncates its inode, as O_TRUNC does, so
// every hard link to it sees the truncation. ReuseWritableFile opens an existing file for
// overwriting from offset 0: until a Sync, a crash keeps the old content of every overwritten
// byte (exact model), or, with torn writes, the old or the new content of each 512-byte unit.
//
// Crash testing with a live DB works in two phases:
//   1. Freeze: CrashNow(), or ScheduleCrashAtSyncPoint(n), which freezes just before the
//      n-th sync point (0-based) executes. A sync point is a WritableFile::Sync, an
//      Env::SyncDir or an Env::TruncateFile. From then on every operation (file-object
//      operations and LockFile included) fails with IOError("MemEnv crashed") and changes
//      nothing, so nothing acknowledged after the crash instant can succeed. Threads of the
//      old DB may keep running harmlessly.
//   2. Restart(options): after the old DB object is destroyed, the file system reverts to its
//      durable state (as of the freeze), locks are dropped, and operations work again. The
//      rebuilt tree has fresh inodes: file objects and locks from before the crash can no
//      longer touch it (their operations fail with IOError; destroying them is harmless).
// Durable state changes only at sync points, so freezing before each sync point in turn
// (and once after the last) reaches every state a crash at any instant could leave.
// Crash(options) does both at once when no DB is open.
//
// Paths are absolute, '/'-separated; empty components and a trailing '/' are ignored.
// Thread safety: all methods may be called concurrently.
#ifndef CAIRN_TESTSUPPORT_MEM_ENV_H_
#define CAIRN_TESTSUPPORT_MEM_ENV_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "cairn/env.h"

namespace cairn {

struct CrashOptions {
  // false: every file reverts exactly to its synced bytes.
  // true: torn writes. For each file, the surviving length is a seeded random value between
  // the synced length and the current length (rounded to 512-byte units, clamped to the
  // current length); within it, each 512-byte unit that differs from the synced content
  // independently keeps either its new bytes or its old ones (zeros past the synced length).
  // Precisely: the length is drawn uniformly from {synced length, every multiple of 512
  // strictly between, current length}, and units are aligned at file offsets 0, 512, ....
  // If the file was reopened (O_TRUNC) since its last sync, a seeded coin first decides
  // whether that truncation reached the disk; if it did, the synced content counts as empty,
  // and if not, bytes past the current length keep their synced values.
  // Directory entries follow the exact model either way. Files are visited in path order
  // from one generator, so a given tree and seed always give the same result.
  bool torn_writes = false;
  uint64_t seed = 0;
};

class MemEnv final : public Env {
 public:
  MemEnv();
  ~MemEnv() override;

  // --- Env ---
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> ReuseWritableFile(const std::string& path) override;
  Result<std::unique_ptr<ReadableFile>> NewReadableFile(const std::string& path) override;
  Result<bool> FileExists(const std::string& path) override;
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Result<uint64_t> GetFileSize(const std::string& path) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status LinkFile(const std::string& from, const std::string& to) override;
  Status CreateDir(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status TruncateFile(const std::string& path, uint64_t size_bytes) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
  uint64_t NowMicros() override;
  uint64_t NowMonotonicMicros() override;
  void SleepMicros(uint64_t micros) override;
  std::thread StartThread(std::function<void()> fn) override;
  void RandomBytes(void* out, size_t n) override;

  // --- Crash simulation ---

  // Freezes now (see the header comment).
  void CrashNow();
  // Freezes just before the sync point with this 0-based index executes. The index counts
  // from the MemEnv's creation, like sync_point_count() (Restart does not reset it); an index
  // already passed freezes at the next sync point. Typical use:
  // ScheduleCrashAtSyncPoint(sync_point_count() + k).
  void ScheduleCrashAtSyncPoint(uint64_t index);
  // Whether a freeze has happened.
  bool crashed() const;
  // Reverts to the durable state as of the freeze and resumes. Requires crashed().
  void Restart(const CrashOptions& options = {});
  // CrashNow() followed by Restart(options).
  void Crash(const CrashOptions& options = {});

  // Sync points executed so far (successfully or not), across all files and directories.
  // Calls made while frozen, or through a file object from before a Restart, do not count.
  uint64_t sync_point_count() const;

  // --- Simulated time ---

  // From this call on, NowMicros() starts at `wall_micros` and NowMonotonicMicros() at 0,
  // and both move only by AdvanceClock() or SleepMicros(), which advances the clock by its
  // argument and returns at once. Time-based behaviour (backoff, expiry) is then tested
  // without real sleeps. Thread-safe.
  void UseSimulatedClock(uint64_t wall_micros);
  void AdvanceClock(uint64_t micros);

  // --- Test helpers (bypass crash state and durability tracking) ---

  // Overwrites one byte of an existing file, in both its current and durable content.
  Status CorruptByte(const std::string& path, uint64_t offset, uint8_t xor_mask);
  // Replaces a file's content entirely, current and durable (creates it durably if missing,
  // with any missing parent directories, each entry durable in its parent).
  Status SetFileContentsDurably(const std::string& path, std::string_view contents);
  // The current (not necessarily durable) content of a file.
  Result<std::string> ReadFileContents(const std::string& path);

  struct Inode;  // defined in mem_env.cc

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn

#endif  // CAIRN_TESTSUPPORT_MEM_ENV_H_
