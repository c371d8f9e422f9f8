#include "util/filename.h"

#include <cstdio>

namespace cairn {
namespace {

// Parses a decimal file number of at least 6 digits, without overflow.
bool ParseNumber(std::string_view digits, uint64_t* number) {
  if (digits.size() < 6 || digits.size() > 19) {
    return false;
  }
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = value;
  return value > 0;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string WalFileName(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%06llu.wal", static_cast<unsigned long long>(number));
  return buf;
}

std::string SegmentFileName(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%06llu.seg", static_cast<unsigned long long>(number));
  return buf;
}

std::string ManifestFileName(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%06llu.manifest", static_cast<unsigned long long>(number));
  return buf;
}

bool ParseFileName(std::string_view name, FileType* type, uint64_t* number) {
  *number = 0;
  if (name == kIdentityFileName) {
    *type = FileType::kIdentity;
    return true;
  }
  if (name == kLockFileName) {
    *type = FileType::kLock;
    return true;
  }
  if (name == kInfoLogFileName) {
    *type = FileType::kInfoLog;
    return true;
  }
  if (name == kInfoLogOldFileName) {
    *type = FileType::kInfoLogOld;
    return true;
  }
  if (name == kCurrentFileName) {
    *type = FileType::kCurrent;
    return true;
  }
  if (EndsWith(name, ".tmp")) {
    // Only temporaries of Cairn's own published files.
    std::string_view base = name.substr(0, name.size() - 4);
    if (base == kIdentityFileName || base == kCurrentFileName) {
      *type = FileType::kTemp;
      return true;
    }
    // A zero-filled file being prepared as the WAL of that number
    // (WalManager::CreateFromBlankFile).
    if (EndsWith(base, ".wal") && ParseNumber(base.substr(0, base.size() - 4), number)) {
      *type = FileType::kTemp;
      return true;
    }
    return false;
  }
  if (EndsWith(name, ".wal.corrupt")) {
    if (ParseNumber(name.substr(0, name.size() - 12), number)) {
      *type = FileType::kQuarantined;
      return true;
    }
    return false;
  }
  if (EndsWith(name, ".wal")) {
    if (ParseNumber(name.substr(0, name.size() - 4), number)) {
      *type = FileType::kWal;
      return true;
    }
    return false;
  }
  if (EndsWith(name, ".manifest")) {
    if (ParseNumber(name.substr(0, name.size() - 9), number)) {
      *type = FileType::kManifest;
      return true;
    }
    return false;
  }
  if (EndsWith(name, ".seg")) {
    if (ParseNumber(name.substr(0, name.size() - 4), number)) {
      *type = FileType::kSegment;
      return true;
    }
    return false;
  }
  return false;
}

}  // namespace cairn
