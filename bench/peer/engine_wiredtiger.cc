// The WiredTiger adapter of peer_bench (Debian's libwiredtiger 3.2): a row-store B-tree table
// "table:kv" with raw byte keys and values (key_format=u, value_format=u), logging on, cache
// EngineConfig::cache_bytes, no block compression (the Debian package ships its compressors as
// extensions that must be loaded by path). Each thread has its own session and cursor
// (sessions are single-threaded). Durable writes commit an explicit transaction with
// sync=on (WiredTiger groups concurrent log writers into one flush); others use auto-commit
// with the connection's default transaction_sync=(enabled=false), so the log record is
// buffered and written later. Compact runs a checkpoint.
#include <wiredtiger.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

#include "engine.h"

namespace cairn_bench {
namespace {

// Sessions: the 64-thread workloads plus the driver and WiredTiger's own threads.
constexpr int kSessionMax = 200;

cairn::Status FromWt(int rc, const char* what) {
  if (rc == 0) return cairn::Status::OK();
  if (rc == WT_NOTFOUND) return cairn::Status::NotFound("wiredtiger");
  return cairn::Status::IOError(std::string("wiredtiger ") + what + ": " +
                                wiredtiger_strerror(rc));
}

WT_ITEM Item(std::string_view s) {
  WT_ITEM item;
  std::memset(&item, 0, sizeof(item));
  item.data = s.data();
  item.size = s.size();
  return item;
}

// Each Open gets a new generation, so a thread never reuses a session of a closed connection
// (closing the connection closed it).
std::atomic<uint64_t> g_generation{0};
struct ThreadSession {
  uint64_t generation = 0;
  WT_SESSION* session = nullptr;
  WT_CURSOR* cursor = nullptr;
};
thread_local ThreadSession t_session;

class WiredTigerEngine : public Engine {
 public:
  ~WiredTigerEngine() override { Close(); }
  std::string Name() const override { return "wiredtiger"; }
  std::string Settings() const override { return settings_; }

  cairn::Status Open(const std::string& dir, const EngineConfig& config) override {
    generation_ = ++g_generation;
    char cfg[256];
    std::snprintf(cfg, sizeof(cfg),
                  "create,cache_size=%zuMB,log=(enabled=true),session_max=%d",
                  std::max<size_t>(config.cache_bytes >> 20, 1), kSessionMax);
    cairn::Status st = FromWt(wiredtiger_open(dir.c_str(), nullptr, cfg, &conn_), "open");
    if (!st.ok()) return st;
    WT_SESSION* session = nullptr;
    st = FromWt(conn_->open_session(conn_, nullptr, nullptr, &session), "open_session");
    if (st.ok()) {
      st = FromWt(session->create(session, "table:kv", "key_format=u,value_format=u"), "create");
      session->close(session, nullptr);
    }
    settings_ = std::string(wiredtiger_version(nullptr, nullptr, nullptr)) + "; " + cfg +
                "; table:kv key_format=u,value_format=u (row-store B-tree, no compression); "
                "durable: explicit txn, commit_transaction(sync=on); else auto-commit";
    return st;
  }

  void Close() override {
    if (conn_ == nullptr) return;
    conn_->close(conn_, nullptr);  // closes every session too
    conn_ = nullptr;
  }

  cairn::Status Put(std::string_view key, std::string_view value, bool sync) override {
    const View one[1] = {View(key, value)};
    return WriteViews(one, 1, sync);
  }

  cairn::Status Write(const std::vector<KeyValue>& batch, bool sync) override {
    std::vector<View> views(batch.begin(), batch.end());
    return WriteViews(views.data(), views.size(), sync);
  }

  cairn::Status Get(std::string_view key, std::string* value) override {
    ThreadSession* ts = nullptr;
    cairn::Status st = Mine(&ts);
    if (!st.ok()) return st;
    WT_ITEM k = Item(key), v;
    ts->cursor->set_key(ts->cursor, &k);
    st = FromWt(ts->cursor->search(ts->cursor), "search");
    if (st.ok()) st = FromWt(ts->cursor->get_value(ts->cursor, &v), "get_value");
    if (st.ok()) value->assign(static_cast<const char*>(v.data), v.size);
    ts->cursor->reset(ts->cursor);
    return st;
  }

  cairn::Status Scan(std::string_view start, int count, int* found, uint64_t* bytes) override {
    *found = 0;
    *bytes = 0;
    ThreadSession* ts = nullptr;
    cairn::Status st = Mine(&ts);
    if (!st.ok()) return st;
    WT_CURSOR* c = ts->cursor;
    WT_ITEM k = Item(start), v;
    c->set_key(c, &k);
    int exact = 0;
    int rc = c->search_near(c, &exact);
    if (rc == 0 && exact < 0) rc = c->next(c);
    while (rc == 0 && *found < count) {
      if ((rc = c->get_key(c, &k)) != 0 || (rc = c->get_value(c, &v)) != 0) break;
      ++*found;
      *bytes += k.size + v.size;
      rc = c->next(c);
    }
    c->reset(c);
    return rc == 0 || rc == WT_NOTFOUND ? cairn::Status::OK() : FromWt(rc, "scan");
  }

  cairn::Status Sync() override {
    ThreadSession* ts = nullptr;
    cairn::Status st = Mine(&ts);
    if (!st.ok()) return st;
    return FromWt(ts->session->log_flush(ts->session, "sync=on"), "log_flush");
  }

  cairn::Status Compact() override {
    ThreadSession* ts = nullptr;
    cairn::Status st = Mine(&ts);
    if (!st.ok()) return st;
    return FromWt(ts->session->checkpoint(ts->session, nullptr), "checkpoint");
  }

 private:
  using View = std::pair<std::string_view, std::string_view>;

  // Inserts n pairs: one auto-commit insert, or one transaction (synced if `sync`).
  cairn::Status WriteViews(const View* batch, size_t n, bool sync) {
    ThreadSession* ts = nullptr;
    cairn::Status st = Mine(&ts);
    if (!st.ok()) return st;
    bool txn = sync || n > 1;
    if (txn) {
      st = FromWt(ts->session->begin_transaction(ts->session, nullptr), "begin");
      if (!st.ok()) return st;
    }
    for (size_t i = 0; st.ok() && i < n; i++) {
      WT_ITEM k = Item(batch[i].first), v = Item(batch[i].second);
      ts->cursor->set_key(ts->cursor, &k);
      ts->cursor->set_value(ts->cursor, &v);
      st = FromWt(ts->cursor->insert(ts->cursor), "insert");
    }
    if (!txn) return st;
    if (!st.ok()) {
      ts->session->rollback_transaction(ts->session, nullptr);
      return st;
    }
    return FromWt(ts->session->commit_transaction(ts->session, sync ? "sync=on" : nullptr),
                  "commit");
  }


  // This thread's session and cursor on table:kv, opened on first use.
  cairn::Status Mine(ThreadSession** out) {
    ThreadSession& ts = t_session;
    *out = &ts;
    if (ts.generation == generation_) return cairn::Status::OK();
    cairn::Status st =
        FromWt(conn_->open_session(conn_, nullptr, nullptr, &ts.session), "open_session");
    if (!st.ok()) return st;
    st = FromWt(ts.session->open_cursor(ts.session, "table:kv", nullptr, nullptr, &ts.cursor),
                "open_cursor");
    if (st.ok()) ts.generation = generation_;
    return st;
  }

  WT_CONNECTION* conn_ = nullptr;
  uint64_t generation_ = 0;
  std::string settings_;
};

}  // namespace

std::unique_ptr<Engine> NewWiredTigerEngine() { return std::make_unique<WiredTigerEngine>(); }

}  // namespace cairn_bench
