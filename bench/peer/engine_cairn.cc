// The Cairn adapter of peer_bench: DB::Put/Write with WriteOptions::sync, Get, and an
// Iterator for scans. Options map EngineConfig one to one (MemTable, block cache, WAL cap);
// everything else is Cairn's default (LZ4 blocks, 10-bit Bloom filters, 8 KiB blocks).
#include <algorithm>
#include <cstdio>

#include "cairn/db.h"
#include "cairn/iterator.h"
#include "engine.h"

namespace cairn_bench {
namespace {

class CairnEngine : public Engine {
 public:
  std::string Name() const override { return "cairn"; }
  std::string Settings() const override { return settings_; }

  cairn::Status Open(const std::string& dir, const EngineConfig& config) override {
    cairn::Options options;
    options.memtable_size_bytes = config.write_buffer_bytes;
    options.block_cache_bytes = config.cache_bytes;
    options.max_wal_size_bytes = config.max_log_bytes;
    // Cairn requires at least two MemTables of memory; keep its default ratio (4x).
    options.max_memtable_memory_bytes = std::max(options.max_memtable_memory_bytes,
                                                 4 * config.write_buffer_bytes);
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "memtable_size_bytes=%zu block_cache_bytes=%zu max_wal_size_bytes=%llu "
                  "max_memtable_memory_bytes=%zu; durable: WriteOptions::sync=true "
                  "(fdatasync, group commit); else sync=false; rest default (LZ4, bloom 10)",
                  options.memtable_size_bytes, options.block_cache_bytes,
                  static_cast<unsigned long long>(options.max_wal_size_bytes),
                  options.max_memtable_memory_bytes);
    settings_ = buf;
    return cairn::DB::Open(options, dir, &db_);
  }

  void Close() override { db_.reset(); }

  cairn::Status Put(std::string_view key, std::string_view value, bool sync) override {
    cairn::WriteOptions wo;
    wo.sync = sync;
    return db_->Put(wo, key, value);
  }

  cairn::Status Write(const std::vector<KeyValue>& batch, bool sync) override {
    cairn::WriteBatch wb;
    for (const auto& [k, v] : batch) wb.Put(k, v);
    cairn::WriteOptions wo;
    wo.sync = sync;
    return db_->Write(wo, wb);
  }

  cairn::Status Get(std::string_view key, std::string* value) override {
    return db_->Get(cairn::ReadOptions(), key, value);
  }

  cairn::Status Scan(std::string_view start, int count, int* found, uint64_t* bytes) override {
    std::unique_ptr<cairn::Iterator> it = db_->NewIterator(cairn::ReadOptions());
    *found = 0;
    *bytes = 0;
    for (it->Seek(start); it->Valid() && *found < count; it->Next()) {
      ++*found;
      *bytes += it->key().size() + it->value().size();
    }
    return it->status();
  }

  cairn::Status Sync() override {
    // An empty synced batch makes every earlier write durable (WriteOptions::sync).
    cairn::WriteBatch empty;
    return db_->Write(cairn::WriteOptions(), empty);
  }

  std::string Stats() override {
    std::string per_sync;
    if (!db_->GetProperty("cairn.wal.writes-per-sync", &per_sync)) return "";
    return "writes_per_fsync=" + per_sync;
  }

  cairn::Status Compact() override {
    cairn::Status st = db_->Flush();
    if (!st.ok()) return st;
    return db_->CompactRange(nullptr, nullptr);
  }

 private:
  std::unique_ptr<cairn::DB> db_;
  std::string settings_;
};

}  // namespace

std::unique_ptr<Engine> NewCairnEngine() { return std::make_unique<CairnEngine>(); }

}  // namespace cairn_bench
