// The publish protocol and other small helpers shared by every subsystem.
#include "env/env_util.h"

#include <algorithm>
#include <memory>

namespace cairn {
namespace {

// Writes and fdatasyncs `path`. The temporary name is never trusted by a reader, so on error
// the half-written file is simply left for the next open's cleanup.
Status WriteSyncedFile(Env* env, const std::string& path, std::string_view contents) {
  Result<std::unique_ptr<WritableFile>> file = env->NewWritableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  WritableFile& out = *file.value();
  Status s = out.Append(contents);
  if (s.ok()) {
    s = out.Sync();
  }
  if (!s.ok()) {
    // The first error is the one worth reporting; the file is abandoned either way.
    out.Close().IgnoreError();
    return s;
  }
  return out.Close();
}

}  // namespace

Status PublishFile(Env* env, const std::string& dir, const std::string& name,
                   std::string_view contents) {
  const std::string final_path = JoinPath(dir, name);
  const std::string temp_path = final_path + ".tmp";
  const std::string context = "publish " + final_path;
  // Step 1. The bytes must be durable before the name points at them: otherwise a crash
  // after step 3 could leave the new name on an empty or partial file.
  Status s = WriteSyncedFile(env, temp_path, contents);
  if (!s.ok()) {
    return s.WithContext(context);
  }
  // Step 2. rename(2) swaps the name atomically: a reader sees the old file or the new one.
  s = env->RenameFile(temp_path, final_path);
  if (!s.ok()) {
    return s.WithContext(context);
  }
  // Step 3. Until the directory is synced, a crash may bring back the old name.
  s = env->SyncDir(dir);
  if (!s.ok()) {
    return s.WithContext(context);
  }
  return Status::OK();
}

Status WriteZeroFilledFile(Env* env, const std::string& path, uint64_t size_bytes,
                           Status* close_error) {
  constexpr size_t kChunkBytes = 1u << 20;
  Result<std::unique_ptr<WritableFile>> file = env->NewWritableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  const std::string zeros(static_cast<size_t>(std::min<uint64_t>(size_bytes, kChunkBytes)), '\0');
  Status s;
  for (uint64_t written = 0; s.ok() && written < size_bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size_bytes - written, zeros.size()));
    s = file.value()->Append(std::string_view(zeros.data(), n));
    written += n;
  }
  if (s.ok()) {
    s = file.value()->Sync();
  }
  *close_error = file.value()->Close();
  return s;
}

Result<std::string> ReadWholeFile(Env* env, const std::string& path, uint64_t max_size_bytes) {
  Result<std::unique_ptr<ReadableFile>> file = env->NewReadableFile(path);
  if (!file.ok()) {
    return file.status();
  }
  Result<uint64_t> size = file.value()->Size();
  if (!size.ok()) {
    return size.status();
  }
  // The size comes from the disk, so it is checked before it decides an allocation.
  if (size.value() > max_size_bytes || size.value() > std::string().max_size()) {
    return Status::Corruption(path + ": size " + std::to_string(size.value()) +
                              " bytes exceeds the limit of " + std::to_string(max_size_bytes));
  }
  std::string contents(static_cast<size_t>(size.value()), '\0');
  uint64_t offset = 0;
  while (offset < contents.size()) {
    std::string_view chunk;
    const size_t wanted = contents.size() - offset;
    CAIRN_RETURN_IF_ERROR(file.value()->Read(offset, wanted, contents.data() + offset, &chunk));
    if (chunk.data() != contents.data() + offset) {
      chunk.copy(contents.data() + offset, chunk.size());
    }
    offset += chunk.size();
    if (chunk.size() < wanted) {
      contents.resize(offset);  // the file shrank since Size(): return what is there
      break;
    }
  }
  return contents;
}

Status CreateDirDurably(Env* env, const std::string& dir) {
  CAIRN_RETURN_IF_ERROR(env->CreateDir(dir));
  // Syncing the new directory makes its own (empty) entry list durable; syncing the parent
  // makes the directory's name durable. Both are needed before anything is renamed into it.
  CAIRN_RETURN_IF_ERROR(env->SyncDir(dir));
  return env->SyncDir(ParentDir(dir));
}

std::string JoinPath(const std::string& dir, std::string_view name) {
  if (dir.empty()) {
    return std::string(name);
  }
  std::string path = dir;
  if (path.back() != '/') {
    path += '/';
  }
  path.append(name);
  return path;
}

std::string ParentDir(const std::string& path) {
  // Trailing slashes name the same directory ("/a/b/" is "/a/b").
  size_t end = path.find_last_not_of('/');
  if (end == std::string::npos) {
    return path.empty() ? "." : "/";
  }
  size_t slash = path.rfind('/', end);
  if (slash == std::string::npos) {
    return ".";
  }
  size_t parent_end = path.find_last_not_of('/', slash);
  if (parent_end == std::string::npos) {
    return "/";
  }
  return path.substr(0, parent_end + 1);
}

}  // namespace cairn
