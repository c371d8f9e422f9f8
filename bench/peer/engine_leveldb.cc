// The LevelDB adapter of peer_bench (Debian's libleveldb 1.23). Configured like Cairn: the
// same write buffer (MemTable) and block cache, a 10-bit Bloom filter; Snappy compression,
// the library's only fast codec; other settings (2 MiB table files, 4 KiB blocks) are
// LevelDB's defaults, which its authors tuned. Durable writes use WriteOptions::sync = true
// (LevelDB groups concurrent writers into one log write and sync); others sync = false.
// LevelDB has no WAL size cap: it flushes when the write buffer is full.
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <cstdio>

#include "engine.h"

namespace cairn_bench {
namespace {

cairn::Status FromLevel(const leveldb::Status& s) {
  if (s.ok()) return cairn::Status::OK();
  if (s.IsNotFound()) return cairn::Status::NotFound("leveldb");
  return cairn::Status::IOError("leveldb: " + s.ToString());
}

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

class LevelDbEngine : public Engine {
 public:
  ~LevelDbEngine() override { Close(); }
  std::string Name() const override { return "leveldb"; }
  std::string Settings() const override { return settings_; }

  cairn::Status Open(const std::string& dir, const EngineConfig& config) override {
    cache_.reset(leveldb::NewLRUCache(config.cache_bytes));
    filter_.reset(leveldb::NewBloomFilterPolicy(10));
    leveldb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = config.write_buffer_bytes;
    options.block_cache = cache_.get();
    options.filter_policy = filter_.get();
    options.compression = leveldb::kSnappyCompression;
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "leveldb %d.%d; write_buffer_size=%zu block_cache=LRU(%zu) bloom=10 "
                  "compression=Snappy, rest default (max_file_size 2 MiB, block 4 KiB); durable: "
                  "WriteOptions::sync=true; else sync=false",
                  leveldb::kMajorVersion, leveldb::kMinorVersion, config.write_buffer_bytes,
                  config.cache_bytes);
    settings_ = buf;
    leveldb::DB* db = nullptr;
    cairn::Status st = FromLevel(leveldb::DB::Open(options, dir, &db));
    db_.reset(db);
    return st;
  }

  void Close() override {
    db_.reset();  // before the cache and filter it uses
    cache_.reset();
    filter_.reset();
  }

  cairn::Status Put(std::string_view key, std::string_view value, bool sync) override {
    leveldb::WriteOptions wo;
    wo.sync = sync;
    return FromLevel(db_->Put(wo, ToSlice(key), ToSlice(value)));
  }

  cairn::Status Write(const std::vector<KeyValue>& batch, bool sync) override {
    leveldb::WriteBatch wb;
    for (const auto& [k, v] : batch) wb.Put(k, v);
    leveldb::WriteOptions wo;
    wo.sync = sync;
    return FromLevel(db_->Write(wo, &wb));
  }

  cairn::Status Get(std::string_view key, std::string* value) override {
    return FromLevel(db_->Get(leveldb::ReadOptions(), ToSlice(key), value));
  }

  cairn::Status Scan(std::string_view start, int count, int* found, uint64_t* bytes) override {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    *found = 0;
    *bytes = 0;
    for (it->Seek(ToSlice(start)); it->Valid() && *found < count; it->Next()) {
      ++*found;
      *bytes += it->key().size() + it->value().size();
    }
    return FromLevel(it->status());
  }

  cairn::Status Sync() override {
    // An empty synced batch writes and syncs a log record: every earlier write is durable.
    leveldb::WriteBatch empty;
    leveldb::WriteOptions wo;
    wo.sync = true;
    return FromLevel(db_->Write(wo, &empty));
  }

  cairn::Status Compact() override {
    db_->CompactRange(nullptr, nullptr);  // returns nothing; flushes the MemTable first
    return cairn::Status::OK();
  }

 private:
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  std::string settings_;
};

}  // namespace

std::unique_ptr<Engine> NewLevelDbEngine() { return std::make_unique<LevelDbEngine>(); }

}  // namespace cairn_bench
