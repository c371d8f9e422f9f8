// IDENTITY: the file that says "this directory is a Cairn database, and this is its id".
// Layout (36 bytes, docs/file-layout.md):
//   magic[8] = "CAIRNID1"  format_version:u32 = 1  reserved:u32 = 0  db_id[16]  crc:u32
// crc is the masked CRC32C of bytes [0, 32). Published with PublishFile (temp, fsync,
// rename, directory fsync) before any other file of the database is created, so a directory
// with Cairn data files but no IDENTITY has lost metadata: that is Corruption, never a new
// empty database.
#ifndef CAIRN_DB_IDENTITY_H_
#define CAIRN_DB_IDENTITY_H_

#include <string>
#include <string_view>

#include "cairn/env.h"
#include "cairn/status.h"
#include "record/record_format.h"

namespace cairn {

inline constexpr size_t kIdentityFileSize = 36;

std::string EncodeIdentity(const record::DbId& id);
Status DecodeIdentity(std::string_view bytes, record::DbId* id);

// Reads and checks `dir`/IDENTITY.
Status ReadIdentity(Env* env, const std::string& dir, record::DbId* id);
// Publishes a new IDENTITY durably.
Status WriteIdentity(Env* env, const std::string& dir, const record::DbId& id);

}  // namespace cairn

#endif  // CAIRN_DB_IDENTITY_H_
