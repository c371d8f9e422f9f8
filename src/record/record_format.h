// The record file framing shared by the WAL and the manifest (specs: docs/format-wal.md for
// the framing, docs/format-manifest.md for the manifest's use of it). Every constant here is
// written to disk: never renumber or change one; add a new format version instead.
//
//   file   := header record*
//   header := magic[8] format_version:u32 header_size:u32 file_number:u64
//             prev_file_number:u64 db_id[16] reserved:u32 header_crc:u32      (56 bytes)
//   record := crc:u32 payload_length:u32 type:u8 reserved[3] seq_count:u32
//             first_seq:u64 synced_offset:u64 commit_micros:u64
//             payload[payload_length]                                          (40 + n bytes)
//
// All integers little-endian. The magic says which kind of file this is (the WAL's
// "CAIRNWAL", wal/wal_format.h; the manifest's "CAIRNMAN", manifest/manifest_format.h).
// header_crc is the masked CRC32C of header bytes [0, 52).
// A record's crc is the masked CRC32C, seeded with CRC32C(db_id || file_number) from the
// file's header, of the record's own file offset (u64) followed by record bytes [4, 40) and
// the payload (record_codec.h). So a flipped bit anywhere in a record except its own crc
// field changes the check value, and a record's bytes copied to another offset, file or
// database never validate there.
// synced_offset is how many bytes of this file were known durable (fdatasync returned) when
// the record was written; recovery uses it to tell a torn tail from lost acknowledged data.
// commit_micros is the wall-clock commit time (microseconds since the Unix epoch, never
// decreasing within a database), which bounds the write time of every operation in the
// record; segments inherit it so time-based retention can judge whole files.
#ifndef CAIRN_RECORD_RECORD_FORMAT_H_
#define CAIRN_RECORD_RECORD_FORMAT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::record {

// Every file kind's magic is this long, so the header layout is shared.
inline constexpr size_t kMagicSize = 8;
inline constexpr uint32_t kFormatVersion = 1;

inline constexpr size_t kFileHeaderSize = 56;
inline constexpr size_t kFileHeaderCrcOffset = 52;
inline constexpr size_t kRecordHeaderSize = 40;

// Record types. Written to disk; never renumber.
enum class RecordType : uint8_t {
  kBatch = 1,         // WAL: a WriteBatch payload (docs/format-wal.md, "batch payload")
  kManifestEdit = 2,  // manifest: one encoded VersionEdit (docs/format-manifest.md)
};

inline bool IsKnownRecordType(uint8_t type) { return type == 1 || type == 2; }

using DbId = std::array<uint8_t, 16>;

struct FileHeader {
  std::string_view magic;  // kMagicSize bytes; set by the writer, checked by the reader
  uint64_t file_number = 0;
  uint64_t prev_file_number = 0;  // 0: the first file of its kind in the database
  DbId db_id{};
};

// A decoded record. `payload` points into the reader's buffer and is valid until the reader
// moves.
struct Record {
  RecordType type = RecordType::kBatch;
  uint32_t seq_count = 0;
  uint64_t first_seq = 0;
  uint64_t synced_offset = 0;
  uint64_t commit_micros = 0;
  uint64_t offset = 0;  // file offset of the record's first byte
  std::string_view payload;

  uint64_t end_offset() const { return offset + kRecordHeaderSize + payload.size(); }
  uint64_t last_seq() const { return seq_count == 0 ? first_seq : first_seq + seq_count - 1; }
};

}  // namespace cairn::record

#endif  // CAIRN_RECORD_RECORD_FORMAT_H_
