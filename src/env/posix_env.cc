// PosixEnv: Env::Default(), the only place in Cairn that makes system calls.
//
// Each operation maps to the one system call its contract names, so what is durable after it
// is exactly what the kernel promises for that call. Errors carry the operation, the path and
// strerror(errno); ENOENT becomes NotFound and ENOSPC (or EDQUOT) IOError with kNoSpace, so
// callers can branch on them without parsing messages. Every descriptor is opened with
// O_CLOEXEC so a child process spawned by the host program cannot inherit (and keep alive) a
// WAL descriptor or, worse, the database lock.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>
#include <set>

#include "cairn/env.h"

namespace cairn {
namespace {

// strerror_r comes in a GNU flavour (returns the text) and an XSI one (fills the buffer and
// returns 0); these overloads accept either.
[[maybe_unused]] const char* StrErrorText(const char* text, const char* /*buffer*/) { return text; }
[[maybe_unused]] const char* StrErrorText(int rc, const char* buffer) {
  return rc == 0 ? buffer : "unknown error";
}

Status PosixError(std::string_view op, const std::string& what, int err) {
  char buffer[256] = {};
  std::string msg(op);
  msg.append(" ").append(what).append(": ");
  msg.append(StrErrorText(strerror_r(err, buffer, sizeof(buffer)), buffer));
  if (err == ENOENT) {
    return Status::NotFound(msg);
  }
  if (err == ENOSPC || err == EDQUOT) {
    return Status::IOError(msg, Status::SubCode::kNoSpace);
  }
  return Status::IOError(msg);
}

// open(2), retried if a signal interrupts it before it does anything.
int OpenRetrying(const std::string& path, int flags, mode_t mode = 0) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// close(2) is never retried: Linux releases the descriptor even when it reports EINTR, and a
// retry could close a descriptor another thread has just been given.
Status CloseDescriptor(int fd, const std::string& path) {
  if (::close(fd) != 0) {
    return PosixError("close", path, errno);
  }
  return Status::OK();
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) {
      // The contract says errors of this implicit close are lost; Close() reports them.
      CloseDescriptor(fd_, path_).IgnoreError();
    }
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) {
      return Status::IOError("append " + path_ + ": file is closed");
    }
    // write(2) may write less than asked (a signal, a full pipe, RLIMIT_FSIZE): keep going
    // until everything is written or a real error stops us.
    while (!data.empty()) {
      const ssize_t written = ::write(fd_, data.data(), data.size());
      if (written < 0) {
        if (errno == EINTR) {
          continue;
        }
        return PosixError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(written));
    }
    return Status::OK();
  }

  Status Sync() override {
    if (fd_ < 0) {
      return Status::IOError("sync " + path_ + ": file is closed");
    }
    // Never retried, not even on EINTR: after a failed fdatasync the kernel may have marked
    // the dirty pages clean, so a second call could report a success that is not true.
    if (::fdatasync(fd_) != 0) {
      return PosixError("fdatasync", path_, errno);
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) {
      return Status::OK();
    }
    const int fd = fd_;
    fd_ = -1;
    return CloseDescriptor(fd, path_);
  }

 private:
  int fd_;
  const std::string path_;
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixReadableFile() override {
    // Nothing was written through this descriptor, so a close error loses nothing.
    CloseDescriptor(fd_, path_).IgnoreError();
  }

  Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    // pread(2) can return fewer bytes than asked before the end of file (signals, some file
    // systems); only a zero return means end of file, which the contract requires.
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) {
          continue;
        }
        *result = std::string_view();
        return PosixError("pread", path_, errno);
      }
      if (got == 0) {
        break;
      }
      done += static_cast<size_t>(got);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }

  Result<uint64_t> Size() const override {
    struct stat info;
    if (::fstat(fd_, &info) != 0) {
      return PosixError("fstat", path_, errno);
    }
    return static_cast<uint64_t>(info.st_size);
  }

 private:
  const int fd_;
  const std::string path_;
};

class PosixEnv;

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(PosixEnv* env, int fd, std::string path)
      : env_(env), fd_(fd), path_(std::move(path)) {}
  ~PosixFileLock() override;

 private:
  PosixEnv* const env_;
  const int fd_;
  const std::string path_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    // O_APPEND keeps "append" true even if the file is truncated while open.
    const int fd = OpenRetrying(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd < 0) {
      return PosixError("open", path, errno);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::unique_ptr<WritableFile>> ReuseWritableFile(const std::string& path) override {
    // No O_CREAT, O_TRUNC or O_APPEND: writes start at offset 0 and overwrite in place.
    const int fd = OpenRetrying(path, O_WRONLY);
    if (fd < 0) {
      return PosixError("open for reuse", path, errno);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::unique_ptr<ReadableFile>> NewReadableFile(const std::string& path) override {
    const int fd = OpenRetrying(path, O_RDONLY);
    if (fd < 0) {
      return PosixError("open", path, errno);
    }
    // open(2) accepts a directory for reading and only read(2) fails; refuse it here, as
    // MemEnv does, so both Envs fail at the same step.
    struct stat info;
    const int err = ::fstat(fd, &info) != 0 ? errno : (S_ISDIR(info.st_mode) ? EISDIR : 0);
    if (err != 0) {
      CloseDescriptor(fd, path).IgnoreError();  // reporting why the open failed matters more
      return PosixError("open", path, err);
    }
    return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd, path));
  }

  Result<bool> FileExists(const std::string& path) override {
    struct stat info;
    if (::stat(path.c_str(), &info) == 0) {
      return true;
    }
    if (errno == ENOENT || errno == ENOTDIR) {
      return false;
    }
    return PosixError("stat", path, errno);
  }

  Result<std::vector<std::string>> GetChildren(const std::string& dir) override;

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) {
      return PosixError("stat", path, errno);
    }
    if (S_ISDIR(info.st_mode)) {
      return PosixError("stat", path, EISDIR);
    }
    return static_cast<uint64_t>(info.st_size);
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) {
      return PosixError("unlink", path, errno);
    }
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename", from + " to " + to, errno);
    }
    return Status::OK();
  }

  Status LinkFile(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0) {
      return PosixError("link", from + " to " + to, errno);
    }
    return Status::OK();
  }

  Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) == 0) {
      return Status::OK();
    }
    const int err = errno;
    struct stat info;
    if (err == EEXIST && ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
      return Status::OK();
    }
    return PosixError("mkdir", path, err);
  }

  Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) {
      return PosixError("rmdir", path, errno);
    }
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = OpenRetrying(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
      return PosixError("open", dir, errno);
    }
    // As with files, a failed directory fsync is reported and never retried.
    Status s;
    if (::fsync(fd) != 0) {
      s = PosixError("fsync", dir, errno);
    }
    Status closed = CloseDescriptor(fd, dir);
    return s.ok() ? closed : s;
  }

  Status TruncateFile(const std::string& path, uint64_t size_bytes) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  uint64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  uint64_t NowMonotonicMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void SleepMicros(uint64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }

  std::thread StartThread(std::function<void()> fn) override { return std::thread(std::move(fn)); }

  void RandomBytes(void* out, size_t n) override {
    std::lock_guard<std::mutex> lock(random_mu_);
    auto* bytes = static_cast<unsigned char*>(out);
    for (size_t i = 0; i < n; ++i) {
      bytes[i] = static_cast<unsigned char>(random_());
    }
  }

  void ReleaseLock(const std::string& path) {
    std::lock_guard<std::mutex> lock(locks_mu_);
    locked_paths_.erase(path);
  }

 private:
  std::mutex random_mu_;
  std::mt19937_64 random_{std::random_device{}()};
  // flock(2) already excludes a second open file description in this process, but the set
  // makes the in-process case explicit and gives it a precise message.
  std::mutex locks_mu_;
  std::set<std::string> locked_paths_;
};

Result<std::vector<std::string>> PosixEnv::GetChildren(const std::string& dir) {
  // open + fdopendir rather than opendir, so the descriptor is certainly O_CLOEXEC.
  const int fd = OpenRetrying(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    return PosixError("opendir", dir, errno);
  }
  DIR* stream = ::fdopendir(fd);
  if (stream == nullptr) {
    const int err = errno;
    CloseDescriptor(fd, dir).IgnoreError();  // the fdopendir error is the one to report
    return PosixError("opendir", dir, err);
  }
  std::vector<std::string> names;
  int err = 0;
  while (true) {
    errno = 0;  // readdir signals an error only through errno
    const dirent* entry = ::readdir(stream);
    if (entry == nullptr) {
      err = errno;
      break;
    }
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      names.emplace_back(name);
    }
  }
  // closedir only releases a descriptor that was only read.
  ::closedir(stream);
  if (err != 0) {
    return PosixError("readdir", dir, err);
  }
  return names;
}

Status PosixEnv::TruncateFile(const std::string& path, uint64_t size_bytes) {
  if (size_bytes > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return Status::InvalidArgument("truncate " + path + ": size " + std::to_string(size_bytes) +
                                   " is too large");
  }
  const int fd = OpenRetrying(path, O_WRONLY);
  if (fd < 0) {
    return PosixError("open", path, errno);
  }
  Status s;
  int rc;
  do {
    rc = ::ftruncate(fd, static_cast<off_t>(size_bytes));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    s = PosixError("ftruncate", path, errno);
  } else if (::fdatasync(fd) != 0) {  // never retried, as in Sync()
    s = PosixError("fdatasync", path, errno);
  }
  Status closed = CloseDescriptor(fd, path);
  return s.ok() ? closed : s;
}

Result<std::unique_ptr<FileLock>> PosixEnv::LockFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(locks_mu_);
  if (locked_paths_.count(path) != 0) {
    return Status::Busy("database is in use: lock file " + path +
                        " is held by another DB object in this process");
  }
  const int fd = OpenRetrying(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0) {
    return PosixError("open", path, errno);
  }
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    CloseDescriptor(fd, path).IgnoreError();  // the lock failure is what the caller needs
    if (err == EWOULDBLOCK) {
      return Status::Busy("database is in use: lock file " + path +
                          " is held by another process or DB object");
    }
    return PosixError("flock", path, err);
  }
  locked_paths_.insert(path);
  return std::unique_ptr<FileLock>(new PosixFileLock(this, fd, path));
}

PosixFileLock::~PosixFileLock() {
  // Closing the descriptor releases the flock; an explicit unlock first makes the release
  // independent of any duplicate of the descriptor (there is none, but it costs nothing).
  ::flock(fd_, LOCK_UN);
  CloseDescriptor(fd_, path_).IgnoreError();  // nothing was written; the lock is gone anyway
  env_->ReleaseLock(path_);
}

}  // namespace

Result<std::unique_ptr<WritableFile>> Env::ReuseWritableFile(const std::string& path) {
  return Status::NotSupported("this Env cannot reuse a file in place: " + path);
}

Env* Env::Default() {
  // Never destroyed: background threads and static destructors of the host program may still
  // use it while the program exits.
  static Env* const env = new PosixEnv();
  return env;
}

}  // namespace cairn
