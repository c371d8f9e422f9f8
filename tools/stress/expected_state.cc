// ExpectedState: layout and the mapping.
//
// File layout (native endianness: the file never leaves the machine that made it):
//   bytes 0..63   header, eight 64-bit words: magic, (format << 32) | keys, next batch id,
//                 operations total, operations verified, runs, two reserved
//   bytes 64..    one 32-byte slot per key: acked, pending, batch, issued
// cairn-stress is a tool, not the engine, so it maps its oracle with mmap(2) directly: the
// engine's Env has no mapping call, and the oracle must not go through the Env under test.
#include "stress/expected_state.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace cairn::stress {
namespace {

constexpr uint64_t kMagic = 0x5058454e52494143ULL;  // "CAIRNEXP" read little-endian
constexpr uint64_t kFormat = 1;
constexpr size_t kHeaderBytes = 64;
constexpr size_t kSlotWords = 4;
constexpr size_t kSlotBytes = kSlotWords * sizeof(uint64_t);
constexpr uint64_t kPendingValid = 1ULL << 63;

enum HeaderIndex { kHMagic = 0, kHFormatKeys, kHNextBatch, kHOpsTotal, kHOpsVerified, kHRuns };
enum SlotIndex { kSAcked = 0, kSPending, kSBatch, kSIssued };

uint64_t Encode(KeyState s) { return (static_cast<uint64_t>(s.version) << 1) | (s.exists ? 1 : 0); }
KeyState Decode(uint64_t w) {
  return KeyState{static_cast<uint32_t>((w & ~kPendingValid) >> 1), (w & 1) != 0};
}

uint64_t Load(const uint64_t* p) {
  return std::atomic_ref<uint64_t>(*const_cast<uint64_t*>(p)).load(std::memory_order_acquire);
}
void Store(uint64_t* p, uint64_t v) {
  std::atomic_ref<uint64_t>(*p).store(v, std::memory_order_release);
}
uint64_t FetchAdd(uint64_t* p, uint64_t v) {
  return std::atomic_ref<uint64_t>(*p).fetch_add(v, std::memory_order_acq_rel);
}

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// Creates a zeroed oracle for `keys` at `path` through a temporary file and a rename, so a
// kill during creation never leaves a half-made oracle under the real name.
Status Create(const std::string& path, uint32_t keys) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", temp);
  const uint64_t header[8] = {kMagic, (kFormat << 32) | keys, 1, 0, 0, 0, 0, 0};
  const off_t size = static_cast<off_t>(kHeaderBytes + kSlotBytes * keys);
  bool ok = ::ftruncate(fd, size) == 0 &&
            ::pwrite(fd, header, sizeof(header), 0) == static_cast<ssize_t>(sizeof(header)) &&
            ::fsync(fd) == 0;
  if (!ok) {
    Status s = Errno("write", temp);
    ::close(fd);
    return s;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) return Errno("rename", temp);
  return Status::OK();
}

}  // namespace

std::string KeyState::ToString() const {
  return exists ? "v" + std::to_string(version) : "absent (after v" + std::to_string(version) + ")";
}

Result<std::unique_ptr<ExpectedState>> ExpectedState::Open(const std::string& path, uint32_t keys) {
  if (::access(path.c_str(), F_OK) != 0) {
    CAIRN_RETURN_IF_ERROR(Create(path, keys));
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = Errno("stat", path);
    ::close(fd);
    return s;
  }
  const size_t map_bytes = static_cast<size_t>(st.st_size);
  if (map_bytes < kHeaderBytes) {
    ::close(fd);
    return Status::Corruption(path + ": too short for an oracle header");
  }
  void* map = ::mmap(nullptr, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    Status s = Errno("mmap", path);
    ::close(fd);
    return s;
  }
  std::unique_ptr<ExpectedState> state(new ExpectedState(fd, map, map_bytes, keys));
  if (Load(state->HeaderWord(kHMagic)) != kMagic ||
      Load(state->HeaderWord(kHFormatKeys)) >> 32 != kFormat) {
    return Status::Corruption(path + ": not a cairn-stress oracle (format " +
                              std::to_string(kFormat) + ")");
  }
  const uint64_t file_keys = Load(state->HeaderWord(kHFormatKeys)) & 0xffffffffu;
  if (file_keys != keys || map_bytes != kHeaderBytes + kSlotBytes * keys) {
    return Status::InvalidArgument(path + " was made for --keys " + std::to_string(file_keys) +
                                   ", not " + std::to_string(keys));
  }
  return state;
}

ExpectedState::ExpectedState(int fd, void* map, size_t map_bytes, uint32_t keys)
    : fd_(fd), map_(map), map_bytes_(map_bytes), keys_(keys) {}

ExpectedState::~ExpectedState() {
  ::munmap(map_, map_bytes_);
  ::close(fd_);
}

uint64_t* ExpectedState::HeaderWord(int index) const {
  return static_cast<uint64_t*>(map_) + index;
}

uint64_t* ExpectedState::Word(uint32_t key, int index) const {
  return static_cast<uint64_t*>(map_) + kHeaderBytes / sizeof(uint64_t) + key * kSlotWords + index;
}

KeyState ExpectedState::Acked(uint32_t key) const { return Decode(Load(Word(key, kSAcked))); }

std::optional<KeyState> ExpectedState::Pending(uint32_t key) const {
  const uint64_t w = Load(Word(key, kSPending));
  if ((w & kPendingValid) == 0) return std::nullopt;
  return Decode(w);
}

uint64_t ExpectedState::Batch(uint32_t key) const { return Load(Word(key, kSBatch)); }

KeyState ExpectedState::NextState(uint32_t key, bool exists) {
  const uint64_t version = Load(Word(key, kSIssued)) + 1;
  Store(Word(key, kSIssued), version);
  return KeyState{static_cast<uint32_t>(version), exists};
}

void ExpectedState::SetPending(uint32_t key, KeyState state, uint64_t batch) {
  // The batch id first: a pending word is never visible with another write's batch id.
  Store(Word(key, kSBatch), batch);
  Store(Word(key, kSPending), kPendingValid | Encode(state));
}

void ExpectedState::Acknowledge(uint32_t key) {
  const uint64_t pending = Load(Word(key, kSPending));
  // Acked before pending is cleared: a kill between the two leaves acked == pending, which
  // verification accepts either way.
  Store(Word(key, kSAcked), pending & ~kPendingValid);
  Store(Word(key, kSPending), 0);
  // The batch id stays until the key's next write or verification: a kill while a batch's
  // keys are being acknowledged leaves some acknowledged members, which prove the batch
  // committed, so every still-pending member must then be found new.
}

void ExpectedState::Resolve(uint32_t key, KeyState found) {
  Store(Word(key, kSAcked), Encode(found));
  Store(Word(key, kSPending), 0);
  Store(Word(key, kSBatch), 0);
}

uint64_t ExpectedState::NewBatchId() { return FetchAdd(HeaderWord(kHNextBatch), 1); }

void ExpectedState::AddOperations(uint64_t count) { FetchAdd(HeaderWord(kHOpsTotal), count); }

uint64_t ExpectedState::operations_total() const { return Load(HeaderWord(kHOpsTotal)); }

uint64_t ExpectedState::operations_verified() const { return Load(HeaderWord(kHOpsVerified)); }

void ExpectedState::MarkVerified() {
  Store(HeaderWord(kHOpsVerified), Load(HeaderWord(kHOpsTotal)));
}

uint64_t ExpectedState::NewRun() { return FetchAdd(HeaderWord(kHRuns), 1) + 1; }

}  // namespace cairn::stress
