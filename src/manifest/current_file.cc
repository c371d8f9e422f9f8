#include "manifest/current_file.h"

#include <cassert>
#include <cstdio>

#include "env/env_util.h"
#include "manifest/manifest_format.h"
#include "util/crc32c.h"
#include "util/filename.h"

namespace cairn::manifest {
namespace {

constexpr std::string_view kManifestLinePrefix = "manifest ";
constexpr std::string_view kCrcLinePrefix = "crc32c ";
constexpr size_t kCrcHexDigits = 8;

std::string CrcLine(std::string_view covered) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", crc32c::Value(covered));
  return std::string(kCrcLinePrefix) + buf + "\n";
}

// Parses exactly 8 lowercase hex digits.
bool ParseHex32(std::string_view digits, uint32_t* value) {
  if (digits.size() != kCrcHexDigits) {
    return false;
  }
  uint32_t result = 0;
  for (char c : digits) {
    uint32_t nibble = 0;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<uint32_t>(c - 'a' + 10);
    } else {
      return false;
    }
    result = (result << 4) | nibble;
  }
  *value = result;
  return true;
}

// Parses a decimal version of 1 to 9 digits.
bool ParseVersion(std::string_view digits, uint32_t* version) {
  if (digits.empty() || digits.size() > 9) {
    return false;
  }
  uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  *version = value;
  return true;
}

// Splits off the last line (which must end the content with '\n'): *body is everything
// before it, *last the line without its newline.
bool SplitLastLine(std::string_view contents, std::string_view* body, std::string_view* last) {
  if (contents.empty() || contents.back() != '\n') {
    return false;
  }
  std::string_view without_newline = contents.substr(0, contents.size() - 1);
  size_t previous_newline = without_newline.rfind('\n');
  if (previous_newline == std::string_view::npos) {
    return false;
  }
  *body = contents.substr(0, previous_newline + 1);
  *last = without_newline.substr(previous_newline + 1);
  return true;
}

}  // namespace

std::string EncodeCurrent(uint64_t manifest_number) {
  assert(manifest_number > 0);
  std::string body = std::string(kCurrentFirstLinePrefix) + std::to_string(kCurrentFormatVersion) +
                     "\n" + std::string(kManifestLinePrefix) + ManifestFileName(manifest_number) +
                     "\n";
  return body + CrcLine(body);
}

Status DecodeCurrent(std::string_view contents, uint64_t* manifest_number) {
  if (contents.size() > kMaxCurrentFileBytes) {
    return Status::Corruption("CURRENT: " + std::to_string(contents.size()) +
                              " bytes, more than any CURRENT");
  }
  std::string_view body;
  std::string_view crc_line;
  uint32_t stored_crc = 0;
  if (!SplitLastLine(contents, &body, &crc_line) || !crc_line.starts_with(kCrcLinePrefix) ||
      !ParseHex32(crc_line.substr(kCrcLinePrefix.size()), &stored_crc)) {
    return Status::Corruption("CURRENT: malformed (no checksum line)");
  }
  if (stored_crc != crc32c::Value(body)) {
    return Status::Corruption("CURRENT: checksum mismatch");
  }
  // The checksum holds, so the version line is what the writer wrote.
  size_t first_newline = body.find('\n');
  std::string_view first_line = body.substr(0, first_newline);
  uint32_t version = 0;
  if (!first_line.starts_with(kCurrentFirstLinePrefix) ||
      !ParseVersion(first_line.substr(kCurrentFirstLinePrefix.size()), &version) || version == 0) {
    return Status::Corruption("CURRENT: bad first line");
  }
  if (version > kCurrentFormatVersion) {
    return Status::NotSupported("CURRENT: format version " + std::to_string(version) +
                                " (this build reads version " +
                                std::to_string(kCurrentFormatVersion) + ")");
  }
  std::string_view manifest_line = body.substr(first_newline + 1);
  FileType type;
  uint64_t number = 0;
  if (!manifest_line.starts_with(kManifestLinePrefix) || !manifest_line.ends_with('\n') ||
      !ParseFileName(manifest_line.substr(kManifestLinePrefix.size(),
                                          manifest_line.size() - kManifestLinePrefix.size() - 1),
                     &type, &number) ||
      type != FileType::kManifest) {
    return Status::Corruption("CURRENT: second line does not name a manifest file");
  }
  *manifest_number = number;
  return Status::OK();
}

Status WriteCurrent(Env* env, const std::string& dir, uint64_t manifest_number) {
  assert(manifest_number > 0);
  if (manifest_number == 0) {
    return Status::InvalidArgument("CURRENT cannot name manifest 0");
  }
  return PublishFile(env, dir, std::string(kCurrentFileName), EncodeCurrent(manifest_number));
}

Status ReadCurrent(Env* env, const std::string& dir, uint64_t* manifest_number) {
  const std::string path = JoinPath(dir, kCurrentFileName);
  // One byte over the limit, so an oversized file reaches DecodeCurrent's size check
  // instead of being cut; ReadWholeFile refuses anything larger before allocating.
  Result<std::string> contents = ReadWholeFile(env, path, kMaxCurrentFileBytes + 1);
  if (!contents.ok()) {
    if (contents.status().IsCorruption()) {
      return Status::Corruption(path + ": larger than any CURRENT");
    }
    return contents.status();
  }
  Status s = DecodeCurrent(contents.value(), manifest_number);
  if (!s.ok()) {
    return s.WithContext(path);
  }
  return Status::OK();
}

}  // namespace cairn::manifest
