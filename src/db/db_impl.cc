// DBImpl: construction, the read path, snapshots and properties. The write path is in
// db_write.cc and opening/recovery in db_open.cc.
#include "db/db_impl.h"

#include <cinttypes>
#include <cstdio>

#include "db/db_iterator.h"
#include "env/env_util.h"
#include "iterator/merging_iterator.h"
#include "util/filename.h"
#include "util/options_text.h"

namespace cairn {

Status DB::Open(const Options& options, const std::string& dir, std::unique_ptr<DB>* db) {
  db->reset();
  auto impl = std::make_unique<DBImpl>(options, dir);
  CAIRN_RETURN_IF_ERROR(impl->Open());
  *db = std::move(impl);
  return Status::OK();
}

namespace {

// Makes the options consistent instead of failing on combinations that cannot work.
Options Sanitize(Options options) {
  options.memtable_size_bytes = std::max<size_t>(options.memtable_size_bytes, 4u << 10);
  options.max_memtable_memory_bytes =
      std::max(options.max_memtable_memory_bytes, 2 * options.memtable_size_bytes);
  options.l0_compaction_trigger = std::max(options.l0_compaction_trigger, 1);
  options.l0_slowdown_files = std::max(options.l0_slowdown_files, options.l0_compaction_trigger);
  options.l0_slowdown_full_files =
      std::max(options.l0_slowdown_full_files, options.l0_slowdown_files);
  options.level_size_multiplier = std::max(options.level_size_multiplier, 2);
  return options;
}

}  // namespace

DBImpl::DBImpl(const Options& options, std::string dir)
    : options_(Sanitize(options)),
      env_(options.env != nullptr ? options.env : Env::Default()),
      dir_(std::move(dir)),
      block_cache_(std::make_unique<segment::BlockCache>(options_.block_cache_bytes)),
      versions_(std::make_unique<VersionSet>(env_, dir_, options_, block_cache_.get(),
                                             [this](const std::string& line) { Log(line); })),
      picker_(options_) {
  RegisterJobs();
}

DBImpl::~DBImpl() {
  Status s = Close();
  if (!s.ok()) {
    // The owner did not call Close() to hear about it; the operator reads it in the LOG.
    Log("closing: " + s.ToString());
  }
  MutexLock lock(&mu_);
  assert(snapshots_.empty() && "release every snapshot before destroying the DB");
}

Status DBImpl::Close() {
  if (closed_) {
    return close_status_;
  }
  closed_ = true;
  {
    MutexLock lock(&mu_);
    closing_ = true;  // writes, flushes and compactions fail from now on
    flush_done_cv_.SignalAll();
  }
  // Waits for the round in progress of each job; unflushed MemTables are still in their WAL
  // files.
  StopJobs();
  // No write is in progress: a writer that got past the closing check leads or joins a group
  // the write queue finishes before anyone else can lead, and Close() is called with no other
  // call in progress (db.h).
  if (wal_ != nullptr) {
    close_status_ = wal_->Close();
  }
  return close_status_;
}

void DBImpl::Log(const std::string& message) {
  if (info_log_ != nullptr) {
    info_log_->Write(message);
  }
}

size_t DBImpl::MemTableBytes(const ReadView& view) {
  size_t bytes = view.active->ApproximateMemoryUsage();
  for (const Immutable& immutable : view.immutables) {
    bytes += immutable.memtable->ApproximateMemoryUsage();
  }
  return bytes;
}

std::shared_ptr<const DBImpl::ReadView> DBImpl::CurrentView() {
  MutexLock lock(&mu_);
  return view_;
}

Status DBImpl::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  std::shared_ptr<const ReadView> view = CurrentView();
  uint64_t sequence = options.snapshot != nullptr
                          ? options.snapshot->sequence()
                          : visible_sequence_.load(std::memory_order_acquire);
  MemTable::Lookup found = view->active->Get(key, sequence, value);
  for (size_t i = 0; found == MemTable::Lookup::kNotPresent && i < view->immutables.size(); i++) {
    found = view->immutables[i].memtable->Get(key, sequence, value);
  }
  if (found == MemTable::Lookup::kFound) {
    return Status::OK();
  }
  if (found == MemTable::Lookup::kDeleted) {
    return Status::NotFound("key not found");
  }
  Version::Lookup in_segments = Version::Lookup::kNotPresent;
  CAIRN_RETURN_IF_ERROR(view->version->Get(key, sequence, &in_segments, value));
  if (in_segments == Version::Lookup::kFound) {
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
  for (const Immutable& immutable : view->immutables) {
    children.push_back(immutable.memtable->NewIterator());
  }
  view->version->AddIterators(&children);
  return NewDBIterator(NewMergingIterator(std::move(children)), sequence, view);
}

const Snapshot* DBImpl::GetSnapshot() {
  MutexLock lock(&mu_);
  auto* snapshot = new SnapshotImpl(visible_sequence_.load(std::memory_order_acquire));
  snapshots_.emplace(snapshot->sequence(), snapshot);
  return snapshot;
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) {
    return;
  }
  const auto* impl = static_cast<const SnapshotImpl*>(snapshot);
  MutexLock lock(&mu_);
  auto it = snapshots_.find({impl->sequence(), impl});
  assert(it != snapshots_.end() && "snapshot released twice or not from this DB");
  if (it != snapshots_.end()) {
    snapshots_.erase(it);
    delete impl;
  }
}

uint64_t DBImpl::LiveWalBytes() {
  uint64_t bytes = wal_ != nullptr ? wal_->active_bytes() : 0;
  MutexLock lock(&mu_);
  for (const auto& [number, size] : live_wal_bytes_) {
    bytes += size;
  }
  return bytes;
}

std::string DBImpl::StatsText() {
  std::shared_ptr<const ReadView> view = CurrentView();
  uint64_t syncs = stats_.syncs.load();
  uint64_t writes = stats_.writes.load();
  std::string text;
  char line[512];
  auto add = [&](const char* format, auto... args) {
    std::snprintf(line, sizeof(line), format, args...);
    text += line;
  };
  add("last sequence: %" PRIu64 "\n", visible_sequence_.load());
  add("wal: %" PRIu64 " writes in %" PRIu64 " commit groups, %" PRIu64
      " syncs, %.2f writes per sync, %" PRIu64 " bytes written, %" PRIu64 " live bytes\n",
      writes, stats_.commits.load(), syncs,
      syncs == 0 ? 0.0 : static_cast<double>(writes) / static_cast<double>(syncs),
      stats_.wal_bytes.load(), LiveWalBytes());
  add("memtables: 1 active + %zu immutable, %zu bytes\n", view->immutables.size(),
      MemTableBytes(*view));
  for (int level = 0; level < kNumLevels; level++) {
    if (!view->version->files(level).empty()) {
      add("level %d: %zu files, %" PRIu64 " bytes\n", level, view->version->files(level).size(),
          view->version->LevelBytes(level));
    }
  }
  add("flushes: %" PRIu64 " (%" PRIu64 " bytes); compactions: %" PRIu64 " (%" PRIu64
      " bytes read, %" PRIu64 " written), %" PRIu64 " trivial moves\n",
      stats_.flushes.load(), stats_.flush_bytes.load(), stats_.compactions.load(),
      stats_.compaction_bytes_read.load(), stats_.compaction_bytes_written.load(),
      stats_.trivial_moves.load());
  add("write amplification: %.2f\n", WriteAmplification());
  add("write stalls: %" PRIu64 " delayed groups (%" PRIu64 " us), %" PRIu64 " stops (%" PRIu64
      " us)\n",
      stats_.delayed_groups.load(), stats_.delay_micros.load(), stats_.stops.load(),
      stats_.stop_micros.load());
  uint64_t hits = block_cache_->hit_count();
  uint64_t misses = block_cache_->miss_count();
  add("block cache: %" PRIu64 " hits, %" PRIu64 " misses, hit rate %.3f\n", hits, misses,
      hits + misses == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(hits + misses));
  std::string error;
  {
    MutexLock lock(&mu_);
    error = last_background_error_.empty() ? "none" : last_background_error_;
    if (!error_.ok()) error = "READ-ONLY: " + error_.ToString();
  }
  return text + "last background error: " + error + "\nrecovery: " + recovery_report_ + "\n";
}

double DBImpl::WriteAmplification() {
  uint64_t user = stats_.user_bytes.load();
  if (user == 0) {
    return 0;
  }
  uint64_t disk =
      stats_.wal_bytes.load() + stats_.flush_bytes.load() + stats_.compaction_bytes_written.load();
  return static_cast<double>(disk) / static_cast<double>(user);
}

bool DBImpl::GetProperty(std::string_view name, std::string* value) {
  auto number = [&](uint64_t n) {
    *value = std::to_string(n);
    return true;
  };
  auto decimal = [&](double d) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", d);
    *value = buf;
    return true;
  };
  constexpr std::string_view kFilesAtLevel = "cairn.files-at-level.";
  constexpr std::string_view kBytesAtLevel = "cairn.bytes-at-level.";
  for (std::string_view prefix : {kFilesAtLevel, kBytesAtLevel}) {
    if (name.substr(0, prefix.size()) == prefix && name.size() == prefix.size() + 1) {
      int level = name.back() - '0';
      if (level < 0 || level >= kNumLevels) return false;
      std::shared_ptr<const ReadView> view = CurrentView();
      return number(prefix == kFilesAtLevel ? view->version->files(level).size()
                                            : view->version->LevelBytes(level));
    }
  }
  if (name == "cairn.stats") {
    *value = StatsText();
    return true;
  }
  if (name == "cairn.last-sequence") return number(visible_sequence_.load());
  if (name == "cairn.wal.commits") return number(stats_.commits.load());
  if (name == "cairn.wal.syncs") return number(stats_.syncs.load());
  if (name == "cairn.wal.writes") return number(stats_.writes.load());
  if (name == "cairn.wal.live-bytes") return number(LiveWalBytes());
  if (name == "cairn.wal.files-recycled") return number(wal_->counters().recycled);
  if (name == "cairn.wal.files-preallocated") return number(wal_->counters().preallocated);
  if (name == "cairn.wal.writes-per-sync") {
    uint64_t syncs = stats_.syncs.load();
    return decimal(
        syncs == 0 ? 0.0 : static_cast<double>(stats_.writes.load()) / static_cast<double>(syncs));
  }
  if (name == "cairn.memtable.bytes") return number(MemTableBytes(*CurrentView()));
  if (name == "cairn.immutable-memtables") return number(CurrentView()->immutables.size());
  if (name == "cairn.flushes") return number(stats_.flushes.load());
  if (name == "cairn.flush-bytes") return number(stats_.flush_bytes.load());
  if (name == "cairn.compactions") return number(stats_.compactions.load());
  if (name == "cairn.compaction-bytes-read") return number(stats_.compaction_bytes_read.load());
  if (name == "cairn.compaction-bytes-written") {
    return number(stats_.compaction_bytes_written.load());
  }
  if (name == "cairn.write-amplification") return decimal(WriteAmplification());
  if (name == "cairn.stall-micros") {
    return number(stats_.delay_micros.load() + stats_.stop_micros.load());
  }
  if (name == "cairn.block-cache.hits") return number(block_cache_->hit_count());
  if (name == "cairn.block-cache.misses") return number(block_cache_->miss_count());
  if (name == "cairn.background-error") {
    MutexLock lock(&mu_);
    *value = !error_.ok() ? error_.ToString() : last_background_error_;
    return true;
  }
  if (name == "cairn.recovery") {
    *value = recovery_report_;
    return true;
  }
  if (name == "cairn.options") {
    *value = FormatOptions(options_);  // after Sanitize: what this DB runs with
    return true;
  }
  if (name == "cairn.recovery.lost") {
    *value = recovery_lost_;
    return true;
  }
  return false;
}

}  // namespace cairn
