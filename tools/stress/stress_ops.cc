// The operations of cairn-stress's workers. Every check compares with the oracle under the
// stripe locks of the keys involved, so no concurrent writer can change the expected answer
// between the read and the check.
#include <algorithm>
#include <set>

#include "stress/stress_run.h"
#include "stress/stress_values.h"

namespace cairn::stress {
namespace {

// A quarter of the keys an operation picks come from the first kHotKeys keys, so some keys
// get many versions (overwrites for compaction to drop) while the rest of the space stays
// in use.
constexpr uint32_t kHotKeys = 64;

// A snapshot or scan flushes with odds 1/kFlushOrCompactOneIn, and compacts its key with the
// same odds, between taking its view and reading it.
constexpr uint64_t kFlushOrCompactOneIn = 48;

// After each operation a worker without a held snapshot takes one with odds
// 1/kHeldSnapshotOneIn, over up to kHeldSnapshotKeys keys, and keeps it for
// kHeldSnapshotOpsMin plus up to kHeldSnapshotOpsSpan of its operations -- long enough for
// flushes and compactions to rewrite those keys -- checking it with odds 1/kHeldCheckOneIn
// after each operation and once more before releasing it.
constexpr uint64_t kHeldSnapshotOneIn = 32;
constexpr uint32_t kHeldSnapshotKeys = 8;
constexpr uint64_t kHeldSnapshotOpsMin = 50;
constexpr uint64_t kHeldSnapshotOpsSpan = 500;
constexpr uint64_t kHeldCheckOneIn = 16;
static_assert(kHeldSnapshotKeys <= kStripeCount);

uint32_t PickKey(std::mt19937_64* rng, uint32_t keys) {
  if ((*rng)() % 4 == 0) {
    return static_cast<uint32_t>((*rng)() % std::min(keys, kHotKeys));
  }
  return static_cast<uint32_t>((*rng)() % keys);
}

}  // namespace

void StressRun::OpWrite(std::mt19937_64* rng, OpKind kind) {
  std::vector<uint32_t> keys;
  std::vector<bool> puts;
  if (kind == kOpBatch) {
    const uint32_t count = 2 + static_cast<uint32_t>((*rng)() % (kBatchKeysMax - 1));
    std::set<uint32_t> chosen;
    while (chosen.size() < std::min(count, config_.keys)) chosen.insert(PickKey(rng, config_.keys));
    keys.assign(chosen.begin(), chosen.end());
    for (size_t i = 0; i < keys.size(); ++i) puts.push_back((*rng)() % 5 != 0);
  } else {
    keys.push_back(PickKey(rng, config_.keys));
    puts.push_back(kind == kOpPut);
  }
  auto locks = LockStripes(keys);
  std::vector<KeyState> states;
  if (!WriteLocked(rng, keys, puts, kind == kOpBatch, &states)) return;
  // Read your own writes, for a batch always (all of it must be visible at once), for a
  // single write one time in four.
  if (kind == kOpBatch || (*rng)() % 4 == 0) {
    for (size_t i = 0; i < keys.size(); ++i) {
      CheckRead(keys[i], states[i], Read(keys[i], nullptr, "read-back"), "read-back");
    }
  }
}

void StressRun::OpGet(std::mt19937_64* rng) {
  const uint32_t key = PickKey(rng, config_.keys);
  auto locks = LockStripes({key});
  CheckRead(key, state_->Acked(key), Read(key, nullptr, "get"), "get");
}

void StressRun::ScanCheck(Iterator* it, const std::vector<ScanEntry>& expected, bool forward,
                          const std::string& first, const std::string& limit) {
  const char* what = forward ? "scan" : "reverse scan";
  size_t i = 0;
  for (; it->Valid() && (forward ? it->key() < limit : it->key() >= first); ++i) {
    const std::optional<uint32_t> key = ParseKeyName(it->key());
    if (i >= expected.size() || !key.has_value() || *key != expected[i].key) {
      Fail(std::string(what) + " of [" + first + ", " + limit + "): found key " +
           std::string(it->key()) + ", expected " +
           (i < expected.size() ? KeyName(expected[i].key) : std::string("the end")));
      return;
    }
    CheckRead(*key, expected[i].state, std::string(it->value()), what);
    if (forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  if (!it->status().ok()) {
    Fail(std::string(what) + " of [" + first + ", " + limit + "): " + it->status().ToString());
  } else if (i < expected.size()) {
    Fail(std::string(what) + " of [" + first + ", " + limit + ") missed " +
         KeyName(expected[i].key));
  }
}

void StressRun::OpScan(std::mt19937_64* rng) {
  const uint32_t start = static_cast<uint32_t>((*rng)() % config_.keys);
  const uint32_t end =
      std::min(config_.keys, start + 1 + static_cast<uint32_t>((*rng)() % kScanKeysMax));
  std::vector<uint32_t> keys;
  for (uint32_t k = start; k < end; ++k) keys.push_back(k);
  std::vector<ScanEntry> expected;  // what the scan must return, in key order
  std::unique_ptr<Iterator> it;
  {
    auto locks = LockStripes(keys);
    for (uint32_t k : keys) {
      const KeyState acked = state_->Acked(k);
      if (acked.exists) expected.push_back(ScanEntry{k, acked});
    }
    it = db_->NewIterator(ReadOptions());
  }
  // The iterator keeps the state of its creation, whatever is written while it is walked, and
  // its files stay readable across a flush or compaction that replaces them.
  MaybeFlushOrCompact(rng, start);
  const std::string first = KeyName(start);
  const std::string limit = KeyName(end);
  it->Seek(first);
  ScanCheck(it.get(), expected, /*forward=*/true, first, limit);
  it->Seek(limit);
  if (it->Valid()) {
    it->Prev();
  } else if (it->status().ok()) {
    it->SeekToLast();
  }
  std::reverse(expected.begin(), expected.end());
  ScanCheck(it.get(), expected, /*forward=*/false, first, limit);
}

void StressRun::OpSnapshot(std::mt19937_64* rng) {
  const uint32_t key = PickKey(rng, config_.keys);
  auto locks = LockStripes({key});
  const Snapshot* snapshot = db_->GetSnapshot();
  const KeyState before = state_->Acked(key);
  std::vector<KeyState> states;
  if (WriteLocked(rng, {key}, {(*rng)() % 4 != 0}, /*as_batch=*/false, &states)) {
    // Sometimes the old version must survive a flush or a compaction of its key: the
    // snapshot still needs it.
    MaybeFlushOrCompact(rng, key);
    CheckRead(key, before, Read(key, snapshot, "snapshot get"), "snapshot get");
    CheckRead(key, states[0], Read(key, nullptr, "get after snapshot"), "get after snapshot");
    ReadOptions options;
    options.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(options);
    it->Seek(KeyName(key));
    std::optional<std::string> seen;
    if (it->Valid() && it->key() == KeyName(key)) seen = std::string(it->value());
    if (!it->status().ok()) Fail("snapshot iterator: " + it->status().ToString());
    CheckRead(key, before, seen, "snapshot iterator");
  }
  db_->ReleaseSnapshot(snapshot);
}

void StressRun::MaybeFlushOrCompact(std::mt19937_64* rng, uint32_t key) {
  const uint64_t pick = (*rng)() % kFlushOrCompactOneIn;
  if (pick == 0) {
    OpFlush();
  } else if (pick == 1) {
    const std::string name = KeyName(key);
    const std::string_view bound(name);
    Status s = db_->CompactRange(&bound, &bound);
    if (!s.ok()) Fail("compact range of " + name + ": " + s.ToString());
  }
}

void StressRun::TendHeldSnapshot(int index, uint64_t done, std::mt19937_64* rng) {
  HeldSnapshot& held = held_[static_cast<size_t>(index)];
  if (held.snapshot == nullptr) {
    if ((*rng)() % kHeldSnapshotOneIn != 0) return;
    std::set<uint32_t> keys;
    for (uint32_t i = 0; i < kHeldSnapshotKeys; ++i) keys.insert(PickKey(rng, config_.keys));
    const std::vector<uint32_t> key_list(keys.begin(), keys.end());
    auto locks = LockStripes(key_list);
    held.snapshot = db_->GetSnapshot();
    held.expected.clear();
    for (uint32_t key : key_list) held.expected.push_back(ScanEntry{key, state_->Acked(key)});
    held.release_after = done + kHeldSnapshotOpsMin + (*rng)() % kHeldSnapshotOpsSpan;
    return;
  }
  if (done >= held.release_after) {
    ReleaseHeld(&held);
  } else if ((*rng)() % kHeldCheckOneIn == 0) {
    CheckHeld(held);
  }
}

void StressRun::CheckHeld(const HeldSnapshot& held) {
  ReadOptions options;
  options.snapshot = held.snapshot;
  std::unique_ptr<Iterator> it = db_->NewIterator(options);
  for (const ScanEntry& e : held.expected) {
    CheckRead(e.key, e.state, Read(e.key, held.snapshot, "held snapshot get"), "held snapshot get");
    const std::string name = KeyName(e.key);
    it->Seek(name);
    std::optional<std::string> seen;
    if (it->Valid() && it->key() == name) seen = std::string(it->value());
    if (!it->status().ok()) {
      Fail("held snapshot iterator: " + it->status().ToString());
      return;
    }
    CheckRead(e.key, e.state, seen, "held snapshot iterator");
  }
}

void StressRun::ReleaseHeld(HeldSnapshot* held) {
  if (held->snapshot == nullptr) return;
  CheckHeld(*held);
  db_->ReleaseSnapshot(held->snapshot);
  held->snapshot = nullptr;
  held->expected.clear();
  op_counts_[kOpHeldSnapshot].fetch_add(1);
}

void StressRun::ReleaseAllHeldLocked() {
  if (db_ == nullptr) return;
  for (HeldSnapshot& held : held_) ReleaseHeld(&held);
}

void StressRun::OpSyncWal(std::mt19937_64* rng) {
  Status s = db_->SyncWal();
  if (!s.ok()) Fail("sync wal: " + s.ToString());
  // Whatever SyncWal made durable must still read back (a key under its lock).
  const uint32_t key = PickKey(rng, config_.keys);
  auto locks = LockStripes({key});
  CheckRead(key, state_->Acked(key), Read(key, nullptr, "get after sync wal"),
            "get after sync wal");
}

void StressRun::OpFlush() {
  Status s = db_->Flush();
  if (!s.ok()) Fail("flush: " + s.ToString());
}

void StressRun::OpCompact(std::mt19937_64* rng) {
  Status s;
  if ((*rng)() % 5 == 0) {
    s = db_->CompactRange(nullptr, nullptr);
  } else {
    uint32_t a = PickKey(rng, config_.keys);
    uint32_t b = PickKey(rng, config_.keys);
    if (a > b) std::swap(a, b);
    const std::string begin_key = KeyName(a);
    const std::string end_key = KeyName(b);
    const std::string_view begin(begin_key);
    const std::string_view end(end_key);
    s = db_->CompactRange(&begin, &end);
  }
  if (!s.ok()) Fail("compact range: " + s.ToString());
}

}  // namespace cairn::stress
