// FaultEnv: an Env wrapper that injects I/O errors, for error sweeps.
//
// It forwards every call to a base Env (usually a MemEnv) and counts each operation, file
// operations included. An operation fails, without being forwarded, when any armed rule
// matches it:
//   - FailOperation(n): the operation with this 0-based global index (indices count from
//     the FaultEnv's creation, as operation_count() does; a kind mask does not renumber
//     them, it only lets an operation of another kind at that index through);
//   - FailKinds(mask): every operation of these kinds;
//   - FailPath(substring): every operation whose path contains the substring (a file's
//     operations carry the path it was opened with; a rename matches on either path);
//   - FailRandomly(one_in, seed): each operation with probability 1/one_in, from a seeded
//     generator so a run replays exactly.
// A rule can be limited to one kind mask (kAllFaultKinds by default). The error flavour is
// EIO (plain IOError) or ENOSPC (IOError with SubCode::kNoSpace). A failed Append writes
// nothing; a failed Sync syncs nothing. NowMicros, NowMonotonicMicros, SleepMicros,
// StartThread and RandomBytes cannot fail and are not counted.
//
// Thread safety: all methods may be called concurrently.
#ifndef CAIRN_TESTSUPPORT_FAULT_ENV_H_
#define CAIRN_TESTSUPPORT_FAULT_ENV_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "cairn/env.h"

namespace cairn {

// Operation kinds, as bits of a mask.
enum FaultKind : uint32_t {
  kFaultOpen = 1u << 0,     // NewWritableFile, ReuseWritableFile, NewReadableFile, LockFile
  kFaultRead = 1u << 1,     // ReadableFile::Read, Size, GetChildren, GetFileSize, FileExists
  kFaultWrite = 1u << 2,    // WritableFile::Append
  kFaultSync = 1u << 3,     // WritableFile::Sync, TruncateFile
  kFaultDirSync = 1u << 4,  // SyncDir
  kFaultRename = 1u << 5,   // RenameFile, LinkFile
  kFaultUnlink = 1u << 6,   // RemoveFile, RemoveDir
  kFaultCreateDir = 1u << 7,
  kFaultClose = 1u << 8,  // WritableFile::Close
  kAllFaultKinds = (1u << 9) - 1,
};

// The one name of each kind, used in injected errors' messages and in test traces: "open",
// "read", "write", "sync", "dir sync", "rename", "unlink", "mkdir", "close"; "unknown" for
// anything else (a mask of several kinds).
const char* FaultKindName(FaultKind kind);

enum class FaultFlavour { kEIO, kENOSPC };

class FaultEnv final : public Env {
 public:
  // `base` is not owned and must outlive this object.
  explicit FaultEnv(Env* base);
  ~FaultEnv() override;

  // --- Rules (each replaces the previous setting of the same rule) ---
  void FailOperation(uint64_t index, uint32_t kind_mask = kAllFaultKinds);
  void FailKinds(uint32_t kind_mask);
  void FailPath(const std::string& substring, uint32_t kind_mask = kAllFaultKinds);
  void FailRandomly(uint32_t one_in, uint64_t seed, uint32_t kind_mask = kAllFaultKinds);
  void SetFlavour(FaultFlavour flavour);
  // Disarms every rule. Counters keep counting.
  void ClearFaults();

  // What an injected failure hit, for tests to attribute it (e.g. to a background thread).
  struct Injection {
    uint64_t index = 0;
    FaultKind kind = kFaultOpen;
    std::string path;
    std::thread::id thread;
  };
  // Called (under FaultEnv's lock, on the failing thread) for every injected failure. The
  // observer must not call back into this FaultEnv.
  void SetInjectionObserver(std::function<void(const Injection&)> observer);

  // Operations counted so far (all kinds, failed ones included).
  uint64_t operation_count() const;
  // Errors injected so far.
  uint64_t injected_count() const;

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

  // Used by the file wrappers: counts one operation and returns the error to inject, if any.
  Status MaybeFail(FaultKind kind, const std::string& path, const std::string& path2 = "");

 private:
  Env* const base_;
  mutable std::mutex mu_;
  uint64_t op_count_ = 0;
  uint64_t injected_count_ = 0;
  bool fail_index_armed_ = false;
  uint64_t fail_index_ = 0;
  uint32_t fail_index_kinds_ = 0;
  uint32_t fail_kinds_ = 0;
  std::string fail_path_;
  uint32_t fail_path_kinds_ = 0;
  uint32_t random_one_in_ = 0;
  uint32_t random_kinds_ = 0;
  std::mt19937_64 random_;
  FaultFlavour flavour_ = FaultFlavour::kEIO;
  std::function<void(const Injection&)> observer_;
};

}  // namespace cairn

#endif  // CAIRN_TESTSUPPORT_FAULT_ENV_H_
