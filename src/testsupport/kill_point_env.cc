// KillPointEnv: each durability-relevant call is bracketed by Pass("before-...") and
// Pass("after-..."). The kill itself is a raw kill(2) of this process with SIGKILL, so no
// destructor, atexit handler or buffered stream runs: the on-disk state is exactly what a
// crash of the process at that instant leaves.
#include "testsupport/kill_point_env.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "util/filename.h"

namespace cairn {
namespace {

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string FileKind(const std::string& path) {
  const std::string name = BaseName(path);
  FileType type;
  uint64_t number = 0;
  if (!ParseFileName(name, &type, &number)) {
    return "other";
  }
  switch (type) {
    case FileType::kIdentity:
      return "IDENTITY";
    case FileType::kLock:
      return "LOCK";
    case FileType::kInfoLog:
      return "LOG";
    case FileType::kInfoLogOld:
      return "LOG.old";
    case FileType::kWal:
      return "wal";
    case FileType::kQuarantined:
      return "wal.corrupt";
    case FileType::kTemp:
      // CURRENT.tmp or IDENTITY.tmp: the name is the kind; NNNNNN.wal.tmp: a new WAL's zeros.
      return number != 0 ? "wal.tmp" : name;
    case FileType::kSegment:
      return "segment";
    case FileType::kManifest:
      return "manifest";
    case FileType::kCurrent:
      return "CURRENT";
  }
  return "other";
}

class KillPointWritableFile final : public WritableFile {
 public:
  KillPointWritableFile(KillPointEnv* env, std::unique_ptr<WritableFile> base,
                        const std::string& path)
      : env_(env),
        base_(std::move(base)),
        before_sync_(KillPointEnv::PointName("before-sync", path)),
        after_sync_(KillPointEnv::PointName("after-sync", path)),
        before_close_(KillPointEnv::PointName("before-close", path)),
        after_close_(KillPointEnv::PointName("after-close", path)) {}

  Status Append(std::string_view data) override { return base_->Append(data); }
  Status Sync() override {
    env_->Pass(before_sync_);
    Status s = base_->Sync();
    env_->Pass(after_sync_);
    return s;
  }
  Status Close() override {
    env_->Pass(before_close_);
    Status s = base_->Close();
    env_->Pass(after_close_);
    return s;
  }

 private:
  KillPointEnv* const env_;
  const std::unique_ptr<WritableFile> base_;
  const std::string before_sync_;
  const std::string after_sync_;
  const std::string before_close_;
  const std::string after_close_;
};

}  // namespace

KillPointEnv::KillPointEnv(Env* base, uint32_t odds, uint64_t seed, std::string log_path)
    : base_(base), odds_(odds), log_path_(std::move(log_path)), random_(seed) {}

KillPointEnv::~KillPointEnv() = default;

std::string KillPointEnv::PointName(std::string_view stage_and_op, const std::string& path) {
  std::string name(stage_and_op);
  name += ':';
  name += FileKind(path);
  return name;
}

void KillPointEnv::Pass(const std::string& point) {
  bool kill_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++pass_counts_[point];
    if (odds_ != 0) {
      const bool wal_sync = point == "before-sync:wal" || point == "after-sync:wal";
      const uint32_t odds = wal_sync ? odds_ : std::max<uint32_t>(1, odds_ / kKillPointRareBoost);
      kill_now = random_() % odds == 0;
    }
  }
  if (kill_now) {
    Kill(point);
  }
}

void KillPointEnv::Kill(const std::string& point) {
  if (!log_path_.empty()) {
    // One write(2) of one line with O_APPEND: concurrent processes never interleave lines, and
    // the kernel holds the line before the signal below is sent.
    const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const std::string line = "kill-point " + point + " pid " + std::to_string(::getpid()) + "\n";
      // A failed log write cannot be reported from a process about to die; the kill matters.
      (void)!::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }
  ::kill(::getpid(), SIGKILL);
  // SIGKILL cannot be caught; the process does not get here. Pause rather than return if it
  // ever did, so no later operation could run after the chosen point.
  for (;;) {
    ::pause();
  }
}

std::map<std::string, uint64_t> KillPointEnv::PassCounts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pass_counts_;
}

Result<std::unique_ptr<WritableFile>> KillPointEnv::NewWritableFile(const std::string& path) {
  Pass(PointName("before-create", path));
  Result<std::unique_ptr<WritableFile>> file = base_->NewWritableFile(path);
  Pass(PointName("after-create", path));
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<WritableFile>(
      new KillPointWritableFile(this, std::move(file).value(), path));
}

Result<std::unique_ptr<WritableFile>> KillPointEnv::ReuseWritableFile(const std::string& path) {
  Pass(PointName("before-reuse", path));
  Result<std::unique_ptr<WritableFile>> file = base_->ReuseWritableFile(path);
  Pass(PointName("after-reuse", path));
  if (!file.ok()) {
    return file.status();
  }
  return std::unique_ptr<WritableFile>(
      new KillPointWritableFile(this, std::move(file).value(), path));
}

Result<std::unique_ptr<ReadableFile>> KillPointEnv::NewReadableFile(const std::string& path) {
  return base_->NewReadableFile(path);
}

Result<bool> KillPointEnv::FileExists(const std::string& path) { return base_->FileExists(path); }

Result<std::vector<std::string>> KillPointEnv::GetChildren(const std::string& dir) {
  return base_->GetChildren(dir);
}

Result<uint64_t> KillPointEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}

Status KillPointEnv::RemoveFile(const std::string& path) {
  Pass(PointName("before-remove", path));
  Status s = base_->RemoveFile(path);
  Pass(PointName("after-remove", path));
  return s;
}

Status KillPointEnv::RenameFile(const std::string& from, const std::string& to) {
  Pass(PointName("before-rename", to));
  Status s = base_->RenameFile(from, to);
  Pass(PointName("after-rename", to));
  return s;
}

Status KillPointEnv::LinkFile(const std::string& from, const std::string& to) {
  Pass(PointName("before-link", to));
  Status s = base_->LinkFile(from, to);
  Pass(PointName("after-link", to));
  return s;
}

Status KillPointEnv::CreateDir(const std::string& path) { return base_->CreateDir(path); }

Status KillPointEnv::RemoveDir(const std::string& path) { return base_->RemoveDir(path); }

Status KillPointEnv::SyncDir(const std::string& dir) {
  Pass("before-syncdir:dir");
  Status s = base_->SyncDir(dir);
  Pass("after-syncdir:dir");
  return s;
}

Status KillPointEnv::TruncateFile(const std::string& path, uint64_t size_bytes) {
  Pass(PointName("before-truncate", path));
  Status s = base_->TruncateFile(path, size_bytes);
  Pass(PointName("after-truncate", path));
  return s;
}

Result<std::unique_ptr<FileLock>> KillPointEnv::LockFile(const std::string& path) {
  return base_->LockFile(path);
}

uint64_t KillPointEnv::NowMicros() { return base_->NowMicros(); }
uint64_t KillPointEnv::NowMonotonicMicros() { return base_->NowMonotonicMicros(); }
void KillPointEnv::SleepMicros(uint64_t micros) { base_->SleepMicros(micros); }
std::thread KillPointEnv::StartThread(std::function<void()> fn) {
  return base_->StartThread(std::move(fn));
}
void KillPointEnv::RandomBytes(void* out, size_t n) { base_->RandomBytes(out, n); }

}  // namespace cairn
