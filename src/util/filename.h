// Every file Cairn creates in a database directory, named and parsed in one place.
//
//   IDENTITY            the database id (docs/file-layout.md)
//   LOCK                held with flock while a DB object has the directory open
//   LOG, LOG.old        the human-readable info log and its predecessor
//   NNNNNN.wal          a write-ahead log, NNNNNN its file number (at least 6 digits)
//   NNNNNN.wal.corrupt  a log quarantined by salvage recovery; never deleted by Cairn
//   NNNNNN.seg          a segment file (docs/format-segment.md)
//   NNNNNN.manifest     a manifest log (docs/format-manifest.md)
//   CURRENT             names the live manifest (docs/format-manifest.md)
//   NAME.tmp            a file being published (env_util PublishFile); removed at open
//                       (IDENTITY.tmp, CURRENT.tmp), or a zero-filled file becoming a new WAL
//                       (NNNNNN.wal.tmp)
//
// Any other name is not Cairn's, and Cairn never touches it.
#ifndef CAIRN_UTIL_FILENAME_H_
#define CAIRN_UTIL_FILENAME_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn {

enum class FileType {
  kIdentity,
  kLock,
  kInfoLog,
  kInfoLogOld,
  kWal,
  kQuarantined,
  kTemp,
  kSegment,
  kManifest,
  kCurrent,
};

inline constexpr std::string_view kIdentityFileName = "IDENTITY";
inline constexpr std::string_view kLockFileName = "LOCK";
inline constexpr std::string_view kInfoLogFileName = "LOG";
inline constexpr std::string_view kInfoLogOldFileName = "LOG.old";
inline constexpr std::string_view kCurrentFileName = "CURRENT";

// "000123.wal"
std::string WalFileName(uint64_t number);

// "000123.seg"
std::string SegmentFileName(uint64_t number);

// "000123.manifest"
std::string ManifestFileName(uint64_t number);

// Parses a directory entry name. Returns false for names that are not Cairn's. *number is
// set for numbered types (kWal, kQuarantined, kSegment, kManifest), else 0.
bool ParseFileName(std::string_view name, FileType* type, uint64_t* number);

}  // namespace cairn

#endif  // CAIRN_UTIL_FILENAME_H_
