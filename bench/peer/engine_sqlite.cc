// The SQLite adapter of peer_bench (Debian's libsqlite3 3.40): one table
// kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID in WAL mode, one connection shared by all
// threads behind a mutex (SQLite allows one writer at a time anyway; it has no group commit).
// Durable writes run with synchronous = FULL (the WAL is synced at every commit); others with
// synchronous = NORMAL (synced only at checkpoints: survives a process crash). The page cache
// is EngineConfig::cache_bytes; every other setting is SQLite's default (4 KiB pages,
// automatic checkpoint every 1000 pages).
#include <sqlite3.h>

#include <cstdio>
#include <mutex>

#include "engine.h"

namespace cairn_bench {
namespace {

class SqliteEngine : public Engine {
 public:
  ~SqliteEngine() override { Close(); }
  std::string Name() const override { return "sqlite"; }
  std::string Settings() const override { return settings_; }

  cairn::Status Open(const std::string& dir, const EngineConfig& config) override {
    std::string path = dir + "/kv.sqlite";
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) return Error("open");
    char pragma[64];
    std::snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%zu", config.cache_bytes >> 10);
    cairn::Status st = Exec("PRAGMA journal_mode=WAL");
    if (st.ok()) st = Exec(pragma);
    if (st.ok()) st = Exec("PRAGMA synchronous=FULL");
    if (st.ok()) st = Exec("CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
    if (st.ok()) st = Prepare("INSERT OR REPLACE INTO kv(k, v) VALUES(?1, ?2)", &put_);
    if (st.ok()) st = Prepare("SELECT v FROM kv WHERE k = ?1", &get_);
    if (st.ok()) st = Prepare("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2", &scan_);
    full_ = true;
    settings_ = std::string("sqlite ") + sqlite3_libversion() +
                "; journal_mode=WAL, WITHOUT ROWID table, " + pragma +
                " (KiB), synchronous=FULL when durable, NORMAL otherwise; one shared connection";
    return st;
  }

  void Close() override {
    if (db_ == nullptr) return;
    sqlite3_finalize(put_);
    sqlite3_finalize(get_);
    sqlite3_finalize(scan_);
    put_ = get_ = scan_ = nullptr;
    sqlite3_close(db_);
    db_ = nullptr;
  }

  cairn::Status Put(std::string_view key, std::string_view value, bool sync) override {
    std::lock_guard<std::mutex> lock(mu_);
    cairn::Status st = SetSync(sync);
    if (!st.ok()) return st;
    return PutLocked(key, value);
  }

  cairn::Status Write(const std::vector<KeyValue>& batch, bool sync) override {
    std::lock_guard<std::mutex> lock(mu_);
    cairn::Status st = SetSync(sync);
    if (st.ok()) st = Exec("BEGIN");
    for (size_t i = 0; st.ok() && i < batch.size(); i++) {
      st = PutLocked(batch[i].first, batch[i].second);
    }
    if (st.ok()) return Exec("COMMIT");
    (void)Exec("ROLLBACK");  // the first error is the one to report
    return st;
  }

  cairn::Status Get(std::string_view key, std::string* value) override {
    std::lock_guard<std::mutex> lock(mu_);
    sqlite3_bind_blob(get_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    int rc = sqlite3_step(get_);
    cairn::Status st = cairn::Status::OK();
    if (rc == SQLITE_ROW) {
      value->assign(static_cast<const char*>(sqlite3_column_blob(get_, 0)),
                    static_cast<size_t>(sqlite3_column_bytes(get_, 0)));
    } else if (rc == SQLITE_DONE) {
      st = cairn::Status::NotFound("sqlite");
    } else {
      st = Error("get");
    }
    sqlite3_reset(get_);
    return st;
  }

  cairn::Status Scan(std::string_view start, int count, int* found, uint64_t* bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    *found = 0;
    *bytes = 0;
    sqlite3_bind_blob(scan_, 1, start.data(), static_cast<int>(start.size()), SQLITE_STATIC);
    sqlite3_bind_int(scan_, 2, count);
    int rc;
    while ((rc = sqlite3_step(scan_)) == SQLITE_ROW) {
      ++*found;
      *bytes += static_cast<uint64_t>(sqlite3_column_bytes(scan_, 0)) +
                static_cast<uint64_t>(sqlite3_column_bytes(scan_, 1));
    }
    cairn::Status st = rc == SQLITE_DONE ? cairn::Status::OK() : Error("scan");
    sqlite3_reset(scan_);
    return st;
  }

  // A full checkpoint syncs the WAL first, so every earlier commit is durable.
  cairn::Status Sync() override {
    std::lock_guard<std::mutex> lock(mu_);
    return Exec("PRAGMA wal_checkpoint(FULL)");
  }
  // Copies the WAL into the database file and truncates it, so the space measured is the
  // settled B-tree.
  cairn::Status Compact() override {
    std::lock_guard<std::mutex> lock(mu_);
    return Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

 private:
  cairn::Status Error(const char* what) {
    return cairn::Status::IOError(std::string("sqlite ") + what + ": " +
                                  (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  cairn::Status Exec(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK ? cairn::Status::OK()
                                                                          : Error(sql);
  }
  cairn::Status Prepare(const char* sql, sqlite3_stmt** stmt) {
    return sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) == SQLITE_OK ? cairn::Status::OK()
                                                                        : Error(sql);
  }
  cairn::Status SetSync(bool sync) {
    if (sync == full_) return cairn::Status::OK();
    full_ = sync;
    return Exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  }
  cairn::Status PutLocked(std::string_view key, std::string_view value) {
    sqlite3_bind_blob(put_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_blob(put_, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    int rc = sqlite3_step(put_);
    sqlite3_reset(put_);
    return rc == SQLITE_DONE ? cairn::Status::OK() : Error("put");
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  sqlite3_stmt* scan_ = nullptr;
  std::mutex mu_;
  bool full_ = true;  // guarded by mu_: synchronous=FULL is in force
  std::string settings_;
};

}  // namespace

std::unique_ptr<Engine> NewSqliteEngine() { return std::make_unique<SqliteEngine>(); }

}  // namespace cairn_bench
