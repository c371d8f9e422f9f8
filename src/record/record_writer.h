// RecordWriter: appends records to one record file (a WAL or a manifest) and syncs it.
//
// The writer never buffers: each Write() is one write(2) of the bytes the caller assembled
// (group commit hands it a whole group at once), so "returned from Write" means "in the OS".
// It tracks two offsets:
//   - written_offset: bytes handed to the OS;
//   - synced_offset:  bytes known durable (the last Sync() returned OK covering them).
// Records encoded by AppendRecord() carry synced_offset, which is how recovery tells a torn
// tail from lost acknowledged data (docs/format-wal.md).
//
// A failed Write or Sync poisons the writer: the outcome of the bytes is unknown, and fsync
// is never retried (Linux may have dropped the dirty pages). Every later call returns the
// first error.
//
// Thread safety: AppendRecord, Write and Close are for one thread at a time (the group-commit
// leader). Sync may also be called from one other thread (the background syncer) while the
// leader writes: syncs are serialised by the writer, so a failed fdatasync is always seen by
// every later Sync and Write (two concurrent fdatasyncs on one descriptor could report one
// error to only one of them). A Sync covers at least every byte written before it began.
#ifndef CAIRN_RECORD_RECORD_WRITER_H_
#define CAIRN_RECORD_RECORD_WRITER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/env.h"
#include "cairn/status.h"
#include "record/record_format.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace cairn::record {

class RecordWriter {
 public:
  // Creates the file at `path`, writes its header, fdatasyncs it, then fsyncs `dir` so the
  // new name is durable before any record in it is acknowledged. `header.magic` selects the kind
  // of file (the WAL's or the manifest's).
  static Result<std::unique_ptr<RecordWriter>> Create(Env* env, const std::string& dir,
                                                      const std::string& path,
                                                      const FileHeader& header);

  // Recycles the obsolete file `pooled_path` as the file at `path`, overwriting it from offset 0
  // without truncation (Env::ReuseWritableFile): writes the new header over the old one and
  // fdatasyncs it while the file still has its old, obsolete name (which recovery ignores),
  // then renames it to `path` and fsyncs `dir`. The bytes after the header are the file's
  // previous life until records overwrite them; their checksums are bound to the old file
  // number, so they never validate as records of this one (docs/format-wal.md, "Recycled
  // files"). NotSupported if the Env cannot reuse files.
  static Result<std::unique_ptr<RecordWriter>> Reuse(Env* env, const std::string& dir,
                                                     const std::string& pooled_path,
                                                     const std::string& path,
                                                     const FileHeader& header);

  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  // Encodes one record at the end of `*buffer`, stamped with the current synced offset. The
  // caller passes the whole buffer to the very next Write(), which places its first byte at
  // written_offset(): the record's checksum is bound to that position. Does no I/O.
  void AppendRecord(RecordType type, uint64_t first_seq, uint32_t seq_count, uint64_t commit_micros,
                    std::string_view payload, std::string* buffer) const;

  // Writes `bytes` (one or more encoded records) with one write(2).
  Status Write(std::string_view bytes);

  // fdatasync: makes everything written so far durable. A no-op when nothing new was written.
  Status Sync();

  // Makes the file end durably at its last record, before a successor receives records (or at
  // close): a plain Sync(), except that a recycled file whose previous life extends past the
  // bytes written is first cut there (Env::TruncateFile, which also syncs everything), so the
  // file of a WAL that is not the newest ends exactly at its last record, as recovery
  // requires (docs/format-wal.md, "Recycled files"). Writing after Finish is a caller bug.
  Status Finish(Env* env);

  // Closes the file (waiting for a concurrent Sync). Does not sync.
  Status Close();

  uint64_t written_offset() const { return written_offset_.load(std::memory_order_acquire); }
  uint64_t synced_offset() const { return synced_offset_.load(std::memory_order_acquire); }
  uint64_t unsynced_bytes() const { return written_offset() - synced_offset(); }
  uint64_t file_number() const { return file_number_; }
  bool poisoned() const { return poisoned_.load(std::memory_order_acquire); }
  // The sticky error. Stable once poisoned() returned true (it is set once and never
  // changes), so read it only after that, or from the thread that writes. Unlocked on
  // purpose: poisoned_'s release store publishes error_, which the analysis cannot express.
  const Status& error() const NO_THREAD_SAFETY_ANALYSIS { return error_; }
  const std::string& path() const { return path_; }

 private:
  RecordWriter(std::unique_ptr<WritableFile> file, std::string path, uint64_t file_number,
               uint32_t checksum_seed, uint64_t offset, uint64_t previous_life_bytes);

  // Records `s` as the sticky error unless one is set; returns the sticky error.
  Status Poison(const Status& s);

  std::unique_ptr<WritableFile> file_;  // guarded by sync_mu_ for Close against Sync
  const std::string path_;
  const uint64_t file_number_;
  const uint32_t checksum_seed_;
  // A recycled file's size when it was reused (0 for a new file): bytes past written_offset_
  // and below this are the previous life's, until overwritten or cut by Finish.
  uint64_t previous_life_bytes_ GUARDED_BY(sync_mu_);
  std::atomic<uint64_t> written_offset_;      // written by the writing thread only
  std::atomic<uint64_t> synced_offset_;       // written under sync_mu_
  Mutex sync_mu_ ACQUIRED_BEFORE(error_mu_);  // one fdatasync at a time; held across it
  mutable Mutex error_mu_;
  Status error_ GUARDED_BY(error_mu_);  // first failure; sticky
  std::atomic<bool> poisoned_{false};   // error_ is set
};

}  // namespace cairn::record

#endif  // CAIRN_RECORD_RECORD_WRITER_H_
