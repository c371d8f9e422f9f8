// Shared by the LSM tests (db_lsm_test.cc, db_lsm_background_test.cc): scaling, key and value
// generators, and LsmTestBase, the fixture: a DB on FaultEnv over MemEnv (compression off,
// so sizes and bytes are predictable) with helpers that check it through the public API
// (Get, iterators both ways, Seek), its properties, the directory's files, the entry counts
// in the segments' own properties blocks, and the level layout the manifest records.
// Header-only: the library build takes every .cc in src/db that is not a test.
#ifndef CAIRN_DB_DB_LSM_TESTUTIL_H_
#define CAIRN_DB_DB_LSM_TESTUTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cairn/db.h"
#include "db/identity.h"
#include "env/env_util.h"
#include "manifest/current_file.h"
#include "manifest/manifest_reader.h"
#include "segment/segment.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"
#include "util/internal_key.h"

namespace cairn::test {

inline constexpr char kDir[] = "/db";

using State = std::map<std::string, std::string>;

// One segment as the manifest describes it.
struct ManifestSegment {
  uint32_t level = 0;
  uint64_t number = 0;
  std::string smallest;  // internal keys
  std::string largest;
};

// The fixture of the LSM tests: a DB on FaultEnv over MemEnv, and helpers that read it
// through the API, the properties and the directory.
class LsmTestBase : public ::testing::Test {
 protected:
  LsmTestBase() : faults_(&mem_) {
    options_.env = &faults_;
    options_.compression = Compression::kNone;
    options_.memtable_size_bytes = 4 << 20;  // tests that want automatic switches shrink it
  }

  ~LsmTestBase() override { db_.reset(); }

  Status Open() {
    db_.reset();
    return DB::Open(options_, kDir, &db_);
  }

  std::string Get(std::string_view key, const Snapshot* snapshot = nullptr) {
    ReadOptions read;
    read.snapshot = snapshot;
    std::string value;
    Status s = db_->Get(read, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return value;
  }

  std::string Property(std::string_view name) {
    std::string value;
    EXPECT_TRUE(db_->GetProperty(name, &value)) << name;
    return value;
  }

  uint64_t Number(std::string_view name) {
    std::string value = Property(name);
    return value.empty() ? 0 : std::stoull(value);
  }

  uint64_t FilesAtLevel(int level) {
    return Number("cairn.files-at-level." + std::to_string(level));
  }

  uint64_t BytesAtLevel(int level) {
    return Number("cairn.bytes-at-level." + std::to_string(level));
  }

  // The numbers of the directory's files of one type.
  std::set<uint64_t> FileNumbers(FileType wanted) {
    std::set<uint64_t> numbers;
    auto children = mem_.GetChildren(kDir);
    EXPECT_OK(children.status());
    if (!children.ok()) return numbers;
    for (const std::string& name : children.value()) {
      FileType type;
      uint64_t number;
      if (ParseFileName(name, &type, &number) && type == wanted) {
        numbers.insert(number);
      }
    }
    return numbers;
  }

  uint64_t WalBytesOnDisk() {
    uint64_t bytes = 0;
    for (uint64_t number : FileNumbers(FileType::kWal)) {
      auto size = mem_.GetFileSize(JoinPath(kDir, WalFileName(number)));
      if (size.ok()) bytes += size.value();  // a file the collector just removed counts 0
    }
    return bytes;
  }

  // The entries in every segment file of the directory, from each file's properties block.
  // Call when no job is running, so that the directory holds exactly the live segments.
  uint64_t EntriesInSegments() {
    uint64_t entries = 0;
    for (uint64_t number : FileNumbers(FileType::kSegment)) {
      std::string path = JoinPath(kDir, SegmentFileName(number));
      auto size = mem_.GetFileSize(path);
      EXPECT_OK(size.status());
      if (!size.ok()) continue;
      auto segment = segment::Segment::Open(&mem_, path, number, size.value(), nullptr);
      EXPECT_OK(segment.status());
      if (segment.ok()) entries += segment.value()->properties().entry_count;
    }
    return entries;
  }

  // Polls `done` every 5 ms for up to `timeout_ms`. Background jobs finish asynchronously:
  // e.g. a flush publishes its version (which Flush() waits for) before its collector runs.
  static bool WaitUntil(const std::function<bool()>& done, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // WaitUntil for background jobs: also gives up at once when one reports an error (the
  // caller's assertion then prints "cairn.stats", which shows it).
  bool WaitForJobs(const std::function<bool()>& done, int timeout_ms = 10000) {
    return WaitUntil([&] { return done() || !Property("cairn.background-error").empty(); },
                     timeout_ms) &&
           Property("cairn.background-error").empty();
  }

  // Flush() after a fault was cleared: the call may see the failure of an attempt that began
  // before, so retry until an attempt succeeds (the flush thread's backoff is at most 5 s).
  Status FlushUntilOk() {
    Status s;
    for (int i = 0; i < 400; i++) {
      s = db_->Flush();
      if (s.ok()) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return s;
  }

  State Scan(const Snapshot* snapshot = nullptr, bool backward = false) {
    ReadOptions read;
    read.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(read);
    return ScanIterator(it.get(), backward);
  }

  static State ScanIterator(Iterator* it, bool backward) {
    State state;
    std::string previous;
    if (backward) {
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        EXPECT_TRUE(state.empty() || std::string(it->key()) < previous) << "out of order";
        previous.assign(it->key());
        state.emplace(std::string(it->key()), std::string(it->value()));
      }
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        EXPECT_TRUE(state.empty() || std::string(it->key()) > previous) << "out of order";
        previous.assign(it->key());
        state.emplace(std::string(it->key()), std::string(it->value()));
      }
    }
    EXPECT_OK(it->status());
    return state;
  }

  // Checks an iterator against `expected`: full scans both ways and a Seek (then a step each
  // way) to every key of `probes`, present or not.
  void CheckIterator(Iterator* it, const State& expected, const std::vector<std::string>& probes) {
    ASSERT_TRUE(ScanIterator(it, false) == expected) << "forward scan differs";
    ASSERT_TRUE(ScanIterator(it, true) == expected) << "backward scan differs";
    for (const std::string& probe : probes) {
      it->Seek(probe);
      auto want = expected.lower_bound(probe);
      if (want == expected.end()) {
        ASSERT_FALSE(it->Valid()) << "Seek(" << probe << ")";
        continue;
      }
      ASSERT_TRUE(it->Valid()) << "Seek(" << probe << ")";
      ASSERT_EQ(it->key(), want->first) << "Seek(" << probe << ")";
      ASSERT_TRUE(it->value() == want->second) << "Seek(" << probe << ")";
      it->Prev();
      if (want == expected.begin()) {
        ASSERT_FALSE(it->Valid()) << "Seek(" << probe << ") then Prev";
        // An iterator that stepped off the front is not positioned, and stepping it is a
        // caller error (Iterator::Next requires Valid(); asserted in debug builds).
        continue;
      }
      ASSERT_TRUE(it->Valid()) << "Seek(" << probe << ") then Prev";
      ASSERT_EQ(it->key(), std::prev(want)->first) << "Seek(" << probe << ") then Prev";
      it->Next();
      ASSERT_TRUE(it->Valid()) << "Seek(" << probe << ") then Prev, Next";
      ASSERT_EQ(it->key(), want->first) << "Seek(" << probe << ") then Prev, Next";
    }
    ASSERT_OK(it->status());
  }

  // Checks the DB (at `snapshot`, or the latest state) against `expected`: Get of every key of
  // `universe` (absent ones must be NotFound) and a new iterator through CheckIterator.
  void CheckDb(const State& expected, const std::vector<std::string>& universe,
               const Snapshot* snapshot = nullptr) {
    for (const std::string& key : universe) {
      auto it = expected.find(key);
      ASSERT_EQ(Get(key, snapshot), it == expected.end() ? "NOT_FOUND" : it->second)
          << "Get(" << key << ")";
    }
    ReadOptions read;
    read.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(read);
    std::vector<std::string> probes;
    for (size_t i = 0; i < universe.size(); i += 7) probes.push_back(universe[i]);
    probes.push_back("");
    probes.push_back("zzz");
    ASSERT_NO_FATAL_FAILURE(CheckIterator(it.get(), expected, probes));
  }

  // The live segments as the manifest named by CURRENT records them (the DB must be closed).
  std::vector<ManifestSegment> ReadManifestSegments() {
    uint64_t manifest_number = 0;
    EXPECT_OK(manifest::ReadCurrent(&mem_, kDir, &manifest_number));
    record::DbId db_id{};
    EXPECT_OK(ReadIdentity(&mem_, kDir, &db_id));
    std::map<uint64_t, ManifestSegment> live;
    manifest::ManifestReadReport report;
    Status s = manifest::ReadManifest(
        &mem_, kDir, ManifestFileName(manifest_number), db_id,
        manifest::ManifestReadMode::kVerifyOnly,
        [&](const manifest::VersionEdit& edit, uint64_t) {
          for (const auto& deleted : edit.deleted_segments) live.erase(deleted.number);
          for (const auto& added : edit.added_segments) {
            live[added.number] = {added.level, added.number, added.smallest, added.largest};
          }
          return Status::OK();
        },
        &report);
    EXPECT_OK(s);
    std::vector<ManifestSegment> out;
    for (const auto& [number, segment] : live) out.push_back(segment);
    return out;
  }

  MemEnv mem_;
  FaultEnv faults_;
  Options options_;
  std::unique_ptr<DB> db_;
};

inline std::vector<std::string> KeyRange(int begin, int end) {
  std::vector<std::string> keys;
  for (int i = begin; i < end; i++) keys.push_back(Key(i));
  return keys;
}

}  // namespace cairn::test

#endif  // CAIRN_DB_DB_LSM_TESTUTIL_H_
