// The LMDB adapter of peer_bench (Debian's liblmdb 0.9). A copy-on-write B+tree in one
// memory-mapped file, no log and no group commit: each write transaction is committed and,
// by default, synced (fdatasync of the data file and of the meta page). LMDB has one writer
// at a time; concurrent Put calls queue on its write lock. Non-durable workloads switch
// MDB_NOSYNC on (the commit still writes every page with pwrite, so it survives a process
// crash). Reads run in per-thread read-only transactions that are reset and renewed, as
// LMDB's documentation recommends. LMDB caches nothing itself: the OS page cache is its cache.
#include <lmdb.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "engine.h"

namespace cairn_bench {
namespace {

// The map is sparse: this only reserves address space, the file grows with the data.
constexpr size_t kMapBytes = size_t{64} << 30;
// Readers: the 64-thread workloads plus the driver.
constexpr unsigned kMaxReaders = 126;

cairn::Status FromMdb(int rc, const char* what) {
  if (rc == 0) return cairn::Status::OK();
  if (rc == MDB_NOTFOUND) return cairn::Status::NotFound("lmdb");
  return cairn::Status::IOError(std::string("lmdb ") + what + ": " + mdb_strerror(rc));
}

MDB_val Val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

// Each Open gets a new generation, so a thread's cached read transaction from an earlier
// (closed) environment is never reused.
std::atomic<uint64_t> g_generation{0};
struct ThreadReader {
  uint64_t generation = 0;
  MDB_txn* txn = nullptr;
};
thread_local ThreadReader t_reader;

class LmdbEngine : public Engine {
 public:
  ~LmdbEngine() override { Close(); }
  std::string Name() const override { return "lmdb"; }
  std::string Settings() const override { return settings_; }

  cairn::Status Open(const std::string& dir, const EngineConfig&) override {
    generation_ = ++g_generation;
    cairn::Status st = FromMdb(mdb_env_create(&env_), "env_create");
    if (st.ok()) st = FromMdb(mdb_env_set_mapsize(env_, kMapBytes), "set_mapsize");
    if (st.ok()) st = FromMdb(mdb_env_set_maxreaders(env_, kMaxReaders), "set_maxreaders");
    if (st.ok()) st = FromMdb(mdb_env_open(env_, dir.c_str(), MDB_NOTLS, 0644), "env_open");
    MDB_txn* txn = nullptr;
    if (st.ok()) st = FromMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    if (st.ok()) st = FromMdb(mdb_dbi_open(txn, nullptr, 0, &dbi_), "dbi_open");
    if (st.ok()) st = FromMdb(mdb_txn_commit(txn), "commit");
    settings_ = std::string(MDB_VERSION_STRING) +
                "; mapsize 64 GiB, MDB_NOTLS, maxreaders 126, default sync (fdatasync per "
                "commit) when durable, MDB_NOSYNC otherwise; one txn per Put; cache = OS page "
                "cache (EngineConfig::cache_bytes does not apply)";
    return st;
  }

  void Close() override {
    if (env_ == nullptr) return;
    for (MDB_txn* txn : readers_) mdb_txn_abort(txn);
    readers_.clear();
    mdb_env_close(env_);
    env_ = nullptr;
  }

  cairn::Status Put(std::string_view key, std::string_view value, bool sync) override {
    return Commit([&](MDB_txn* txn) {
      MDB_val k = Val(key), v = Val(value);
      return mdb_put(txn, dbi_, &k, &v, 0);
    }, sync);
  }

  cairn::Status Write(const std::vector<KeyValue>& batch, bool sync) override {
    return Commit([&](MDB_txn* txn) {
      for (const auto& [key, value] : batch) {
        MDB_val k = Val(key), v = Val(value);
        int rc = mdb_put(txn, dbi_, &k, &v, 0);
        if (rc != 0) return rc;
      }
      return 0;
    }, sync);
  }

  cairn::Status Get(std::string_view key, std::string* value) override {
    MDB_txn* txn = nullptr;
    cairn::Status st = BeginRead(&txn);
    if (!st.ok()) return st;
    MDB_val k = Val(key), v;
    st = FromMdb(mdb_get(txn, dbi_, &k, &v), "get");
    if (st.ok()) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_reset(txn);
    return st;
  }

  cairn::Status Scan(std::string_view start, int count, int* found, uint64_t* bytes) override {
    *found = 0;
    *bytes = 0;
    MDB_txn* txn = nullptr;
    cairn::Status st = BeginRead(&txn);
    if (!st.ok()) return st;
    MDB_cursor* cursor = nullptr;
    st = FromMdb(mdb_cursor_open(txn, dbi_, &cursor), "cursor_open");
    if (st.ok()) {
      MDB_val k = Val(start), v;
      int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
      while (rc == 0 && *found < count) {
        ++*found;
        *bytes += k.mv_size + v.mv_size;
        rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
      }
      if (rc != MDB_NOTFOUND && rc != 0) st = FromMdb(rc, "cursor_get");
      mdb_cursor_close(cursor);
    }
    mdb_txn_reset(txn);
    return st;
  }

  cairn::Status Sync() override { return FromMdb(mdb_env_sync(env_, 1), "env_sync"); }
  cairn::Status Compact() override { return cairn::Status::OK(); }

 private:
  // One write transaction; LMDB allows one at a time, and the NOSYNC flag may only change
  // while none is open, so writers take write_mu_ first.
  template <typename Fn>
  cairn::Status Commit(Fn fn, bool sync) {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (nosync_ == sync) {
      cairn::Status st = FromMdb(mdb_env_set_flags(env_, MDB_NOSYNC, sync ? 0 : 1), "set_flags");
      if (!st.ok()) return st;
      nosync_ = !sync;
    }
    MDB_txn* txn = nullptr;
    cairn::Status st = FromMdb(mdb_txn_begin(env_, nullptr, 0, &txn), "txn_begin");
    if (!st.ok()) return st;
    int rc = fn(txn);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return FromMdb(rc, "put");
    }
    return FromMdb(mdb_txn_commit(txn), "commit");
  }

  // This thread's read transaction, created on first use and renewed afterwards.
  cairn::Status BeginRead(MDB_txn** txn) {
    if (t_reader.generation == generation_) {
      *txn = t_reader.txn;
      return FromMdb(mdb_txn_renew(*txn), "txn_renew");
    }
    cairn::Status st = FromMdb(mdb_txn_begin(env_, nullptr, MDB_RDONLY, txn), "txn_begin");
    if (!st.ok()) return st;
    {
      std::lock_guard<std::mutex> lock(readers_mu_);
      readers_.push_back(*txn);
    }
    t_reader.generation = generation_;
    t_reader.txn = *txn;
    return st;
  }

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  uint64_t generation_ = 0;
  std::mutex write_mu_;
  bool nosync_ = false;  // guarded by write_mu_
  std::mutex readers_mu_;
  std::vector<MDB_txn*> readers_;  // guarded by readers_mu_; aborted at Close
  std::string settings_;
};

}  // namespace

std::unique_ptr<Engine> NewLmdbEngine() { return std::make_unique<LmdbEngine>(); }

}  // namespace cairn_bench
