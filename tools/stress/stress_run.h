// StressRun: one cairn-stress process's work on one database (docs/stress.md).
//
// Worker threads pick random operations over the key space [0, keys): Put, Delete, a
// multi-key WriteBatch, Get, an iterator scan of a key range (forward and backward),
// a snapshot read across a write, Flush, CompactRange and SyncWal, and every `reopen_every`
// operations a close, reopen and full verification. Each write follows the oracle protocol
// (ExpectedState): the key's stripe lock is held from SetPending to Acknowledge, so the oracle
// knows exactly which writes are acknowledged and which are in flight. Each read is checked
// when it returns, against the oracle under the same stripe locks.
//
// Any mismatch or unexpected error is a failure: it is printed with the seed and the replay
// command, and every worker stops.
//
// Thread safety: Run() starts and joins the workers; the other public methods are called from
// the main thread while no worker runs.
#ifndef CAIRN_TOOLS_STRESS_STRESS_RUN_H_
#define CAIRN_TOOLS_STRESS_STRESS_RUN_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <shared_mutex>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "cairn/env.h"
#include "stress/expected_state.h"

namespace cairn::stress {

struct StressConfig {
  std::string db_dir;
  uint64_t seed = 0;
  uint32_t keys = 10000;
  int threads = 4;
  double duration_s = 10;
  uint64_t ops_per_thread = 0;  // 0: until the duration ends
  uint64_t reopen_every = 0;    // 0: never reopen
  int sync_percent = 50;        // share of writes with WriteOptions::sync = true
  uint32_t kill_odds = 0;       // KillPointEnv odds; 0: no kill points
  std::string replay_command;   // printed with every failure
  // A test of the checker, never of the engine: the first batch writes only its first key,
  // then the process SIGKILLs itself, leaving a torn batch verification must reject.
  bool self_test_torn_batch = false;
};

// Writes are serialized per key by one of this many stripe locks (key % kStripeCount). A scan
// locks one stripe per key of its range, so a range never holds more keys than stripes.
inline constexpr uint32_t kStripeCount = 1024;
// The longest key range one scan checks exactly, and the most keys in one batch. A scan holds
// one stripe lock per key while it creates its iterator; ThreadSanitizer tracks at most 64
// locks held by one thread, and the engine takes a few of its own meanwhile.
inline constexpr uint32_t kScanKeysMax = 32;
inline constexpr uint32_t kBatchKeysMax = 16;
static_assert(kScanKeysMax <= kStripeCount && kBatchKeysMax <= kStripeCount);

enum OpKind {
  kOpPut,
  kOpDelete,
  kOpBatch,
  kOpGet,
  kOpScan,
  kOpSnapshot,
  kOpFlush,
  kOpCompact,
  kOpSyncWal,
  kOpHeldSnapshot,  // a snapshot kept across many operations, checked and released
  kOpReopen,
  kOpKindCount
};

class StressRun {
 public:
  // `state` and `env` are not owned and must outlive this object.
  StressRun(const StressConfig& config, ExpectedState* state, Env* env);
  ~StressRun();

  // The options every open uses: small MemTables and segments, so flushes, compactions and
  // WAL switches happen constantly; a few choices vary with the seed.
  Options DbOptions() const;

  // Opens the database and verifies it in full (`after_crash`: in-flight writes may be
  // found either way). Prints the verification summary. False on any failure.
  bool OpenAndVerify(bool after_crash);

  // Runs the workers until the duration or operation count is reached, or a failure.
  // Returns false on a failure.
  bool Run();

  // Closes the database.
  void Close();

  // "put=N delete=N ..." counts of operations completed by this process.
  std::string OpCounts() const;
  uint64_t failures() const { return failure_count_.load(); }

 private:
  // A key and the state a read must show for it.
  struct ScanEntry {
    uint32_t key;
    KeyState state;
  };
  // A snapshot one worker keeps across many operations (flushes, compactions and other
  // threads' writes included), with the states of a few keys as of the snapshot.
  struct HeldSnapshot {
    const Snapshot* snapshot = nullptr;
    std::vector<ScanEntry> expected;
    uint64_t release_after = 0;  // in the worker's own operation count
  };

  void Worker(int index);
  void RunOne(std::mt19937_64* rng);
  bool Reopen();
  // OpenAndVerify with db_mu_ held exclusively.
  bool OpenAndVerifyLocked(bool after_crash);

  // The operations (stress_ops.cc). Each returns when done; problems go to Fail().
  void OpWrite(std::mt19937_64* rng, OpKind kind);
  void OpGet(std::mt19937_64* rng);
  void OpScan(std::mt19937_64* rng);
  void OpSnapshot(std::mt19937_64* rng);
  void OpFlush();
  // DB::SyncWal, then a checked Get.
  void OpSyncWal(std::mt19937_64* rng);
  // With small odds, flushes, or compacts the range of `key` (see stress_ops.cc).
  void MaybeFlushOrCompact(std::mt19937_64* rng, uint32_t key);
  void OpCompact(std::mt19937_64* rng);

  // Issues one write (a Put/Delete of one key, or a batch) for keys whose stripes the caller
  // holds, following the oracle protocol. `puts[i]` says whether keys[i] is put or deleted.
  // Returns the new states, or nothing after a failure.
  bool WriteLocked(std::mt19937_64* rng, const std::vector<uint32_t>& keys,
                   const std::vector<bool>& puts, bool as_batch, std::vector<KeyState>* states);
  // --self-test-torn-batch: durably writes one key of a batch alone, then SIGKILLs the process.
  void TearBatchAndDie(uint32_t key, KeyState state);
  // Locks the stripes of `keys` in ascending stripe order (deadlock-free).
  std::vector<std::unique_lock<std::mutex>> LockStripes(const std::vector<uint32_t>& keys);
  // Reads `key` through `db_`; nullopt when absent. Fails (and returns nullopt) on an error.
  std::optional<std::string> Read(uint32_t key, const Snapshot* snapshot, const char* what);
  void CheckRead(uint32_t key, KeyState expected, const std::optional<std::string>& found,
                 const std::string& what);

  // Walks `it` from its position (forward up to `limit`, or backward down to `first`) and
  // checks it returns exactly `expected`, in order.
  void ScanCheck(Iterator* it, const std::vector<ScanEntry>& expected, bool forward,
                 const std::string& first, const std::string& limit);

  // Takes, checks now and then, or releases worker `index`'s held snapshot. db_mu_ held
  // shared by that worker.
  void TendHeldSnapshot(int index, uint64_t done, std::mt19937_64* rng);
  // Checks every recorded key through the held snapshot (Get and an iterator).
  void CheckHeld(const HeldSnapshot& held);
  // Checks, releases and clears a held snapshot. db_mu_ held (shared by the owning worker, or
  // exclusively before a close).
  void ReleaseHeld(HeldSnapshot* held);
  // Releases every held snapshot, checking each. db_mu_ held exclusively.
  void ReleaseAllHeldLocked();

  void Fail(const std::string& message);

  const StressConfig config_;
  ExpectedState* const state_;
  Env* const env_;
  // Held shared by every operation, exclusively by a reopen.
  std::shared_mutex db_mu_;
  std::unique_ptr<DB> db_;
  std::array<std::mutex, kStripeCount> stripes_;
  // One slot per worker: its own slot under db_mu_ shared, every slot under db_mu_ exclusive.
  std::vector<HeldSnapshot> held_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> failure_count_{0};
  std::atomic<uint64_t> ops_since_start_{0};
  std::array<std::atomic<uint64_t>, kOpKindCount> op_counts_{};
  std::mutex print_mu_;
};

}  // namespace cairn::stress

#endif  // CAIRN_TOOLS_STRESS_STRESS_RUN_H_
