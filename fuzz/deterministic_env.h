// DeterministicEnv: a MemEnv whose clock and random bytes are fixed sequences, so that a
// database made through it has the same bytes in every process (the same db_id, the same
// commit times). The template databases of fuzz_util.h and the seed corpus are made with it,
// so seeds written by make_corpus match the templates the targets rebuild at startup.
// Everything else is forwarded to the MemEnv. Thread-safe, as MemEnv is.
#ifndef CAIRN_FUZZ_DETERMINISTIC_ENV_H_
#define CAIRN_FUZZ_DETERMINISTIC_ENV_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "testsupport/mem_env.h"

namespace cairn::fuzz {

class DeterministicEnv final : public Env {
 public:
  // 2026-11-22 00:00:00 UTC: a plausible commit time for the first write.
  static constexpr uint64_t kStartMicros = 1795305600000000ull;

  MemEnv* mem() { return &mem_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return mem_.NewWritableFile(p);
  }
  Result<std::unique_ptr<ReadableFile>> NewReadableFile(const std::string& p) override {
    return mem_.NewReadableFile(p);
  }
  Result<bool> FileExists(const std::string& p) override { return mem_.FileExists(p); }
  Result<std::vector<std::string>> GetChildren(const std::string& d) override {
    return mem_.GetChildren(d);
  }
  Result<uint64_t> GetFileSize(const std::string& p) override { return mem_.GetFileSize(p); }
  Status RemoveFile(const std::string& p) override { return mem_.RemoveFile(p); }
  Status RenameFile(const std::string& f, const std::string& t) override {
    return mem_.RenameFile(f, t);
  }
  Status LinkFile(const std::string& f, const std::string& t) override {
    return mem_.LinkFile(f, t);
  }
  Status CreateDir(const std::string& p) override { return mem_.CreateDir(p); }
  Status RemoveDir(const std::string& p) override { return mem_.RemoveDir(p); }
  Status SyncDir(const std::string& d) override { return mem_.SyncDir(d); }
  Status TruncateFile(const std::string& p, uint64_t n) override { return mem_.TruncateFile(p, n); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return mem_.LockFile(p);
  }
  // Each call advances the clock by one microsecond.
  uint64_t NowMicros() override { return kStartMicros + clock_ticks_.fetch_add(1); }
  uint64_t NowMonotonicMicros() override { return mem_.NowMonotonicMicros(); }
  void SleepMicros(uint64_t micros) override { mem_.SleepMicros(micros); }
  std::thread StartThread(std::function<void()> fn) override {
    return mem_.StartThread(std::move(fn));
  }
  // Bytes 0x10, 0x11, 0x12, ...
  void RandomBytes(void* out, size_t n) override {
    auto* bytes = static_cast<unsigned char*>(out);
    for (size_t i = 0; i < n; i++) {
      bytes[i] = static_cast<unsigned char>(0x10 + random_index_.fetch_add(1));
    }
  }

 private:
  MemEnv mem_;
  std::atomic<uint64_t> clock_ticks_{0};
  std::atomic<uint64_t> random_index_{0};
};

}  // namespace cairn::fuzz

#endif  // CAIRN_FUZZ_DETERMINISTIC_ENV_H_
