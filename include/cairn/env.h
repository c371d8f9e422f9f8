// Env: Cairn's only door to the operating system.
//
// Every file, directory, lock, clock and thread the engine uses goes through an Env, so that
// tests can substitute an in-memory file system that simulates crashes (MemEnv) or a wrapper
// that injects errors (FaultEnv). Env::Default() is the POSIX implementation.
//
// Durability is explicit. Nothing is durable until it is synced:
//   - the bytes of a file become durable by WritableFile::Sync() (fdatasync);
//   - a directory entry (a created, renamed, linked or removed name) becomes durable by
//     Env::SyncDir() on the directory that holds it. Cairn never infers it from a file name.
//
// Errors: a missing file or directory (ENOENT) is NotFound; a full device (ENOSPC, EDQUOT) is
// IOError with IsNoSpace(); any other failure is IOError. Messages name the operation, the
// path(s) and the reason.
//
// Thread safety: Env methods may be called from any thread concurrently. A WritableFile or
// ReadableFile object may be used by one thread at a time unless stated otherwise
// (ReadableFile::Read is safe to call concurrently, and WritableFile::Sync may run on one
// thread while another thread calls Append).
#ifndef CAIRN_ENV_H_
#define CAIRN_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cairn/status.h"

namespace cairn {

// A file opened for appending. Owned by the caller; destroying it closes the descriptor
// (errors from that implicit close are lost, so call Close() where they matter).
class WritableFile {
 public:
  WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;
  virtual ~WritableFile() = default;

  // Writes `data` at the end of the file with write(2); there is no user-space buffer. On OK
  // the bytes are in the operating system's cache: readable, not durable. On error an unknown
  // prefix of `data` may have been written; the caller must treat the file as poisoned.
  virtual Status Append(std::string_view data) = 0;

  // fdatasync(2): on OK every byte appended before the call is durable. On error the durable
  // state is unknown and must not be retried (Linux may have marked the pages clean). May be
  // called while another thread is in Append(); the bytes that Append is writing may or may
  // not be covered.
  virtual Status Sync() = 0;

  // Closes the descriptor. Does not sync.
  virtual Status Close() = 0;
};

// A file opened for positional reads.
class ReadableFile {
 public:
  ReadableFile() = default;
  ReadableFile(const ReadableFile&) = delete;
  ReadableFile& operator=(const ReadableFile&) = delete;
  virtual ~ReadableFile() = default;

  // Reads up to `n` bytes at `offset` (pread(2)) into `scratch`, which must hold `n` bytes,
  // and points `*result` at the bytes read (possibly inside `scratch`). A result shorter than
  // `n` means end of file. Safe to call from several threads at once.
  virtual Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const = 0;

  // The file's current size in bytes.
  virtual Result<uint64_t> Size() const = 0;
};

// A held exclusive lock on a file (flock(2) on POSIX). Destroying it releases the lock.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock() = default;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never destroyed; safe to use from any thread.
  static Env* Default();

  // Creates `path` (truncating it if it exists) for appending. The new name is not durable
  // until SyncDir() on its directory.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;

  // Opens an existing file for writing from offset 0 *without* truncating it (open(2) without
  // O_TRUNC or O_APPEND): each Append overwrites the old bytes in place and the file grows
  // only when writing past its old end. Overwriting already-allocated, already-written blocks
  // lets fdatasync write only data, with no file-size or extent metadata to commit, which is
  // why a recycled WAL file is cheaper to sync than a growing one. Until a Sync covers them,
  // overwritten bytes may hold their old or new content after a crash (any mix, per sector).
  // NotFound if `path` does not exist. The default implementation returns NotSupported (an
  // Env that cannot overwrite in place: the caller then creates a new file instead).
  virtual Result<std::unique_ptr<WritableFile>> ReuseWritableFile(const std::string& path);

  // Opens an existing file for reading. NotFound if it does not exist; IOError if it is a
  // directory.
  virtual Result<std::unique_ptr<ReadableFile>> NewReadableFile(const std::string& path) = 0;

  // Whether `path` names an existing file or directory. IOError if that cannot be told.
  virtual Result<bool> FileExists(const std::string& path) = 0;

  // The names (not paths) of the entries in `dir`, excluding "." and "..", in no order.
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;

  // The size of a file (IOError for a directory).
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;

  // Removes a file name (unlink(2)). Durable after SyncDir() on its directory.
  virtual Status RemoveFile(const std::string& path) = 0;

  // Atomically replaces `to` with `from` (rename(2)). Durable after SyncDir() on the
  // directories involved.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;

  // Creates the hard link `to` for the file `from` (link(2)). Durable after SyncDir().
  virtual Status LinkFile(const std::string& from, const std::string& to) = 0;

  // Creates a directory; OK if it already exists. Durable after SyncDir() on its parent.
  virtual Status CreateDir(const std::string& path) = 0;

  // Removes an empty directory. Durable after SyncDir() on its parent.
  virtual Status RemoveDir(const std::string& path) = 0;

  // fsync(2) on a directory: makes every entry created, renamed or removed in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Shrinks `path` to `size_bytes` (ftruncate(2); a larger size zero-fills) and makes the
  // file's whole content durable (fdatasync). Used to cut a torn WAL tail.
  virtual Status TruncateFile(const std::string& path, uint64_t size_bytes) = 0;

  // Takes an exclusive lock on `path` (created if missing). Busy if another process, or
  // another DB object in this process, holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Wall-clock time in microseconds since the Unix epoch.
  virtual uint64_t NowMicros() = 0;

  // Monotonic time in microseconds from an arbitrary origin; never goes backwards.
  virtual uint64_t NowMonotonicMicros() = 0;

  virtual void SleepMicros(uint64_t micros) = 0;

  // Runs `fn` on a new thread. The caller joins the returned thread.
  virtual std::thread StartThread(std::function<void()> fn) = 0;

  // Fills `out` with `n` random bytes (for database ids). Not for cryptography.
  virtual void RandomBytes(void* out, size_t n) = 0;
};

}  // namespace cairn

#endif  // CAIRN_ENV_H_
