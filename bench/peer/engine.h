// Engine: the adapter every storage engine of peer_bench implements (docs/benchmarks.md,
// "Peers"), so that one workload runs unchanged on Cairn, RocksDB, LevelDB, LMDB, SQLite and
// WiredTiger.
//
// Ownership and threads: an Engine is created closed by MakeEngine, opened once with Open and
// closed by Close or its destructor. Put, Write, Get and Scan may be called from any number of
// threads at once between Open and Close; an adapter whose library needs per-thread handles
// (LMDB read transactions, WiredTiger sessions) keeps them itself, and one that allows a single
// writer (LMDB, SQLite) serialises writers itself. Open, Sync, Compact and Close are called by
// one thread with no other call in progress.
//
// Errors: every method returns cairn::Status; adapters map their library's error text into
// IOError (or NotFound for a missing key in Get), so a broken peer stops the workload with a
// message instead of producing numbers.
#ifndef CAIRN_BENCH_PEER_ENGINE_H_
#define CAIRN_BENCH_PEER_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/status.h"

namespace cairn_bench {

// What a workload asks of the engine it opens. Every engine maps these onto its own options
// in the same way (each adapter's Settings() says exactly how).
struct EngineConfig {
  // Memory the engine may use to cache data (block cache, page cache budget). Default 64 MiB,
  // Cairn's default block cache.
  size_t cache_bytes = 64u << 20;
  // Size of the in-memory write buffer before it is flushed (MemTable). Default 64 MiB,
  // Cairn's default MemTable.
  size_t write_buffer_bytes = 64u << 20;
  // Bytes of unflushed log the engine may keep before it flushes (Cairn's WAL cap). Default
  // 256 MiB, Cairn's default. Recovery raises it so a crash leaves a full log.
  uint64_t max_log_bytes = 256u << 20;
};

// One key/value pair of a batch.
using KeyValue = std::pair<std::string, std::string>;

class Engine {
 public:
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  virtual ~Engine() = default;

  // Short lower-case name ("cairn", "rocksdb", ...).
  virtual std::string Name() const = 0;
  // Every setting that differs from the library's defaults, and the durability settings,
  // as one line of text for the report. Valid after Open.
  virtual std::string Settings() const = 0;

  // Opens (creating if missing) the database in `dir`, which exists.
  [[nodiscard]] virtual cairn::Status Open(const std::string& dir, const EngineConfig& config) = 0;
  // Closes cleanly (flushing whatever the engine flushes at close). Idempotent.
  virtual void Close() = 0;

  // Sets key to value. sync: return only when the write is durable (fdatasync or the engine's
  // equivalent); otherwise it must survive a process crash only.
  [[nodiscard]] virtual cairn::Status Put(std::string_view key, std::string_view value,
                                          bool sync) = 0;
  // Applies all pairs atomically, with the same meaning of sync.
  [[nodiscard]] virtual cairn::Status Write(const std::vector<KeyValue>& batch, bool sync) = 0;
  // Reads key; NotFound if absent.
  [[nodiscard]] virtual cairn::Status Get(std::string_view key, std::string* value) = 0;
  // Positions at the first key >= start and reads up to `count` entries in order; *found
  // receives how many there were, *bytes the sum of their key and value sizes.
  [[nodiscard]] virtual cairn::Status Scan(std::string_view start, int count, int* found,
                                           uint64_t* bytes) = 0;
  // Makes every earlier write durable.
  [[nodiscard]] virtual cairn::Status Sync() = 0;
  // Flushes buffered writes to the engine's on-disk structure and compacts it fully, where the
  // engine has such a thing (a no-op for update-in-place B-trees). Used before space
  // measurements that compare the settled state.
  [[nodiscard]] virtual cairn::Status Compact() = 0;
  // Engine-specific counters for the report as "key=value" pairs separated by spaces (Cairn:
  // writes per WAL fdatasync); empty by default.
  virtual std::string Stats() { return ""; }
};

// Names of the engines compiled into this binary, Cairn first.
std::vector<std::string> AvailableEngines();
// Names of the peers that were missing at configure time (reported in the output).
std::vector<std::string> MissingEngines();
// A new closed engine, or nullptr for an unknown or missing name.
std::unique_ptr<Engine> MakeEngine(const std::string& name);

// Factories, one per adapter file (engine_<name>.cc).
std::unique_ptr<Engine> NewCairnEngine();
std::unique_ptr<Engine> NewRocksDbEngine();
std::unique_ptr<Engine> NewLevelDbEngine();
std::unique_ptr<Engine> NewLmdbEngine();
std::unique_ptr<Engine> NewSqliteEngine();
std::unique_ptr<Engine> NewWiredTigerEngine();

}  // namespace cairn_bench

#endif  // CAIRN_BENCH_PEER_ENGINE_H_
