// ExpectedState: cairn-stress's oracle, a file of fixed-size per-key slots beside the database
// ("<db>.expected"), mapped MAP_SHARED so every store is in the kernel's page cache the
// instant it is made and survives SIGKILL of the process (not an OS crash; cairn-stress kills
// processes, not machines).
//
// Each key has a slot of four 64-bit words:
//   acked    the key's state as of its last acknowledged write: (version << 1) | exists;
//            0 means never written (absent).
//   pending  kPendingValid | state of a write issued but not yet acknowledged, else 0.
//   batch    the batch id of the key's last write (0 for a single-key write); kept after
//            acknowledgement until the next write or verification (see Acknowledge).
//   issued   the highest version ever issued for the key, so versions are never reused even
//            when an in-flight write is lost in a crash.
// The protocol (docs/stress.md): with the key's stripe lock held, SetPending(); issue the
// write; on OK, Acknowledge(). After a crash, verification accepts for each key the acked
// state or the pending state, and resolves the slot to what it found (Resolve()).
//
// Thread safety: slots are read and written with atomic 64-bit operations; callers serialize
// writers of one key with their own stripe locks. Counters are atomic.
#ifndef CAIRN_TOOLS_STRESS_EXPECTED_STATE_H_
#define CAIRN_TOOLS_STRESS_EXPECTED_STATE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cairn/status.h"

namespace cairn::stress {

// A key's state: absent (exists = false), or present with the value ValueFor(key, version).
struct KeyState {
  uint32_t version = 0;
  bool exists = false;

  bool operator==(const KeyState&) const = default;
  std::string ToString() const;
};

class ExpectedState {
 public:
  // Opens `path`, creating it (all keys absent) if it does not exist. InvalidArgument if an
  // existing file was made for another number of keys; Corruption if it is not an oracle
  // file; IOError if the file system fails.
  static Result<std::unique_ptr<ExpectedState>> Open(const std::string& path, uint32_t keys);

  ExpectedState(const ExpectedState&) = delete;
  ExpectedState& operator=(const ExpectedState&) = delete;
  ~ExpectedState();

  uint32_t keys() const { return keys_; }

  KeyState Acked(uint32_t key) const;
  std::optional<KeyState> Pending(uint32_t key) const;
  // The batch of the key's pending write, or of its last acknowledged write if that was a
  // batch and nothing was written or verified since; 0 otherwise.
  uint64_t Batch(uint32_t key) const;

  // The state the next write of `key` installs: version issued+1 (recorded as issued).
  KeyState NextState(uint32_t key, bool exists);
  // Records `state` as in flight for `key` (batch 0: not part of a batch).
  void SetPending(uint32_t key, KeyState state, uint64_t batch);
  // The pending write of `key` was acknowledged: it becomes the acked state.
  void Acknowledge(uint32_t key);
  // After a crash: the database holds `found` for `key` (the acked or the pending state);
  // make it the acked state and forget the pending write.
  void Resolve(uint32_t key, KeyState found);

  // A batch id never used before in this oracle's life (ids survive restarts).
  uint64_t NewBatchId();

  // Operations run by every process on this oracle, and how many of them a full verification
  // has covered: a write is covered by the next full verification, a read is checked when
  // it returns.
  void AddOperations(uint64_t count);
  uint64_t operations_total() const;
  uint64_t operations_verified() const;
  // A full verification passed: every operation so far is verified.
  void MarkVerified();
  // Processes started on this oracle.
  uint64_t NewRun();

 private:
  ExpectedState(int fd, void* map, size_t map_bytes, uint32_t keys);
  uint64_t* Word(uint32_t key, int index) const;
  uint64_t* HeaderWord(int index) const;

  const int fd_;
  void* const map_;
  const size_t map_bytes_;
  const uint32_t keys_;
};

}  // namespace cairn::stress

#endif  // CAIRN_TOOLS_STRESS_EXPECTED_STATE_H_
