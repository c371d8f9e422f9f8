// Helpers shared by the peer_bench workloads (workload.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <set>

#include "workload.h"

namespace cairn_bench {

// Enough distinct offsets that neighbouring keys get different values.
constexpr size_t kValueBufferBytes = 1u << 20;

Values::Values(int value_size) : size_(static_cast<size_t>(value_size)) {
  std::mt19937_64 rng(42);
  buffer_.resize(kValueBufferBytes + size_);
  for (char& c : buffer_) c = static_cast<char>(rng());
}

std::string_view Values::For(uint64_t i) const {
  return std::string_view(buffer_.data() + (i * 97) % kValueBufferBytes, size_);
}

std::unique_ptr<Engine> OpenEngine(const std::string& name, const std::string& dir,
                                   const EngineConfig& config, bool keep) {
  if (!keep) Fresh(dir);
  std::unique_ptr<Engine> engine = MakeEngine(name);
  if (engine == nullptr) {
    std::fprintf(stderr, "unknown or missing engine %s\n", name.c_str());
    return nullptr;
  }
  cairn::Status st = engine->Open(dir, config);
  if (!st.ok()) {
    std::fprintf(stderr, "%s: open %s: %s\n", name.c_str(), dir.c_str(), st.ToString().c_str());
    return nullptr;
  }
  PrintSettings(*engine);
  return engine;
}

bool Check(const cairn::Status& st, const std::string& what) {
  if (st.ok()) return true;
  std::fprintf(stderr, "error: %s: %s\n", what.c_str(), st.ToString().c_str());
  return false;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      // Allocated blocks, not the apparent size: LMDB's and WiredTiger's files may be sparse.
      struct ::stat info {};
      if (::stat(entry.path().c_str(), &info) == 0) {
        total += static_cast<uint64_t>(info.st_blocks) * 512;
      }
    }
  }
  return total;
}

void EvictDir(const std::string& dir) {
  if (DropPageCache()) return;
  ::sync();
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // best effort: a hint
    ::close(fd);
  }
}

void PrintSettings(const Engine& engine) {
  static std::set<std::string> printed;
  std::string line = engine.Name() + ": " + engine.Settings();
  if (printed.insert(line).second) std::printf("settings engine=%s\n", line.c_str());
}

}  // namespace cairn_bench
