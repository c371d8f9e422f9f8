// VersionSet: the database's durable file state — the current Version, the manifest that
// records it, and the counters every edit carries (file numbers, last sequence, commit time).
//
// Protocol for every change (docs/durability.md, "Manifest edits"):
//   1. the caller has made every new file durable (file fdatasync, directory fsync);
//   2. LogAndApply appends the edit to the manifest and fdatasyncs it;
//   3. only then is the new Version installed and returned by current();
//   4. only after that may the caller (the file collector) delete what the edit replaced.
// A failed append poisons the manifest writer (its outcome is unknown; fsync is never
// retried); the next LogAndApply first rolls over to a new manifest holding a snapshot of the
// state it knows, publishes CURRENT, and then appends. While the manifest is unhealthy the
// collector deletes nothing, because the failed edit may yet be what a recovery reads.
//
// Thread safety: all methods are thread-safe; LogAndApply calls are serialised internally.
#ifndef CAIRN_MANIFEST_VERSION_SET_H_
#define CAIRN_MANIFEST_VERSION_SET_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <set>
#include <string>

#include "cairn/env.h"
#include "cairn/options.h"
#include "manifest/manifest_writer.h"
#include "manifest/version.h"
#include "segment/block_cache.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace cairn {

// What the manifest says about the WAL and the counters, for recovery.
struct ManifestState {
  uint64_t log_number = 0;           // WALs below this are obsolete
  std::set<uint64_t> expected_wals;  // WALs >= log_number the manifest recorded as created
  uint64_t last_sequence = 0;
  uint64_t last_commit_micros = 0;
  std::vector<std::string> events;  // repairs made while reading (a torn manifest tail)
};

class VersionSet {
 public:
  // `log` receives lines for the info log (errors that lose nothing, such as closing a
  // manifest whose edits were all synced).
  VersionSet(Env* env, std::string dir, const Options& options, segment::BlockCache* block_cache,
             std::function<void(const std::string&)> log);
  ~VersionSet();

  // A new database: writes the first manifest and publishes CURRENT.
  Status Create(const record::DbId& db_id);

  // An existing database: reads CURRENT and the manifest (cutting a torn tail), and opens
  // every live segment. Call FinishRecovery() once the WAL is recovered. Missing CURRENT is
  // NotFound (the caller decides whether that is Corruption); a segment the manifest lists but the
  // directory lacks is Corruption naming it.
  Status Recover(const record::DbId& db_id, ManifestState* state);

  // Ends recovery: starts a new manifest whose snapshot no longer lists `dropped_wals` (WALs
  // recovery removed or quarantined, and a WAL holding no record that the caller removes
  // next; 0 entries are ignored). Until this returns OK, the caller must not remove that WAL.
  Status FinishRecovery(const std::vector<uint64_t>& dropped_wals);

  // Reserves a file number (WAL, segment or manifest).
  uint64_t NewFileNumber() { return next_file_number_.fetch_add(1); }
  // Makes sure numbers below `number` are never handed out.
  void MarkFileNumberUsed(uint64_t number);

  // Fills in the counters and appends `edit` durably, then installs the new Version (opening
  // added segments; they must exist). Returns the manifest or build error; on error the
  // current Version is unchanged.
  Status LogAndApply(VersionEdit edit, uint64_t last_sequence, uint64_t last_commit_micros);

  std::shared_ptr<const Version> current() const;
  uint64_t log_number() const;
  uint64_t manifest_number() const;
  bool manifest_healthy() const;

  // Every segment number a live Version (the current one, or an older one still held by a
  // reader) lists.
  std::set<uint64_t> LiveSegmentNumbers() const;

 private:
  Result<std::shared_ptr<Version>> BuildVersion(const std::shared_ptr<const Version>& base,
                                                const VersionEdit& edit);
  Result<std::shared_ptr<Segment>> OpenSegment(const SegmentMeta& meta);
  VersionEdit SnapshotEdit() const REQUIRES(mu_);
  Status RollOver() REQUIRES(mu_);
  void CloseManifest() REQUIRES(mu_);
  void Install(std::shared_ptr<const Version> version) REQUIRES(mu_);

  Env* const env_;
  const std::string dir_;
  const Options& options_;
  segment::BlockCache* const block_cache_;
  const std::function<void(const std::string&)> log_;

  std::atomic<uint64_t> next_file_number_{1};
  mutable Mutex mu_;  // serialises edits
  record::DbId db_id_ GUARDED_BY(mu_) = {};
  std::unique_ptr<manifest::ManifestWriter> manifest_ GUARDED_BY(mu_);
  uint64_t manifest_number_ GUARDED_BY(mu_) = 0;
  std::shared_ptr<const Version> current_ GUARDED_BY(mu_);
  std::list<std::weak_ptr<const Version>> live_versions_ GUARDED_BY(mu_);
  uint64_t log_number_ GUARDED_BY(mu_) = 0;
  std::set<uint64_t> live_wals_ GUARDED_BY(mu_);  // recorded WALs >= log_number_
  uint64_t last_sequence_ GUARDED_BY(mu_) = 0;
  uint64_t last_commit_micros_ GUARDED_BY(mu_) = 0;
  Status current_error_ GUARDED_BY(mu_);  // a failed CURRENT publish: sticky, no more edits
};

}  // namespace cairn

#endif  // CAIRN_MANIFEST_VERSION_SET_H_
