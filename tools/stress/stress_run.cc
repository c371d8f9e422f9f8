// StressRun: lifecycle (open, verify, workers, reopen), the oracle write protocol and failure
// reporting. The operations themselves are in stress_ops.cc.
#include "stress/stress_run.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "stress/stress_values.h"
#include "stress/stress_verify.h"

namespace cairn::stress {
namespace {

// Operation weights, out of their sum: mostly writes and reads, enough scans and snapshots
// to cross every flush, and flushes and compactions often enough that a run of seconds goes
// through several of each besides the ones the small MemTable triggers by itself.
struct OpWeight {
  OpKind kind;
  int weight;
};
constexpr OpWeight kOpWeights[] = {
    {kOpPut, 340},     {kOpDelete, 100}, {kOpBatch, 150}, {kOpGet, 230},    {kOpScan, 80},
    {kOpSnapshot, 80}, {kOpFlush, 12},   {kOpCompact, 8}, {kOpSyncWal, 10},
};

constexpr const char* kOpNames[kOpKindCount] = {"put",      "delete",        "batch", "get",
                                                "scan",     "snapshot",      "flush", "compact",
                                                "sync-wal", "held-snapshot", "reopen"};

}  // namespace

StressRun::StressRun(const StressConfig& config, ExpectedState* state, Env* env)
    : config_(config), state_(state), env_(env), held_(static_cast<size_t>(config.threads)) {}

StressRun::~StressRun() { Close(); }

Options StressRun::DbOptions() const {
  std::mt19937_64 rng(config_.seed ^ 0x0b7105ULL);
  Options options;
  options.env = env_;
  // 256 KiB to 1 MiB MemTables: a flush every few thousand writes.
  options.memtable_size_bytes = (256u << 10) << (rng() % 3);
  options.max_memtable_memory_bytes = 4 * options.memtable_size_bytes;
  // A WAL cap of a few MemTables, so the cap-triggered flush also happens.
  options.max_wal_size_bytes = 3 * options.memtable_size_bytes;
  options.block_size_bytes = rng() % 2 ? 1024 : 4096;
  options.block_cache_bytes = 1u << 20;
  options.compression = static_cast<Compression>(rng() % 3);
  options.l0_compaction_trigger = 2 + static_cast<int>(rng() % 3);
  options.level1_size_bytes = 1u << 20;
  options.level_size_multiplier = 4;
  options.target_segment_size_bytes = 256u << 10;
  return options;
}

bool StressRun::OpenAndVerify(bool after_crash) {
  std::unique_lock<std::shared_mutex> lock(db_mu_);
  return OpenAndVerifyLocked(after_crash);
}

bool StressRun::OpenAndVerifyLocked(bool after_crash) {
  Status s = DB::Open(DbOptions(), config_.db_dir, &db_);
  if (!s.ok()) {
    Fail("open " + config_.db_dir + ": " + s.ToString());
    return false;
  }
  const VerifyReport report = VerifyDatabase(db_.get(), state_, after_crash);
  {
    std::lock_guard<std::mutex> print(print_mu_);
    std::printf("verify: keys=%u %s operations-verified=%llu\n", state_->keys(),
                report.Summary().c_str(),
                static_cast<unsigned long long>(state_->operations_verified()));
    std::fflush(stdout);
  }
  for (const std::string& message : report.failures) {
    Fail("verify: " + message);
  }
  if (report.failure_count > report.failures.size()) {
    Fail("verify: " + std::to_string(report.failure_count - report.failures.size()) +
         " more failures");
  }
  return report.ok();
}

bool StressRun::Run() {
  std::vector<std::thread> threads;
  for (int i = 0; i < config_.threads; ++i) {
    threads.emplace_back([this, i] { Worker(i); });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  return failure_count_.load() == 0;
}

void StressRun::Close() {
  std::unique_lock<std::shared_mutex> lock(db_mu_);
  ReleaseAllHeldLocked();
  db_.reset();
}

void StressRun::Worker(int index) {
  // Distinct, reproducible streams per thread (the interleaving of threads is not).
  std::mt19937_64 rng(config_.seed * 1000003ULL + static_cast<uint64_t>(index));
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(static_cast<int64_t>(config_.duration_s * 1e6));
  for (uint64_t done = 0; !stop_.load(); ++done) {
    if (config_.ops_per_thread != 0 ? done >= config_.ops_per_thread
                                    : std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    RunOne(&rng);
    state_->AddOperations(1);
    {
      std::shared_lock<std::shared_mutex> lock(db_mu_);
      if (db_ != nullptr) TendHeldSnapshot(index, done, &rng);
    }
    // Exactly one thread sees each multiple of reopen_every.
    if (config_.reopen_every != 0 &&
        (ops_since_start_.fetch_add(1) + 1) % config_.reopen_every == 0 && !stop_.load()) {
      if (!Reopen()) {
        return;
      }
    }
  }
  std::shared_lock<std::shared_mutex> lock(db_mu_);
  if (db_ != nullptr) ReleaseHeld(&held_[static_cast<size_t>(index)]);
}

void StressRun::RunOne(std::mt19937_64* rng) {
  int total = 0;
  for (const OpWeight& w : kOpWeights) total += w.weight;
  int pick = static_cast<int>((*rng)() % static_cast<uint64_t>(total));
  OpKind kind = kOpPut;
  for (const OpWeight& w : kOpWeights) {
    if (pick < w.weight) {
      kind = w.kind;
      break;
    }
    pick -= w.weight;
  }
  std::shared_lock<std::shared_mutex> lock(db_mu_);
  if (db_ == nullptr || stop_.load()) {
    return;  // a failed reopen left no database; the failure is already reported
  }
  switch (kind) {
    case kOpPut:
    case kOpDelete:
    case kOpBatch:
      OpWrite(rng, kind);
      break;
    case kOpGet:
      OpGet(rng);
      break;
    case kOpScan:
      OpScan(rng);
      break;
    case kOpSnapshot:
      OpSnapshot(rng);
      break;
    case kOpFlush:
      OpFlush();
      break;
    case kOpCompact:
      OpCompact(rng);
      break;
    case kOpSyncWal:
      OpSyncWal(rng);
      break;
    case kOpHeldSnapshot:
    case kOpReopen:
    case kOpKindCount:
      break;
  }
  op_counts_[kind].fetch_add(1);
}

bool StressRun::Reopen() {
  std::unique_lock<std::shared_mutex> lock(db_mu_);
  ReleaseAllHeldLocked();
  db_.reset();
  op_counts_[kOpReopen].fetch_add(1);
  // No write is in flight: every writer holds db_mu_ shared from SetPending to Acknowledge.
  return OpenAndVerifyLocked(/*after_crash=*/false);
}

std::string StressRun::OpCounts() const {
  std::string out;
  for (int i = 0; i < kOpKindCount; ++i) {
    out += std::string(i ? " " : "") + kOpNames[i] + "=" + std::to_string(op_counts_[i].load());
  }
  return out;
}

std::vector<std::unique_lock<std::mutex>> StressRun::LockStripes(
    const std::vector<uint32_t>& keys) {
  std::vector<uint32_t> stripes;
  for (uint32_t key : keys) stripes.push_back(key % kStripeCount);
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  std::vector<std::unique_lock<std::mutex>> locks;
  for (uint32_t stripe : stripes) locks.emplace_back(stripes_[stripe]);
  return locks;
}

bool StressRun::WriteLocked(std::mt19937_64* rng, const std::vector<uint32_t>& keys,
                            const std::vector<bool>& puts, bool as_batch,
                            std::vector<KeyState>* states) {
  const uint64_t batch_id = as_batch ? state_->NewBatchId() : 0;
  WriteBatch batch;
  states->clear();
  for (size_t i = 0; i < keys.size(); ++i) {
    const KeyState next = state_->NextState(keys[i], puts[i]);
    states->push_back(next);
    state_->SetPending(keys[i], next, batch_id);
    if (puts[i]) {
      batch.Put(KeyName(keys[i]), ValueFor(keys[i], next.version));
    } else {
      batch.Delete(KeyName(keys[i]));
    }
  }
  WriteOptions options;
  options.sync = static_cast<int>((*rng)() % 100) < config_.sync_percent;
  Status s;
  if (as_batch && config_.self_test_torn_batch && keys.size() >= 2) {
    TearBatchAndDie(keys[0], (*states)[0]);
  }
  if (as_batch) {
    s = db_->Write(options, batch);
  } else if (puts[0]) {
    s = db_->Put(options, KeyName(keys[0]), ValueFor(keys[0], (*states)[0].version));
  } else {
    s = db_->Delete(options, KeyName(keys[0]));
  }
  if (!s.ok()) {
    // The writes stay pending in the oracle: their outcome is unknown.
    Fail(std::string(as_batch ? "batch write" : "write") + " of " + KeyName(keys[0]) + ": " +
         s.ToString());
    return false;
  }
  for (uint32_t key : keys) state_->Acknowledge(key);
  return true;
}

void StressRun::TearBatchAndDie(uint32_t key, KeyState state) {
  WriteOptions options;
  Status s = state.exists ? db_->Put(options, KeyName(key), ValueFor(key, state.version))
                          : db_->Delete(options, KeyName(key));
  if (!s.ok()) {
    Fail("self-test torn batch: " + s.ToString());
    return;
  }
  std::printf("self-test: wrote %s of a batch alone; killing the process\n", KeyName(key).c_str());
  std::fflush(stdout);
  ::kill(::getpid(), SIGKILL);
}

std::optional<std::string> StressRun::Read(uint32_t key, const Snapshot* snapshot,
                                           const char* what) {
  ReadOptions options;
  options.snapshot = snapshot;
  std::string value;
  Status s = db_->Get(options, KeyName(key), &value);
  if (s.ok()) return value;
  if (!s.IsNotFound()) Fail(std::string(what) + " " + KeyName(key) + ": " + s.ToString());
  return std::nullopt;
}

void StressRun::CheckRead(uint32_t key, KeyState expected, const std::optional<std::string>& found,
                          const std::string& what) {
  const bool ok = expected.exists ? found.has_value() && *found == ValueFor(key, expected.version)
                                  : !found.has_value();
  if (!ok) {
    Fail(what + " " + KeyName(key) + ": found " + DescribeValue(key, found) + ", expected " +
         expected.ToString());
  }
}

void StressRun::Fail(const std::string& message) {
  failure_count_.fetch_add(1);
  stop_.store(true);
  std::lock_guard<std::mutex> lock(print_mu_);
  std::fprintf(stderr, "cairn-stress FAILURE (seed %llu): %s\n  replay: %s\n",
               static_cast<unsigned long long>(config_.seed), message.c_str(),
               config_.replay_command.c_str());
  std::fflush(stderr);
}

}  // namespace cairn::stress
