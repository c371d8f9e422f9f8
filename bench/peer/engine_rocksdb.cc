// The RocksDB adapter of peer_bench (Debian's librocksdb, built with assertions enabled, so
// its numbers are a lower bound). Configured like Cairn: the same MemTable size, WAL cap
// (max_total_wal_size), block cache, LZ4 and a 10-bit Bloom filter; two background jobs for
// the two cores. Durable writes use WriteOptions::sync = true (group commit in RocksDB's
// write thread); others sync = false with the WAL on.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <cstdio>

#include "engine.h"

namespace cairn_bench {
namespace {

cairn::Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return cairn::Status::OK();
  if (s.IsNotFound()) return cairn::Status::NotFound("rocksdb");
  return cairn::Status::IOError("rocksdb: " + s.ToString());
}

// Background flush and compaction threads: one per core of the reference machine.
constexpr int kBackgroundJobs = 2;

class RocksDbEngine : public Engine {
 public:
  ~RocksDbEngine() override { Close(); }
  std::string Name() const override { return "rocksdb"; }
  std::string Settings() const override { return settings_; }

  cairn::Status Open(const std::string& dir, const EngineConfig& config) override {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.max_total_wal_size = config.max_log_bytes;
    options.max_background_jobs = kBackgroundJobs;
    options.compression = rocksdb::kLZ4Compression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(config.cache_bytes);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.block_size = 8 << 10;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    char buf[320];
    std::snprintf(buf, sizeof(buf),
                  "%s; write_buffer_size=%zu max_total_wal_size=%llu max_background_jobs=%d "
                  "compression=LZ4 block_cache=LRU(%zu) bloom=10 block_size=8KiB; durable: "
                  "WriteOptions::sync=true; else sync=false (WAL on)",
                  rocksdb::GetRocksVersionAsString().c_str(), config.write_buffer_bytes,
                  static_cast<unsigned long long>(config.max_log_bytes), kBackgroundJobs,
                  config.cache_bytes);
    settings_ = buf;
    rocksdb::DB* db = nullptr;
    cairn::Status st = FromRocks(rocksdb::DB::Open(options, dir, &db));
    db_.reset(db);
    return st;
  }

  void Close() override { db_.reset(); }

  cairn::Status Put(std::string_view key, std::string_view value, bool sync) override {
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return FromRocks(db_->Put(wo, Slice(key), Slice(value)));
  }

  cairn::Status Write(const std::vector<KeyValue>& batch, bool sync) override {
    rocksdb::WriteBatch wb;
    for (const auto& [k, v] : batch) {
      cairn::Status st = FromRocks(wb.Put(k, v));
      if (!st.ok()) return st;
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return FromRocks(db_->Write(wo, &wb));
  }

  cairn::Status Get(std::string_view key, std::string* value) override {
    return FromRocks(db_->Get(rocksdb::ReadOptions(), Slice(key), value));
  }

  cairn::Status Scan(std::string_view start, int count, int* found, uint64_t* bytes) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    *found = 0;
    *bytes = 0;
    for (it->Seek(Slice(start)); it->Valid() && *found < count; it->Next()) {
      ++*found;
      *bytes += it->key().size() + it->value().size();
    }
    return FromRocks(it->status());
  }

  cairn::Status Sync() override { return FromRocks(db_->SyncWAL()); }

  cairn::Status Compact() override {
    cairn::Status st = FromRocks(db_->Flush(rocksdb::FlushOptions()));
    if (!st.ok()) return st;
    return FromRocks(db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr));
  }

 private:
  static rocksdb::Slice Slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

  std::unique_ptr<rocksdb::DB> db_;
  std::string settings_;
};

}  // namespace

std::unique_ptr<Engine> NewRocksDbEngine() { return std::make_unique<RocksDbEngine>(); }

}  // namespace cairn_bench
