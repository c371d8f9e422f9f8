// DBImpl: construction, the read path, snapshots and properties. The write path is in
// db_write.cc and opening/recovery in db_open.cc.
#include "db/db_impl.h"

#include <cinttypes>
#include <cstdio>

#include "db/db_iterator.h"
#include "db/merging_iterator.h"
#include "env/env_util.h"
#include "util/filename.h"

namespace cairn {

Status DB::Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* db) {
  db->reset();
  auto impl = std::make_unique<DBImpl>(options, dir);
  CAIRN_RETURN_IF_ERROR(impl->Open());
  *db = std::move(impl);
  return Status::OK();
}

DBImpl::DBImpl(const Options& options, std::string dir)
    : options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()),
      dir_(std::move(dir)) {}

DBImpl::~DBImpl() {
  if (wal_ != nullptr) {
    // Makes sync=false writes durable on a clean close. A failure changes nothing for synced
    // writes (already durable); it is logged for the operator.
    if (!wal_->poisoned()) {
      Status s = wal_->Sync();
      if (!s.ok()) {
        Log("closing: WAL sync failed: " + s.ToString());
      }
    }
    Status s = wal_->Close();
    if (!s.ok()) {
      Log("closing: WAL close failed: " + s.ToString());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  assert(snapshots_.empty() && "release every snapshot before destroying the DB");
}

void DBImpl::Log(const std::string& message) {
  if (info_log_ != nullptr) {
    info_log_->Write(message);
  }
}

std::shared_ptr<const DBImpl::ReadView> DBImpl::CurrentView() {
  std::lock_guard<std::mutex> lock(mu_);
  return view_;
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  std::shared_ptr<const ReadView> view = CurrentView();
  uint64_t sequence = options.snapshot != nullptr
                          ? options.snapshot->sequence()
                          : visible_sequence_.load(std::memory_order_acquire);
  MemTable::Lookup found = view->active->Get(key, sequence, value);
  for (size_t i = 0; found == MemTable::Lookup::kNotPresent && i < view->immutables.size(); i++) {
    found = view->immutables[i]->Get(key, sequence, value);
  }
  if (found == MemTable::Lookup::kFound) {
    return Status::OK();
  }
  return Status::NotFound("key not found");
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  std::shared_ptr<const ReadView> view = CurrentView();
  uint64_t sequence = options.snapshot != nullptr
                          ? options.snapshot->sequence()
                          : visible_sequence_.load(std::memory_order_acquire);
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.push_back(view->active->NewIterator());
  for (const auto& memtable : view->immutables) {
    children.push_back(memtable->NewIterator());
  }
  return NewDBIterator(NewMergingIterator(std::move(children)), sequence, view);
}

const Snapshot* DBImpl::GetSnapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  auto* snapshot = new SnapshotImpl(visible_sequence_.load(std::memory_order_acquire));
  snapshots_.emplace(snapshot->sequence(), snapshot);
  return snapshot;
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) {
    return;
  }
  const auto* impl = static_cast<const SnapshotImpl*>(snapshot);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = snapshots_.find({impl->sequence(), impl});
  assert(it != snapshots_.end() && "snapshot released twice or not from this DB");
  if (it != snapshots_.end()) {
    snapshots_.erase(it);
    delete impl;
  }
}

uint64_t DBImpl::LiveWalBytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_wal_bytes_ + active_wal_bytes_.load(std::memory_order_relaxed);
}

std::string DBImpl::StatsText() {
  std::shared_ptr<const ReadView> view = CurrentView();
  size_t memtable_bytes = view->active->ApproximateMemoryUsage();
  for (const auto& memtable : view->immutables) {
    memtable_bytes += memtable->ApproximateMemoryUsage();
  }
  uint64_t syncs = stat_syncs_.load();
  uint64_t writes = stat_writes_.load();
  std::string error;
  {
    std::lock_guard<std::mutex> lock(mu_);
    error = error_.ok() ? "none" : error_.ToString();
  }
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "last sequence: %" PRIu64 "\n"
                "wal: %" PRIu64 " writes in %" PRIu64 " commit groups, %" PRIu64
                " syncs, %.2f writes per sync, %" PRIu64 " bytes written, %" PRIu64
                " live bytes\n"
                "memtables: %zu (1 active), %zu bytes\n",
                visible_sequence_.load(), writes, stat_commits_.load(), syncs,
                syncs == 0 ? 0.0 : static_cast<double>(writes) / static_cast<double>(syncs),
                stat_bytes_written_.load(), LiveWalBytes(), view->immutables.size() + 1,
                memtable_bytes);
  return std::string(buf) + "background error: " + error + "\nrecovery: " + recovery_report_ +
         "\n";
}

bool DBImpl::GetProperty(std::string_view name, std::string* value) {
  auto number = [&](uint64_t n) {
    *value = std::to_string(n);
    return true;
  };
  if (name == "cairn.stats") {
    *value = StatsText();
    return true;
  }
  if (name == "cairn.last-sequence") return number(visible_sequence_.load());
  if (name == "cairn.wal.commits") return number(stat_commits_.load());
  if (name == "cairn.wal.syncs") return number(stat_syncs_.load());
  if (name == "cairn.wal.writes") return number(stat_writes_.load());
  if (name == "cairn.wal.live-bytes") return number(LiveWalBytes());
  if (name == "cairn.wal.writes-per-sync") {
    uint64_t syncs = stat_syncs_.load();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f",
                  syncs == 0 ? 0.0 : static_cast<double>(stat_writes_.load()) /
                                         static_cast<double>(syncs));
    *value = buf;
    return true;
  }
  if (name == "cairn.memtable.bytes") {
    std::shared_ptr<const ReadView> view = CurrentView();
    uint64_t bytes = view->active->ApproximateMemoryUsage();
    for (const auto& memtable : view->immutables) {
      bytes += memtable->ApproximateMemoryUsage();
    }
    return number(bytes);
  }
  if (name == "cairn.background-error") {
    std::lock_guard<std::mutex> lock(mu_);
    *value = error_.ok() ? "" : error_.ToString();
    return true;
  }
  if (name == "cairn.recovery") {
    *value = recovery_report_;
    return true;
  }
  if (name == "cairn.recovery.lost") {
    *value = recovery_lost_;
    return true;
  }
  return false;
}

}  // namespace cairn
