// Helpers built on Env that every subsystem shares. The one way Cairn publishes a metadata
// file lives here, so the order of its steps is written once.
#ifndef CAIRN_ENV_ENV_UTIL_H_
#define CAIRN_ENV_ENV_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/env.h"

namespace cairn {

// Publishes `contents` as `dir`/`name`, atomically and durably:
//   1. write `dir`/`name`.tmp and fdatasync it;
//   2. rename it over `dir`/`name`;
//   3. fsync `dir`.
// A crash before step 3 completes leaves either the old file or the new one, never a mix
// (or no file, if there was no old one). On OK the new content is durable, provided `dir`
// itself is durable (see CreateDirDurably). On error the temporary file may remain; it is
// Cairn's to remove at the next open. Errors carry the context "publish <dir>/<name>".
Status PublishFile(Env* env, const std::string& dir, const std::string& name,
                   std::string_view contents);

// Creates (or truncates) the file at `path`, writes `size_bytes` zero bytes and fdatasyncs
// it, so its size and extents are durable before anything relies on them. A failed close
// after the sync loses nothing: it is not returned but left in *close_error (for the LOG).
Status WriteZeroFilledFile(Env* env, const std::string& path, uint64_t size_bytes,
                           Status* close_error);

// Reads a whole file. Corruption if it is larger than `max_size_bytes` (checked before
// anything is allocated); NotFound if it does not exist.
Result<std::string> ReadWholeFile(Env* env, const std::string& path, uint64_t max_size_bytes);

// Creates `dir` and makes it durable: creates it, fsyncs it, and fsyncs its parent. OK if it
// exists already (it is fsynced again, with its parent, so an earlier crash cannot leave it
// unsynced).
Status CreateDirDurably(Env* env, const std::string& dir);

// "a/b" + "c" -> "a/b/c".
std::string JoinPath(const std::string& dir, std::string_view name);
// The directory part of a path ("/a/b/c" -> "/a/b"; "c" -> "."; "/c" -> "/").
std::string ParentDir(const std::string& path);

}  // namespace cairn

#endif  // CAIRN_ENV_ENV_UTIL_H_
