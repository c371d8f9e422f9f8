// WalWriter: appends records to one WAL file and syncs it.
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
// Thread safety: not thread-safe; the group-commit leader is the only user at any moment.
#ifndef CAIRN_WAL_WAL_WRITER_H_
#define CAIRN_WAL_WAL_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cairn/env.h"
#include "cairn/status.h"
#include "wal/wal_format.h"

namespace cairn::wal {

class WalWriter {
 public:
  // Creates the file at `path`, writes its header, fdatasyncs it, then fsyncs `dir` so the
  // new name is durable before any record in it is acknowledged. `magic` selects the kind of
  // log (the WAL's or, later, the manifest's).
  static Result<std::unique_ptr<WalWriter>> Create(Env* env, const std::string& dir,
                                                   const std::string& path,
                                                   const FileHeader& header);

  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Encodes one record at the end of `*buffer`, stamped with the current synced offset. The
  // caller passes the whole buffer to the very next Write(), which places its first byte at
  // written_offset(): the record's checksum is bound to that position. Does no I/O.
  void AppendRecord(RecordType type, uint64_t first_seq, uint32_t seq_count,
                    uint64_t commit_micros, std::string_view payload, std::string* buffer) const;

  // Writes `bytes` (one or more encoded records) with one write(2).
  Status Write(std::string_view bytes);

  // fdatasync: makes everything written so far durable. A no-op when nothing new was written.
  Status Sync();

  // Closes the file. Does not sync.
  Status Close();

  uint64_t written_offset() const { return written_offset_; }
  uint64_t synced_offset() const { return synced_offset_; }
  uint64_t file_number() const { return file_number_; }
  bool poisoned() const { return !error_.ok(); }
  const Status& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  WalWriter(std::unique_ptr<WritableFile> file, std::string path, uint64_t file_number,
            uint32_t checksum_seed, uint64_t offset);

  std::unique_ptr<WritableFile> file_;
  const std::string path_;
  const uint64_t file_number_;
  const uint32_t checksum_seed_;
  uint64_t written_offset_;
  uint64_t synced_offset_;
  Status error_;  // first failure; sticky
};

}  // namespace cairn::wal

#endif  // CAIRN_WAL_WAL_WRITER_H_
