// The registry of engine adapters. Each peer is compiled in only when CMake found its library
// (CAIRN_BENCH_HAVE_<NAME>); a missing one is listed by MissingEngines so the report says so.
#include "engine.h"

namespace cairn_bench {

#ifdef CAIRN_BENCH_HAVE_ROCKSDB
constexpr bool kHaveRocksDb = true;
#else
constexpr bool kHaveRocksDb = false;
std::unique_ptr<Engine> NewRocksDbEngine() { return nullptr; }
#endif
#ifdef CAIRN_BENCH_HAVE_LEVELDB
constexpr bool kHaveLevelDb = true;
#else
constexpr bool kHaveLevelDb = false;
std::unique_ptr<Engine> NewLevelDbEngine() { return nullptr; }
#endif
#ifdef CAIRN_BENCH_HAVE_LMDB
constexpr bool kHaveLmdb = true;
#else
constexpr bool kHaveLmdb = false;
std::unique_ptr<Engine> NewLmdbEngine() { return nullptr; }
#endif
#ifdef CAIRN_BENCH_HAVE_SQLITE
constexpr bool kHaveSqlite = true;
#else
constexpr bool kHaveSqlite = false;
std::unique_ptr<Engine> NewSqliteEngine() { return nullptr; }
#endif
#ifdef CAIRN_BENCH_HAVE_WIREDTIGER
constexpr bool kHaveWiredTiger = true;
#else
constexpr bool kHaveWiredTiger = false;
std::unique_ptr<Engine> NewWiredTigerEngine() { return nullptr; }
#endif

namespace {

struct Entry {
  const char* name;
  bool available;
  std::unique_ptr<Engine> (*make)();
};

const Entry kEntries[] = {
    {"cairn", true, &NewCairnEngine},
    {"rocksdb", kHaveRocksDb, &NewRocksDbEngine},
    {"leveldb", kHaveLevelDb, &NewLevelDbEngine},
    {"lmdb", kHaveLmdb, &NewLmdbEngine},
    {"sqlite", kHaveSqlite, &NewSqliteEngine},
    {"wiredtiger", kHaveWiredTiger, &NewWiredTigerEngine},
};

}  // namespace

std::vector<std::string> AvailableEngines() {
  std::vector<std::string> names;
  for (const Entry& e : kEntries) {
    if (e.available) names.emplace_back(e.name);
  }
  return names;
}

std::vector<std::string> MissingEngines() {
  std::vector<std::string> names;
  for (const Entry& e : kEntries) {
    if (!e.available) names.emplace_back(e.name);
  }
  return names;
}

std::unique_ptr<Engine> MakeEngine(const std::string& name) {
  for (const Entry& e : kEntries) {
    if (name == e.name && e.available) return e.make();
  }
  return nullptr;
}

}  // namespace cairn_bench
