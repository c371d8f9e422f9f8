// RecordReader: reads and validates the records of one record file (a WAL or a
// manifest), and classifies damage.
//
// The reader never trusts a byte before checking it: a record's length is checked against
// the format's bound and the bytes left in the file before anything is read or allocated;
// its checksum covers the header and the payload; a record may not claim a synced offset
// past its own start. Reads go through a read-ahead window so replay is sequential I/O.
//
// Thread safety: one thread at a time.
#ifndef CAIRN_RECORD_RECORD_READER_H_
#define CAIRN_RECORD_RECORD_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "cairn/env.h"
#include "cairn/status.h"
#include "record/record_format.h"

namespace cairn::record {

// What lies after the first damaged byte range of a file, learned by looking for intact
// records at every later byte offset.
struct DamageScan {
  uint64_t intact_records_after = 0;
  // The largest synced offset claimed by an intact record after the damage (0 if none). If it
  // exceeds the damage offset, the damaged bytes had been acknowledged as durable.
  uint64_t max_synced_offset_after = 0;
  // Sequence numbers seen in intact records after the damage (valid if intact_records_after).
  uint64_t min_seq_after = 0;
  uint64_t max_seq_after = 0;
};

class RecordReader {
 public:
  // Opens `path` for reading. NotFound or IOError from the Env.
  static Result<std::unique_ptr<RecordReader>> Open(Env* env, const std::string& path);

  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  uint64_t file_size() const { return file_size_; }

  // Reads and checks the file header. Corruption names what is wrong. Positions the record
  // cursor after the header.
  Status ReadHeader(std::string_view expected_magic, FileHeader* header);

  enum class Outcome {
    kRecord,  // *record holds the next valid record
    kEnd,     // the cursor is exactly at the end of the file
    kDamage,  // the bytes at damage_offset() are not a valid record; see damage_reason()
  };

  // Reads the record at the cursor and advances past it. A non-OK status is an I/O error
  // (not damage); on OK, *outcome says what was found.
  Status Next(Record* record, Outcome* outcome);

  // Valid after Next() returned kDamage.
  uint64_t damage_offset() const { return damage_offset_; }
  const std::string& damage_reason() const { return damage_reason_; }
  // Whether the damage is only a record cut short by the end of the file (an incomplete
  // final record), as opposed to bytes that fail validation.
  bool damage_is_truncation() const { return damage_is_truncation_; }

  // Looks at every byte offset after `damage_offset` for intact records. Records are checked
  // against their file's identity, so without a header read by ReadHeader none is found.
  Status ScanAfterDamage(uint64_t damage_offset, DamageScan* scan);

 private:
  RecordReader(std::unique_ptr<ReadableFile> file, std::string path, uint64_t file_size);

  // Points *out at up to `n` bytes at `offset` (fewer only at end of file).
  Status Fetch(uint64_t offset, size_t n, std::string_view* out);
  // Tries to decode a record at `offset`. OK with *valid=false for anything invalid, with
  // the reason in *reason and *truncated set when the file ends inside the record.
  Status TryRecordAt(uint64_t offset, Record* record, bool* valid, std::string* reason,
                     bool* truncated);

  std::unique_ptr<ReadableFile> file_;
  const std::string path_;
  const uint64_t file_size_;
  uint64_t cursor_ = 0;

  std::string window_;          // read-ahead buffer
  uint64_t window_offset_ = 0;  // file offset of window_[0]
  size_t window_size_ = 0;      // valid bytes in window_

  uint32_t checksum_seed_ = 0;  // from the header (records are bound to their file)
  bool header_read_ = false;
  uint64_t damage_offset_ = 0;
  std::string damage_reason_;
  bool damage_is_truncation_ = false;
};

}  // namespace cairn::record

#endif  // CAIRN_RECORD_RECORD_READER_H_
