// Proves that the DB behaves exactly like an ordered map, across everything that changes its
// internals: WAL and MemTable switches, flushes into segments, compactions down the levels,
// clean reopens, and crashes.
//
// How: a seeded randomized model test. Thousands of random operations run against a DB on
// MemEnv and against a std::map model side by side: Put, Delete and WriteBatch (including
// repeated keys and an empty batch), Get, iterator walks (SeekToFirst, SeekToLast, Seek, and
// runs of Next and Prev that change direction) compared step by step with the model,
// iterators that outlive later writes, snapshots (every read at a snapshot must match the
// model as captured when the snapshot was taken), the "cairn.last-sequence" property (one
// sequence number per operation), clean reopens, and crash-restart cycles with torn writes.
// Writes use sync=true and sync=false; before each crash one more sync=true write makes all
// earlier writes durable (the contract: a synced write covers everything before it), so the
// model stays exact through the crash. The MemTable size is re-drawn at every reopen, either
// below one arena block (every commit group starts a new WAL and MemTable, so reads merge
// many MemTables) or about one block's worth (long WALs).
//
// The LSM operations are interleaved with the rest: DB::Flush, DB::CompactRange over
// everything, a half-open range or a closed sub-range (bounds drawn from the key pool), and
// iterators and snapshots that live across them. Small MemTables, 1 KiB blocks, a 64 KiB
// level 1, 16 KiB output files and l0_compaction_trigger 2 make flushes and leveled
// compactions also happen on their own, between any two operations; the block codec is
// re-drawn at every reopen. The test counts the flushes and compactions it saw and requires
// that background jobs never reported an error (the environment injects none).
//
// Keys come from a small pool rich in shared prefixes and in the bytes 0x00 and 0xff, so
// ordering corner cases (a key and its extension, bytewise vs. signed comparison) recur.
//
// Replay: CAIRN_TEST_SEED; a failure prints the seed and the operation index.
// CAIRN_TEST_SCALE (default 1, 0.25 in sanitizer builds) scales the operation count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "testsupport/mem_env.h"
#include "testutil.h"

namespace cairn {
namespace {

using test::TestScale;

constexpr char kDir[] = "/db";
constexpr size_t kMaxLiveSnapshots = 5;

using State = std::map<std::string, std::string>;

// Printable form of a key or value: escapes non-printable bytes, cuts long values.
std::string Show(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < 24; i++) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > 24) {
    out += "...(" + std::to_string(bytes.size()) + " bytes)";
  }
  return "'" + out + "'";
}

class DBModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = test::TestSeed();
    rng_.seed(seed_);
    options_.env = &env_;
    MakeKeyPool();
  }

  void TearDown() override {
    ReleaseAllSnapshots();
    db_.reset();
  }

  // --- Inputs ---

  void MakeKeyPool() {
    std::set<std::string> pool = {"",
                                  "a",
                                  std::string("a\0", 2),
                                  std::string("a\0b", 3),
                                  "ab",
                                  "b",
                                  "\x7f",
                                  "\x80",
                                  "\xff",
                                  "\xff\xff",
                                  "zz",
                                  std::string(300, 'k')};
    const std::string alphabet("ab~\0\xff", 5);
    while (pool.size() < 120) {
      std::string key(1 + rng_() % 6, ' ');
      for (char& c : key) {
        c = alphabet[rng_() % alphabet.size()];
      }
      pool.insert(key);
    }
    keys_.assign(pool.begin(), pool.end());
  }

  std::string RandomKey() {
    if (rng_() % 10 == 0) {
      return test::RandomString(&rng_, rng_() % 5);  // usually absent, sorts among the pool
    }
    return keys_[rng_() % keys_.size()];
  }

  std::string RandomValue() {
    if (rng_() % 8 == 0) {
      return "";  // an empty value is present, not deleted
    }
    std::string value = test::RandomString(&rng_, rng_() % 400);
    if (!value.empty() && rng_() % 4 == 0) {
      value[rng_() % value.size()] = '\0';
    }
    return value;
  }

  WriteOptions RandomWriteOptions() {
    WriteOptions options;
    options.sync = rng_() % 2 == 0;
    return options;
  }

  // --- Opening ---

  void Reopen() {
    // One arena block is 64 KiB: 16 KiB switches every commit group, 100 KiB about every
    // 64 KiB of entries.
    options_.memtable_size_bytes = rng_() % 3 == 0 ? 16 << 10 : 100 << 10;
    // Small levels, so flushes and compactions happen on their own too.
    options_.block_size_bytes = 1 << 10;
    options_.level1_size_bytes = 64 << 10;
    options_.target_segment_size_bytes = 16 << 10;
    options_.l0_compaction_trigger = 2;
    static constexpr Compression kCodecs[] = {Compression::kNone, Compression::kLZ4,
                                              Compression::kZstd};
    options_.compression = kCodecs[rng_() % 3];
    CountBackgroundJobs();
    db_.reset();
    ASSERT_OK(DB::Open(options_, kDir, &db_));
  }

  uint64_t NumberProperty(std::string_view name) {
    std::string value;
    EXPECT_TRUE(db_->GetProperty(name, &value)) << name;
    return value.empty() ? 0 : std::stoull(value);
  }

  // Adds the closing DB's job counters to the totals (they restart at every open).
  void CountBackgroundJobs() {
    if (db_ == nullptr) return;
    flushes_ += NumberProperty("cairn.flushes");
    compactions_ += NumberProperty("cairn.compactions");
  }

  // No fault is injected, so a background job has no reason to fail.
  void CheckNoBackgroundError() {
    std::string error;
    ASSERT_TRUE(db_->GetProperty("cairn.background-error", &error));
    EXPECT_EQ(error, "") << "a background job failed";
  }

  void ReleaseAllSnapshots() {
    for (const auto& [snapshot, state] : snapshots_) {
      db_->ReleaseSnapshot(snapshot);
    }
    snapshots_.clear();
  }

  // --- Writes (applied to the DB and the model) ---

  void DoPut() {
    std::string key = RandomKey();
    std::string value = RandomValue();
    ASSERT_OK(db_->Put(RandomWriteOptions(), key, value));
    model_[key] = value;
    sequence_++;
  }

  void DoDelete() {
    std::string key = RandomKey();
    ASSERT_OK(db_->Delete(RandomWriteOptions(), key));
    model_.erase(key);
    sequence_++;
  }

  void DoBatch() {
    WriteBatch batch;
    State next = model_;
    const int count = static_cast<int>(rng_() % 7);  // 0: the empty batch, a no-op
    for (int i = 0; i < count; i++) {
      // Small key choices so a batch often touches one key twice; the later op wins.
      std::string key = i > 0 && rng_() % 3 == 0 ? keys_[rng_() % 8] : RandomKey();
      if (rng_() % 3 == 0) {
        batch.Delete(key);
        next.erase(key);
      } else {
        std::string value = RandomValue();
        batch.Put(key, value);
        next[key] = value;
      }
    }
    ASSERT_OK(db_->Write(RandomWriteOptions(), batch));
    model_ = std::move(next);
    sequence_ += batch.Count();
  }

  // --- LSM operations (the model does not change) ---

  void DoFlush() { ASSERT_OK(db_->Flush()); }

  void DoCompactRange(std::string* what) {
    std::string begin = RandomKey();
    std::string end = RandomKey();
    if (end < begin) std::swap(begin, end);
    const std::string_view b = begin;
    const std::string_view e = end;
    switch (rng_() % 4) {
      case 0:
        *what = "CompactRange(everything)";
        ASSERT_OK(db_->CompactRange(nullptr, nullptr));
        break;
      case 1:
        *what = "CompactRange(up to " + Show(end) + ")";
        ASSERT_OK(db_->CompactRange(nullptr, &e));
        break;
      case 2:
        *what = "CompactRange(from " + Show(begin) + ")";
        ASSERT_OK(db_->CompactRange(&b, nullptr));
        break;
      default:
        *what = "CompactRange(" + Show(begin) + ", " + Show(end) + ")";
        ASSERT_OK(db_->CompactRange(&b, &e));
        break;
    }
  }

  void DoRandomWrite() {
    switch (rng_() % 3) {
      case 0:
        return DoPut();
      case 1:
        return DoDelete();
      default:
        return DoBatch();
    }
  }

  // --- Reads (checked against the model) ---

  void CheckGet(const Snapshot* snapshot, const State& expected) {
    std::string key = RandomKey();
    ReadOptions read;
    read.snapshot = snapshot;
    std::string value;
    Status s = db_->Get(read, key, &value);
    auto it = expected.find(key);
    if (it == expected.end()) {
      EXPECT_TRUE(s.IsNotFound()) << "Get(" << Show(key) << ") = " << s.ToString() << " "
                                  << Show(value) << ", expected NotFound";
    } else {
      EXPECT_TRUE(s.ok()) << "Get(" << Show(key) << "): " << s.ToString();
      EXPECT_EQ(Show(value), Show(it->second)) << "Get(" << Show(key) << ")";
      EXPECT_TRUE(value == it->second) << "Get(" << Show(key) << ")";
    }
  }

  // Walks `it` at random and checks every position against `expected`.
  void CheckWalk(Iterator* it, const State& expected, int moves) {
    const std::vector<std::pair<std::string, std::string>> entries(expected.begin(),
                                                                   expected.end());
    const int n = static_cast<int>(entries.size());
    int pos = -1;  // index into entries; -1 or n: not valid
    std::string trail;
    for (int m = 0; m < moves; m++) {
      const bool valid = pos >= 0 && pos < n;
      const uint64_t pick = rng_() % 100;
      if (valid && pick < 40) {
        it->Next();
        pos++;
        trail += " Next";
      } else if (valid && pick < 75) {
        it->Prev();
        pos = pos == 0 ? -1 : pos - 1;
        trail += " Prev";
      } else if (pick < 82) {
        it->SeekToFirst();
        pos = n > 0 ? 0 : -1;
        trail += " SeekToFirst";
      } else if (pick < 89) {
        it->SeekToLast();
        pos = n - 1;
        trail += " SeekToLast";
      } else {
        std::string target = RandomKey();
        it->Seek(target);
        pos = static_cast<int>(std::lower_bound(entries.begin(), entries.end(), target,
                                                [](const auto& entry, const std::string& t) {
                                                  return entry.first < t;
                                                }) -
                               entries.begin());
        trail += " Seek(" + Show(target) + ")";
      }
      const bool expect_valid = pos >= 0 && pos < n;
      ASSERT_EQ(it->Valid(), expect_valid) << "after" << trail;
      if (expect_valid) {
        ASSERT_EQ(Show(it->key()), Show(entries[pos].first)) << "after" << trail;
        ASSERT_TRUE(it->key() == entries[pos].first) << "after" << trail;
        ASSERT_TRUE(it->value() == entries[pos].second)
            << "value of " << Show(it->key()) << " is " << Show(it->value()) << ", expected "
            << Show(entries[pos].second) << ", after" << trail;
      }
    }
    EXPECT_OK(it->status());
  }

  // Both directions in full; the cheapest complete comparison.
  void CheckFullScan(const Snapshot* snapshot, const State& expected) {
    ReadOptions read;
    read.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(read);
    State forward;
    std::string previous;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!forward.empty()) {
        ASSERT_LT(previous, std::string(it->key())) << "forward scan out of order";
      }
      previous.assign(it->key());
      forward.emplace(std::string(it->key()), std::string(it->value()));
    }
    ASSERT_OK(it->status());
    ASSERT_EQ(forward.size(), expected.size());
    ASSERT_TRUE(forward == expected) << "forward scan differs from the model";
    auto model_it = expected.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++model_it) {
      ASSERT_NE(model_it, expected.rend());
      ASSERT_TRUE(it->key() == model_it->first && it->value() == model_it->second)
          << "backward scan at " << Show(it->key()) << ", expected " << Show(model_it->first);
    }
    ASSERT_EQ(model_it, expected.rend());
  }

  void CheckSequence() {
    std::string value;
    ASSERT_TRUE(db_->GetProperty("cairn.last-sequence", &value));
    EXPECT_EQ(value, std::to_string(sequence_)) << "one sequence number per operation";
  }

  // A random live snapshot and its state, or the latest state.
  std::pair<const Snapshot*, const State*> PickView() {
    if (snapshots_.empty() || rng_() % 2 == 0) {
      return {nullptr, &model_};
    }
    auto& [snapshot, state] = snapshots_[rng_() % snapshots_.size()];
    return {snapshot, &state};
  }

  // --- Cycles ---

  void CleanReopen() {
    CheckNoBackgroundError();
    ReleaseAllSnapshots();
    ASSERT_NO_FATAL_FAILURE(Reopen());
    ASSERT_NO_FATAL_FAILURE(CheckFullScan(nullptr, model_));
    CheckSequence();
  }

  void CrashAndRestart() {
    // A synced write makes every earlier one durable, so the model survives the crash.
    std::string key = RandomKey();
    std::string value = RandomValue();
    WriteOptions sync;
    sync.sync = true;
    ASSERT_OK(db_->Put(sync, key, value));
    model_[key] = value;
    sequence_++;
    CheckNoBackgroundError();
    ReleaseAllSnapshots();
    CountBackgroundJobs();
    env_.CrashNow();
    db_.reset();
    env_.Restart(CrashOptions{/*torn_writes=*/true, rng_()});
    ASSERT_NO_FATAL_FAILURE(Reopen());
    ASSERT_NO_FATAL_FAILURE(CheckFullScan(nullptr, model_));
    CheckSequence();
  }

  // One random operation; `what` receives its name for the failure trace.
  void RandomOperation(std::string* what) {
    const uint64_t pick = rng_() % 1000;
    if (pick < 250) {
      *what = "Put";
      DoPut();
    } else if (pick < 330) {
      *what = "Delete";
      DoDelete();
    } else if (pick < 430) {
      *what = "WriteBatch";
      DoBatch();
    } else if (pick < 580) {
      auto [snapshot, state] = PickView();
      *what = snapshot != nullptr ? "Get at a snapshot" : "Get";
      CheckGet(snapshot, *state);
    } else if (pick < 700) {
      auto [snapshot, state] = PickView();
      *what = snapshot != nullptr ? "iterator walk at a snapshot" : "iterator walk";
      ReadOptions read;
      read.snapshot = snapshot;
      std::unique_ptr<Iterator> it = db_->NewIterator(read);
      CheckWalk(it.get(), *state, 1 + static_cast<int>(rng_() % 30));
    } else if (pick < 760) {
      *what = "iterator that outlives later writes";
      std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
      const State at_creation = model_;
      const int writes = 1 + static_cast<int>(rng_() % 5);
      for (int i = 0; i < writes && !HasFatalFailure(); i++) {
        DoRandomWrite();
      }
      if (rng_() % 3 == 0) {
        // The files it reads are replaced under it; it must keep them and its view.
        std::string compaction;
        *what = "iterator that outlives later writes, a flush and a compaction";
        DoFlush();
        DoCompactRange(&compaction);
      }
      CheckWalk(it.get(), at_creation, 1 + static_cast<int>(rng_() % 30));
    } else if (pick < 810) {
      *what = "GetSnapshot";
      if (snapshots_.size() < kMaxLiveSnapshots) {
        snapshots_.emplace_back(db_->GetSnapshot(), model_);
      }
    } else if (pick < 840) {
      *what = "ReleaseSnapshot";
      if (!snapshots_.empty()) {
        size_t victim = rng_() % snapshots_.size();
        db_->ReleaseSnapshot(snapshots_[victim].first);
        snapshots_.erase(snapshots_.begin() + static_cast<long>(victim));
      }
    } else if (pick < 900) {
      *what = "cairn.last-sequence";
      CheckSequence();
    } else if (pick < 935) {
      auto [snapshot, state] = PickView();
      *what = snapshot != nullptr ? "full scan at a snapshot" : "full scan";
      CheckFullScan(snapshot, *state);
    } else if (pick < 950) {
      *what = "Flush";
      DoFlush();
    } else if (pick < 965) {
      *what = "CompactRange";
      DoCompactRange(what);
      if (!HasFailure() && rng_() % 2 == 0) {
        auto [snapshot, state] = PickView();
        *what += snapshot != nullptr ? ", then a full scan at a snapshot" : ", then a full scan";
        CheckFullScan(snapshot, *state);
      }
    } else if (pick < 980) {
      *what = "clean reopen";
      CleanReopen();
    } else {
      *what = "crash and restart";
      CrashAndRestart();
    }
  }

  void Run(int operations) {
    SCOPED_TRACE("seed " + std::to_string(seed_) +
                 " (replay with CAIRN_TEST_SEED=" + std::to_string(seed_) + ")");
    ASSERT_NO_FATAL_FAILURE(Reopen());
    for (int i = 0; i < operations; i++) {
      std::string what;
      testing::ScopedTrace trace(__FILE__, __LINE__, "operation index " + std::to_string(i));
      RandomOperation(&what);
      if (HasFailure()) {
        ADD_FAILURE() << "failed at operation index " << i << " (" << what << ")";
        return;
      }
    }
    ASSERT_NO_FATAL_FAILURE(CleanReopen());
    ASSERT_NO_FATAL_FAILURE(CrashAndRestart());
    CountBackgroundJobs();
    std::printf("[ model    ] %d operations: %llu flushes, %llu compactions\n", operations,
                static_cast<unsigned long long>(flushes_),
                static_cast<unsigned long long>(compactions_));
    EXPECT_GT(flushes_, 0u);
    EXPECT_GT(compactions_, 0u);
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  MemEnv env_;
  Options options_;
  std::unique_ptr<DB> db_;
  std::vector<std::string> keys_;
  State model_;
  uint64_t sequence_ = 0;
  std::vector<std::pair<const Snapshot*, State>> snapshots_;
  uint64_t flushes_ = 0;
  uint64_t compactions_ = 0;
};

TEST_F(DBModelTest, RandomOperationsMatchAnOrderedMapAcrossReopensAndCrashes) {
  Run(std::max(200, static_cast<int>(8000 * TestScale())));
}

}  // namespace
}  // namespace cairn
