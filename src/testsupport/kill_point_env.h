// KillPointEnv: an Env wrapper that kills its own process with SIGKILL at named points, for
// whitebox crash testing (tools/stress, docs/stress.md).
//
// Every durability-relevant operation passes two kill points, one just before the call is
// forwarded to the base Env and one just after it returned:
//
//   before-create:K   after-create:K     NewWritableFile (a new name, not yet durable)
//   before-reuse:K    after-reuse:K      ReuseWritableFile (a pooled WAL opened for overwrite)
//   before-sync:K     after-sync:K       WritableFile::Sync (fdatasync)
//   before-close:K    after-close:K      WritableFile::Close
//   before-syncdir:dir after-syncdir:dir SyncDir
//   before-rename:K   after-rename:K     RenameFile, K the kind of the destination
//   before-link:K     after-link:K       LinkFile, K the kind of the destination
//   before-remove:K   after-remove:K     RemoveFile
//   before-truncate:K after-truncate:K   TruncateFile (cutting a torn WAL tail)
//
// K is the file kind from util/filename.h: wal, segment, manifest, CURRENT, IDENTITY, LOCK,
// LOG, LOG.old, wal.corrupt, CURRENT.tmp / IDENTITY.tmp (a publish in progress), or "other"
// for a name that is not Cairn's. Reads, appends and clock calls have no kill points: a kill
// between two of them is what a blackbox SIGKILL at a random instant already produces.
//
// At each point the process dies with probability 1/odds, drawn from a generator seeded by
// the caller, so a run's choice of points replays (the interleaving of threads does not).
// The WAL sync points (before-sync:wal, after-sync:wal) are passed by every commit group and
// are the most frequent by far, so every other point is given odds divided by
// kKillPointRareBoost, which spreads kills over WAL switches and the flush, compaction and
// manifest protocols.
// Before it kills, the env appends one line "kill-point <name> pid <pid>" to its log file
// with write(2): the line is in the kernel before the signal, so it survives the kill.
//
// odds 0 never kills; the env then only counts how often each point was passed.
//
// Thread safety: all methods may be called concurrently (one mutex guards the generator and
// the counters; the base Env call itself runs outside it).
#ifndef CAIRN_TESTSUPPORT_KILL_POINT_ENV_H_
#define CAIRN_TESTSUPPORT_KILL_POINT_ENV_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "cairn/env.h"

namespace cairn {

// Kill points other than the WAL syncs are this many times likelier to fire: a write-heavy
// workload passes WAL sync points tens of times more often than flush or manifest points, and
// the rare protocols are where ordering bugs hide.
inline constexpr uint32_t kKillPointRareBoost = 16;

class KillPointEnv final : public Env {
 public:
  // `base` is not owned and must outlive this object. `log_path` may be empty (no log).
  KillPointEnv(Env* base, uint32_t odds, uint64_t seed, std::string log_path);
  ~KillPointEnv() override;

  // The kill point name for an operation on `path`, e.g. ("before-sync", "/d/000012.wal")
  // -> "before-sync:wal".
  static std::string PointName(std::string_view stage_and_op, const std::string& path);

  // Passes the named kill point: counts it, and with probability 1/odds (see above) logs it
  // and sends SIGKILL to this process. Returns only if the process was not killed.
  void Pass(const std::string& point);

  // How often each point was passed so far.
  std::map<std::string, uint64_t> PassCounts() const;

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

 private:
  void Kill(const std::string& point);

  Env* const base_;
  const uint32_t odds_;
  const std::string log_path_;
  mutable std::mutex mu_;
  std::mt19937_64 random_;
  std::map<std::string, uint64_t> pass_counts_;
};

}  // namespace cairn

#endif  // CAIRN_TESTSUPPORT_KILL_POINT_ENV_H_
