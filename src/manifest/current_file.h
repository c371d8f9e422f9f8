// CURRENT: the file that names the live manifest.
//
// Its content is three lines of ASCII text, so an operator can read it with `cat`:
//
//   cairn-current v1
//   manifest 000012.manifest
//   crc32c 1b2c3d4e
//
// The last line is the CRC32C (Castagnoli, not masked, 8 lowercase hex digits) of every byte
// before it. Every future version keeps the first line's form "cairn-current vN" and the
// last line's form and meaning, so a reader checks the CRC before it trusts the version.
// CURRENT is replaced only through PublishFile (temp file CURRENT.tmp, fdatasync, rename,
// directory fsync): a crash leaves the old pointer or the new one, never a mix.
//
// A missing CURRENT is NotFound, and what that means is the caller's decision: with no
// other Cairn data file it is a new database; with segment or manifest files present it is
// lost metadata (Corruption), never a fresh database. Anything else wrong is Corruption
// (NotSupported for a higher version).
//
// Thread safety: the functions are stateless; the caller serialises writers.
#ifndef CAIRN_MANIFEST_CURRENT_FILE_H_
#define CAIRN_MANIFEST_CURRENT_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/env.h"
#include "cairn/status.h"

namespace cairn::manifest {

// The content of a CURRENT naming NNNNNN.manifest. Requires manifest_number > 0.
std::string EncodeCurrent(uint64_t manifest_number);

// Parses and checks CURRENT's content: size, line structure, checksum, version, and that the
// named file is a manifest ("NNNNNN.manifest", at least 6 digits, number > 0). Corruption
// says what failed; NotSupported for a version above kCurrentFormatVersion.
[[nodiscard]] Status DecodeCurrent(std::string_view contents, uint64_t* manifest_number);

// Publishes `dir`/CURRENT naming manifest `manifest_number` (PublishFile: on OK it is
// durable). The manifest must already be complete and durable (ManifestWriter::Create
// returned OK). Errors are the Env's, with context; on error CURRENT is the old one or the
// new one (decided by the next open), and CURRENT.tmp may remain for the next open to remove.
[[nodiscard]] Status WriteCurrent(Env* env, const std::string& dir, uint64_t manifest_number);

// Reads `dir`/CURRENT. NotFound if it does not exist; IOError from the Env; Corruption or
// NotSupported as DecodeCurrent, with the path in the message.
[[nodiscard]] Status ReadCurrent(Env* env, const std::string& dir, uint64_t* manifest_number);

}  // namespace cairn::manifest

#endif  // CAIRN_MANIFEST_CURRENT_FILE_H_
