#include "manifest/version_set.h"

#include <algorithm>

#include "env/env_util.h"
#include "manifest/current_file.h"
#include "manifest/manifest_reader.h"
#include "util/filename.h"

namespace cairn {
namespace {

// A manifest larger than this is replaced, at the next edit, by a new one holding a snapshot
// of the state: bounded open time, bounded space.
constexpr uint64_t kManifestRolloverBytes = 8u << 20;

}  // namespace

VersionSet::VersionSet(Env* env, std::string dir, const Options& options,
                       segment::BlockCache* block_cache,
                       std::function<void(const std::string&)> log)
    : env_(env),
      dir_(std::move(dir)),
      options_(options),
      block_cache_(block_cache),
      log_(std::move(log)),
      current_(std::make_shared<Version>()) {}

VersionSet::~VersionSet() {
  MutexLock lock(&mu_);
  CloseManifest();
}

void VersionSet::CloseManifest() {
  if (manifest_ == nullptr) {
    return;
  }
  // Every edit was synced when it was appended, so a close error loses nothing; it is only
  // worth telling the operator.
  Status s = manifest_->Close();
  if (!s.ok()) {
    log_("closing " + ManifestFileName(manifest_number_) + ": " + s.ToString());
  }
  manifest_.reset();
}

void VersionSet::MarkFileNumberUsed(uint64_t number) {
  uint64_t next = next_file_number_.load();
  while (next <= number && !next_file_number_.compare_exchange_weak(next, number + 1)) {
  }
}

std::shared_ptr<const Version> VersionSet::current() const {
  MutexLock lock(&mu_);
  return current_;
}

uint64_t VersionSet::log_number() const {
  MutexLock lock(&mu_);
  return log_number_;
}

uint64_t VersionSet::manifest_number() const {
  MutexLock lock(&mu_);
  return manifest_number_;
}

bool VersionSet::manifest_healthy() const {
  MutexLock lock(&mu_);
  return manifest_ != nullptr && !manifest_->poisoned() && current_error_.ok();
}

std::set<uint64_t> VersionSet::LiveSegmentNumbers() const {
  MutexLock lock(&mu_);
  std::set<uint64_t> numbers;
  for (const auto& weak : live_versions_) {
    std::shared_ptr<const Version> version = weak.lock();
    if (version == nullptr) {
      continue;
    }
    for (int level = 0; level < kNumLevels; level++) {
      for (const auto& file : version->files(level)) {
        numbers.insert(file->meta.number);
      }
    }
  }
  return numbers;
}

void VersionSet::Install(std::shared_ptr<const Version> version) {
  // Forget versions nobody holds any more, so the list stays as short as the readers.
  live_versions_.remove_if([](const std::weak_ptr<const Version>& w) { return w.expired(); });
  live_versions_.push_back(version);
  current_ = std::move(version);
}

Result<std::shared_ptr<Segment>> VersionSet::OpenSegment(const SegmentMeta& meta) {
  std::string path = JoinPath(dir_, SegmentFileName(meta.number));
  auto segment = Segment::Open(env_, path, meta.number, meta.file_size_bytes, block_cache_);
  if (!segment.ok() && segment.status().IsNotFound()) {
    return Status::Corruption("segment " + SegmentFileName(meta.number) +
                              " is listed by the manifest but missing from " + dir_);
  }
  return segment;
}

VersionEdit VersionSet::SnapshotEdit() const {
  VersionEdit edit;
  edit.db_id = db_id_;
  edit.log_number = log_number_;
  edit.next_file_number = next_file_number_.load();
  edit.last_sequence = last_sequence_;
  edit.last_commit_micros = last_commit_micros_;
  edit.added_wals.assign(live_wals_.begin(), live_wals_.end());
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& file : current_->files(level)) {
      edit.added_segments.push_back(file->meta);
    }
  }
  return edit;
}

Status VersionSet::RollOver() {
  uint64_t number = NewFileNumber();
  uint64_t prev = manifest_number_;
  auto writer = manifest::ManifestWriter::Create(env_, dir_, number, prev, db_id_, SnapshotEdit());
  if (!writer.ok()) {
    return writer.status().WithContext("creating manifest " + ManifestFileName(number));
  }
  Status published = manifest::WriteCurrent(env_, dir_, number);
  if (!published.ok()) {
    // CURRENT may now name either manifest: appending to either, or publishing again over a
    // directory whose fsync failed, could be what a recovery does not see. Stop editing; the
    // next open decides from what is on disk.
    current_error_ = published.WithContext("publishing CURRENT");
    return current_error_;
  }
  // The old manifest is obsolete once CURRENT names the new one; the collector deletes it.
  CloseManifest();
  manifest_ = std::move(writer).value();
  manifest_number_ = number;
  return Status::OK();
}

Status VersionSet::Create(const record::DbId& db_id) {
  MutexLock lock(&mu_);
  db_id_ = db_id;
  return RollOver();
}

Status VersionSet::Recover(const record::DbId& db_id, ManifestState* state) {
  MutexLock lock(&mu_);
  db_id_ = db_id;
  uint64_t number = 0;
  CAIRN_RETURN_IF_ERROR(manifest::ReadCurrent(env_, dir_, &number));
  VersionBuilder builder(nullptr);
  uint64_t next_file = 0;
  // The callback gathers into locals: it runs under mu_, but as a lambda it is a function
  // of its own to the thread-safety analysis, which cannot see that.
  uint64_t log_number = log_number_;
  uint64_t last_sequence = last_sequence_;
  uint64_t last_commit_micros = last_commit_micros_;
  std::set<uint64_t> live_wals;
  manifest::ManifestReadReport report;
  Status s = manifest::ReadManifest(
      env_, dir_, ManifestFileName(number), db_id, manifest::ManifestReadMode::kRecover,
      [&](const VersionEdit& edit, uint64_t offset) {
        Status applied = builder.Apply(edit);
        if (!applied.ok()) {
          return applied.WithContext(ManifestFileName(number) + " offset " +
                                     std::to_string(offset));
        }
        if (edit.log_number) log_number = std::max(log_number, *edit.log_number);
        if (edit.next_file_number) next_file = std::max(next_file, *edit.next_file_number);
        if (edit.last_sequence) last_sequence = std::max(last_sequence, *edit.last_sequence);
        if (edit.last_commit_micros) {
          last_commit_micros = std::max(last_commit_micros, *edit.last_commit_micros);
        }
        live_wals.insert(edit.added_wals.begin(), edit.added_wals.end());
        return Status::OK();
      },
      &report);
  log_number_ = log_number;
  last_sequence_ = last_sequence;
  last_commit_micros_ = last_commit_micros;
  live_wals_.insert(live_wals.begin(), live_wals.end());
  CAIRN_RETURN_IF_ERROR(s);
  if (report.torn_tail) {
    state->events.push_back("cut torn tail of " + ManifestFileName(number) + " at offset " +
                            std::to_string(report.torn_tail_offset) + " (" +
                            report.torn_tail_reason + ")");
  }
  live_wals_.erase(live_wals_.begin(), live_wals_.lower_bound(log_number_));
  MarkFileNumberUsed(std::max(next_file, number + 1) - 1);
  auto version = builder.Build([this](const SegmentMeta& meta) { return OpenSegment(meta); });
  if (!version.ok()) {
    return version.status();
  }
  Install(std::move(version).value());
  state->log_number = log_number_;
  state->expected_wals = live_wals_;
  state->last_sequence = last_sequence_;
  state->last_commit_micros = last_commit_micros_;
  return Status::OK();
}

Status VersionSet::FinishRecovery(const std::vector<uint64_t>& dropped_wals) {
  MutexLock lock(&mu_);
  for (uint64_t dropped : dropped_wals) {
    live_wals_.erase(dropped);
  }
  // Continue in a fresh manifest: the old one may end in a cut tail, and it may list a WAL
  // that recovery is about to remove.
  return RollOver();
}

Status VersionSet::LogAndApply(VersionEdit edit, uint64_t last_sequence,
                               uint64_t last_commit_micros) {
  MutexLock lock(&mu_);
  CAIRN_RETURN_IF_ERROR(current_error_);
  VersionBuilder builder(current_);
  CAIRN_RETURN_IF_ERROR(builder.Apply(edit));
  // Open added segments before the edit is durable: a file that cannot be read must never be
  // recorded as live.
  auto version = builder.Build([this](const SegmentMeta& meta) { return OpenSegment(meta); });
  if (!version.ok()) {
    return version.status();
  }
  last_sequence_ = std::max(last_sequence_, last_sequence);
  last_commit_micros_ = std::max(last_commit_micros_, last_commit_micros);
  edit.last_sequence = last_sequence_;
  edit.last_commit_micros = last_commit_micros_;
  edit.next_file_number = next_file_number_.load();
  if (manifest_ == nullptr || manifest_->poisoned() ||
      manifest_->size_bytes() >= kManifestRolloverBytes) {
    // A poisoned manifest's last edit has an unknown outcome; the new manifest's snapshot
    // states what is true, and CURRENT switches to it atomically.
    CAIRN_RETURN_IF_ERROR(RollOver());
  }
  CAIRN_RETURN_IF_ERROR(manifest_->Append(edit));
  if (edit.log_number) {
    log_number_ = std::max(log_number_, *edit.log_number);
  }
  live_wals_.insert(edit.added_wals.begin(), edit.added_wals.end());
  live_wals_.erase(live_wals_.begin(), live_wals_.lower_bound(log_number_));
  Install(std::move(version).value());
  return Status::OK();
}

}  // namespace cairn
