// Encoding and validation of record file headers and record headers (record_format.h). Pure
// functions over bytes, shared by the writer, the reader and `cairn verify`; nothing here does I/O.
#ifndef CAIRN_RECORD_RECORD_CODEC_H_
#define CAIRN_RECORD_RECORD_CODEC_H_

#include <string>
#include <string_view>

#include "cairn/status.h"
#include "record/record_format.h"

namespace cairn::record {

// Appends the 56-byte header.
void EncodeFileHeader(const FileHeader& header, std::string* out);

// Decodes and checks a header: size, magic (must equal `expected_magic`), version, header
// size and checksum. Corruption (or NotSupported for a newer version) names what failed.
Status DecodeFileHeader(std::string_view bytes, std::string_view expected_magic,
                        FileHeader* header);

// Where a record lives. A record's checksum is seeded with its database id, its file number
// and its own offset, so a record's bytes copied anywhere else (inside a user's value, into
// another file) never validate there: recovery's search for intact records after damage
// cannot be fooled by data that merely contains record bytes.
struct RecordLocation {
  uint32_t seed = 0;    // RecordChecksumSeed(db id, file number)
  uint64_t offset = 0;  // file offset of the record's first byte
};
uint32_t RecordChecksumSeed(const DbId& db_id, uint64_t file_number);

// Appends one record (header and payload) that will live at `where`.
void EncodeRecord(RecordType type, uint64_t first_seq, uint32_t seq_count, uint64_t synced_offset,
                  uint64_t commit_micros, std::string_view payload, const RecordLocation& where,
                  std::string* out);

// Checks the fields of a 40-byte record header that can be checked without the payload:
// reserved bytes, type, and payload length against `max_payload_bytes` (the smaller of the
// format's limit and the bytes left in the file). On success fills every field of *record
// except `offset` and `payload`, and sets *payload_length and *stored_crc.
Status DecodeRecordHeader(std::string_view header, uint64_t max_payload_bytes, Record* record,
                          uint32_t* payload_length, uint32_t* stored_crc);

// Whether `stored_crc` matches the 40-byte header and the payload of a record at `where`.
bool RecordChecksumMatches(std::string_view header, std::string_view payload, uint32_t stored_crc,
                           const RecordLocation& where);

}  // namespace cairn::record

#endif  // CAIRN_RECORD_RECORD_CODEC_H_
