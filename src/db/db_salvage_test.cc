// Proves that a salvage open (WalRecovery::kSalvage) leaves a database that strict opens
// accept and that holds every acknowledged write, those made after the salvage included, in
// the case review found (docs/durability.md §3 salvage rows, §8): the WAL holding the newest
// records ends in garbage, and its successor, prepared ahead of the MemTable switch and
// recorded in the manifest but never written to, lost its header afterwards.
//   - a strict open refuses the database (Corruption) and changes nothing;
//   - a salvage open keeps every write before the damage and sets the damaged bytes aside as
//     *.corrupt; the database then takes writes, and after a power failure strict opens hold
//     all of them;
//   - a crash at every sync point of the salvage open, followed by another salvage open,
//     reaches the same state, which strict opens accept once it has taken new writes (and a
//     strict open right after the crash either succeeds or refuses, changing nothing).
// How: a MemEnv database with 64 KiB MemTables is written until the WAL thread has prepared
// the next WAL, then closed (the prepared WAL stays: recorded, holding only its header) and
// damaged with MemEnv::SetFileContentsDurably. From the salvage open until the power failure
// a FaultEnv fails every segment write, so no flush retires the damaged WAL's records into a
// segment: the strict open must replay them from the salvaged WAL, every time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cairn/db.h"
#include "record/record_format.h"
#include "testsupport/fault_env.h"
#include "testsupport/mem_env.h"
#include "testutil.h"
#include "util/filename.h"

namespace cairn {
namespace {

constexpr char kDir[] = "/db";
constexpr int kAcknowledged = 40;  // 40 KB of values: past half a 64 KiB MemTable, not full

std::string Path(const std::string& name) { return std::string(kDir) + "/" + name; }
std::string Key(int i) { return "key" + std::to_string(i); }
std::string Value(int i) {
  return std::to_string(i) + std::string(1000, static_cast<char>('a' + i % 26));
}

// The ways the prepared WAL's header is lost: cut short, zeroed, emptied.
constexpr int kLostHeaderKinds = 3;
std::string LostHeaderName(int kind) {
  return kind == 0 ? "header cut to 20 bytes" : kind == 1 ? "header zeroed" : "file emptied";
}

class DBSalvageTest : public ::testing::Test {
 protected:
  Options StrictOptions() {
    Options options;
    options.env = &faults_;
    options.memtable_size_bytes = 64 << 10;
    return options;
  }

  Options SalvageOptions() {
    Options options = StrictOptions();
    options.wal_recovery = WalRecovery::kSalvage;
    return options;
  }

  std::vector<std::string> WalNames() {
    std::vector<std::string> names;
    for (const std::string& name : mem_.GetChildren(kDir).value()) {
      FileType type;
      uint64_t number;
      if (ParseFileName(name, &type, &number) && type == FileType::kWal) names.push_back(name);
    }
    std::sort(names.begin(), names.end());  // fixed-width numbers: name order is number order
    return names;
  }

  // Every file but the lock and the info log, with its content.
  std::map<std::string, std::string> DataFiles() {
    std::map<std::string, std::string> files;
    for (const std::string& name : mem_.GetChildren(kDir).value()) {
      if (name == "LOCK" || name.rfind("LOG", 0) == 0) continue;
      files[name] = mem_.ReadFileContents(Path(name)).value();
    }
    return files;
  }

  // Empties the directory durably.
  void Wipe() {
    auto children = mem_.GetChildren(kDir);
    if (!children.ok()) return;  // not created yet
    for (const std::string& name : children.value()) ASSERT_OK(mem_.RemoveFile(Path(name)));
    ASSERT_OK(mem_.SyncDir(kDir));
  }

  void MakeDamagedDatabase(int kind) {
    std::unique_ptr<DB> db;
    ASSERT_OK(DB::Open(StrictOptions(), kDir, &db));
    for (int i = 0; i < kAcknowledged; i++) ASSERT_OK(db->Put(WriteOptions(), Key(i), Value(i)));
    // The WAL thread prepares the next WAL once the MemTable is half full; closing waits for
    // a preparation under way, so the prepared WAL is then recorded in the manifest.
    for (int wait = 0; wait < 1000 && WalNames().size() < 2; wait++) mem_.SleepMicros(10000);
    db.reset();
    const std::vector<std::string> wals = WalNames();
    ASSERT_EQ(wals.size(), 2u) << "the WAL thread did not prepare the next WAL";
    const std::string older = mem_.ReadFileContents(Path(wals[0])).value();
    const std::string prepared = mem_.ReadFileContents(Path(wals[1])).value();
    // A header and no record (zero-filled after it when made from a preallocated file).
    ASSERT_GE(prepared.size(), record::kFileHeaderSize);
    ASSERT_EQ(prepared.find_first_not_of('\0', record::kFileHeaderSize), std::string::npos);
    ASSERT_OK(mem_.SetFileContentsDurably(Path(wals[0]), older + std::string(300, '\x5a')));
    const std::string lost = kind == 0   ? prepared.substr(0, 20)
                             : kind == 1 ? std::string(record::kFileHeaderSize, '\0')
                                         : std::string();
    ASSERT_OK(mem_.SetFileContentsDurably(Path(wals[1]), lost));
    damaged_.clear();
    for (const std::string& name : wals) damaged_[name] = mem_.ReadFileContents(Path(name)).value();
  }

  // Salvage keeps every damaged WAL aside, byte for byte, as NAME.corrupt.
  void ExpectQuarantined() {
    for (const auto& [name, content] : damaged_) {
      auto kept = mem_.ReadFileContents(Path(name + ".corrupt"));
      EXPECT_TRUE(kept.ok() && kept.value() == content)
          << name << ".corrupt is missing or differs from the damaged file";
    }
  }

  // The database holds exactly the acknowledged writes: the `after_salvage` made after the
  // salvage, and every one made before the damage.
  void ExpectHolds(DB* db, int after_salvage) {
    std::unique_ptr<Iterator> it = db->NewIterator(ReadOptions());
    int count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) count++;
    ASSERT_OK(it->status());
    EXPECT_EQ(count, kAcknowledged + after_salvage);
    std::string value;
    for (int i = 0; i < kAcknowledged; i++) {
      ASSERT_OK(db->Get(ReadOptions(), Key(i), &value));
      ASSERT_EQ(value, Value(i)) << Key(i);
    }
    for (int i = 0; i < after_salvage; i++) {
      ASSERT_OK(db->Get(ReadOptions(), "after" + std::to_string(i), &value));
      ASSERT_EQ(value, Value(i));
    }
  }

  // Writes acknowledged keys into the salvaged database, loses power, and opens it strictly
  // twice: every write must be there.
  void WriteCrashAndOpenStrictly(std::unique_ptr<DB> db) {
    constexpr int kAfter = 10;
    for (int i = 0; i < kAfter; i++) {
      ASSERT_OK(db->Put(WriteOptions(), "after" + std::to_string(i), Value(i)));
    }
    mem_.CrashNow();
    db.reset();
    mem_.Restart();
    faults_.ClearFaults();
    for (int reopen = 0; reopen < 2; reopen++) {
      SCOPED_TRACE("strict open " + std::to_string(reopen));
      Status s = DB::Open(StrictOptions(), kDir, &db);
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_NO_FATAL_FAILURE(ExpectHolds(db.get(), kAfter));
      db.reset();
    }
  }

  MemEnv mem_;
  FaultEnv faults_{&mem_};
  std::map<std::string, std::string> damaged_;  // the damaged WALs: name, content
};

TEST_F(DBSalvageTest, SalvageOfARecordedEmptyWalWithALostHeaderLeavesADatabaseStrictOpensAccept) {
  for (int kind = 0; kind < kLostHeaderKinds; kind++) {
    SCOPED_TRACE(LostHeaderName(kind));
    ASSERT_NO_FATAL_FAILURE(MakeDamagedDatabase(kind));
    const std::map<std::string, std::string> before = DataFiles();
    std::unique_ptr<DB> db;
    Status s = DB::Open(StrictOptions(), kDir, &db);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_TRUE(DataFiles() == before) << "a refused open changed the directory";

    faults_.FailPath(".seg", kFaultWrite);
    ASSERT_OK(DB::Open(SalvageOptions(), kDir, &db));
    std::string lost;
    ASSERT_TRUE(db->GetProperty("cairn.recovery.lost", &lost));
    EXPECT_FALSE(lost.empty()) << "salvage must report what it set aside";
    ASSERT_NO_FATAL_FAILURE(ExpectHolds(db.get(), 0));
    ExpectQuarantined();
    ASSERT_NO_FATAL_FAILURE(WriteCrashAndOpenStrictly(std::move(db)));
    ASSERT_NO_FATAL_FAILURE(Wipe());  // the next kind starts afresh
  }
}

TEST_F(DBSalvageTest, CrashAtEverySyncPointOfThatSalvageReachesTheSameState) {
  for (int kind = 0; kind < kLostHeaderKinds; kind++) {
    uint64_t point = 0;
    for (;; point++) {
      SCOPED_TRACE(LostHeaderName(kind) + ", crash at sync point " + std::to_string(point));
      ASSERT_LT(point, 1000u) << "the salvage open should end";
      ASSERT_NO_FATAL_FAILURE(Wipe());
      ASSERT_NO_FATAL_FAILURE(MakeDamagedDatabase(kind));
      faults_.FailPath(".seg", kFaultWrite);
      mem_.ScheduleCrashAtSyncPoint(mem_.sync_point_count() + point);
      std::unique_ptr<DB> db;
      Status s = DB::Open(SalvageOptions(), kDir, &db);
      // Cancel first, then look: a background job of an open DB may have reached the point.
      mem_.ScheduleCrashAtSyncPoint(UINT64_MAX);
      const bool crashed = mem_.crashed();
      const bool open_outlived = s.ok() && !crashed;
      if (crashed) {
        db.reset();
        mem_.Restart();
        // Wherever the salvage stopped, a strict open either accepts the state or refuses it
        // and changes nothing.
        const std::map<std::string, std::string> before = DataFiles();
        s = DB::Open(StrictOptions(), kDir, &db);
        if (!s.ok()) {
          EXPECT_TRUE(s.IsCorruption()) << s.ToString();
          EXPECT_TRUE(DataFiles() == before) << "a refused open changed the directory";
        }
        db.reset();
        s = DB::Open(SalvageOptions(), kDir, &db);
        ASSERT_TRUE(s.ok()) << "salvage again after the crash: " << s.ToString();
      }
      ASSERT_OK(s);
      ASSERT_NO_FATAL_FAILURE(ExpectHolds(db.get(), 0));
      ExpectQuarantined();
      ASSERT_NO_FATAL_FAILURE(WriteCrashAndOpenStrictly(std::move(db)));
      if (open_outlived) break;
    }
    std::printf("[ sweep    ] %s: %llu crash points in the salvage open\n",
                LostHeaderName(kind).c_str(), static_cast<unsigned long long>(point));
  }
}

}  // namespace
}  // namespace cairn
