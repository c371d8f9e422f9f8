// Every file Cairn creates in a database directory, named and parsed in one place, and
// described in one table (kFileTypes below): its name pattern, whether it holds user data,
// which component owns it, who deletes it and whether it may be recycled.
//
// Adding a FileType means adding its row (a static_assert fails otherwise) and deciding what
// each place that reads the type does with it: the collector (DBImpl::DeleteObsoleteFiles),
// open's cleanup and checks (db_open.cc), `verify` (db/verify.cc) and the kill points
// (KillPointEnv) each `switch` over every FileType without a default, and the build makes an
// unhandled enumerator an error (-Werror=switch), so none of them can forget the new type.
// The collector stays the one place that deletes files while the database is open.
//
// Any other name is not Cairn's, and Cairn never touches it.
#ifndef CAIRN_UTIL_FILENAME_H_
#define CAIRN_UTIL_FILENAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn {

// The values are indexes into kFileTypes, never written to disk.
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
inline constexpr size_t kFileTypeCount = static_cast<size_t>(FileType::kCurrent) + 1;

// The component that creates files of a type and decides how long they live.
enum class FileOwner {
  kOpen,        // DBImpl::Open: the identity, the directory lock, publish temporaries
  kInfoLog,     // db/info_log: the LOG and its rotation to LOG.old
  kWalManager,  // wal/wal_manager: WAL files and the zero-filled files that become them
  kRecovery,    // wal/wal_recovery (salvage): WALs set aside as damaged
  kJobs,        // flush and compaction (jobs/): segments
  kVersionSet,  // manifest/: manifest logs and CURRENT
};

// Who removes a file of a type from the directory.
enum class FileDeleter {
  kNever,        // Cairn never deletes it: it identifies the database, is its lock, or is
                 // evidence the operator must see (a quarantined WAL)
  kCollector,    // DBImpl::DeleteObsoleteFiles, once nothing references it
  kOpenCleanup,  // removed at open: what an interrupted publish or zero-fill left behind
  kOwner,        // replaced in place by its owner (LOG rotation; CURRENT's atomic publish)
};

struct FileTypeInfo {
  FileType type;
  std::string_view pattern;  // NNNNNN: a file number of at least 6 digits
  bool numbered;             // the name carries a file number
  bool holds_data;           // holds user records: losing it loses acknowledged writes
  FileOwner owner;
  FileDeleter deleter;
  bool recyclable;  // an obsolete file may be overwritten in place as a new one of its type
};

inline constexpr std::array<FileTypeInfo, kFileTypeCount> kFileTypes = {{
    {FileType::kIdentity, "IDENTITY", false, false, FileOwner::kOpen, FileDeleter::kNever, false},
    {FileType::kLock, "LOCK", false, false, FileOwner::kOpen, FileDeleter::kNever, false},
    {FileType::kInfoLog, "LOG", false, false, FileOwner::kInfoLog, FileDeleter::kOwner, false},
    {FileType::kInfoLogOld, "LOG.old", false, false, FileOwner::kInfoLog, FileDeleter::kOwner,
     false},
    {FileType::kWal, "NNNNNN.wal", true, true, FileOwner::kWalManager, FileDeleter::kCollector,
     true},
    {FileType::kQuarantined, "NNNNNN.wal.corrupt", true, true, FileOwner::kRecovery,
     FileDeleter::kNever, false},
    // IDENTITY.tmp, CURRENT.tmp (env_util PublishFile) and NNNNNN.wal.tmp (a new WAL's zeros).
    {FileType::kTemp, "NAME.tmp", false, false, FileOwner::kOpen, FileDeleter::kOpenCleanup, false},
    {FileType::kSegment, "NNNNNN.seg", true, true, FileOwner::kJobs, FileDeleter::kCollector,
     false},
    {FileType::kManifest, "NNNNNN.manifest", true, false, FileOwner::kVersionSet,
     FileDeleter::kCollector, false},
    {FileType::kCurrent, "CURRENT", false, false, FileOwner::kVersionSet, FileDeleter::kOwner,
     false},
}};

constexpr bool FileTypeTableIsComplete() {
  for (size_t i = 0; i < kFileTypes.size(); i++) {
    if (static_cast<size_t>(kFileTypes[i].type) != i || kFileTypes[i].pattern.empty()) {
      return false;
    }
  }
  return true;
}
static_assert(FileTypeTableIsComplete(),
              "kFileTypes needs one row per FileType, in enum order: add the new type's row");

constexpr const FileTypeInfo& InfoOf(FileType type) {
  return kFileTypes[static_cast<size_t>(type)];
}

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
// set for numbered types (kWal, kQuarantined, kSegment, kManifest) and for the temporary
// NNNNNN.wal.tmp, else 0.
bool ParseFileName(std::string_view name, FileType* type, uint64_t* number);

}  // namespace cairn

#endif  // CAIRN_UTIL_FILENAME_H_
