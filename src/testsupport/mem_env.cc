// MemEnv: a file-system tree in memory that remembers, separately, what is durable.
//
// Every file and directory is an Inode. A directory maps names to inodes twice: `live` is what
// operations see, `synced` is what the last SyncDir made durable. A file holds its current
// bytes and its durable bytes. A crash rebuilds the tree from the root by following only
// `synced` entries and taking only durable bytes; everything else is dropped. The rebuilt
// tree uses fresh inodes, so handles opened before the crash point at inodes nothing can
// reach any more; they are also refused outright by a generation check, which is clearer
// for whoever debugs a test than a write that silently goes nowhere.
//
// One mutex guards the whole tree. MemEnv is a test tool, so simplicity beats concurrency.
#include "testsupport/mem_env.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <utility>
#include <vector>

namespace cairn {

// The torn-write unit: the sector size a disk writes atomically.
constexpr uint64_t kTornUnitBytes = 512;

struct MemEnv::Inode {
  bool is_dir = false;

  // --- Files ---
  std::string current;
  // The durable bytes are current[0, durable_size) while durable_is_prefix holds (the common
  // append-only case, where a sync then costs O(1) instead of a copy), else `durable`.
  bool durable_is_prefix = true;
  uint64_t durable_size = 0;
  std::string durable;
  // The file was emptied by reopening it (O_TRUNC) since its last sync. Torn crashes let
  // that truncation reach the disk or not.
  bool truncated_since_sync = false;

  // --- Directories ---
  std::map<std::string, std::shared_ptr<Inode>> live;
  std::map<std::string, std::shared_ptr<Inode>> synced;

  std::string DurableContent() const {
    return durable_is_prefix ? current.substr(0, durable_size) : durable;
  }
  // Called before `current` changes other than by appending.
  void DetachDurable() {
    if (durable_is_prefix) {
      durable = current.substr(0, durable_size);
      durable_is_prefix = false;
    }
  }
  void MarkSynced() {
    durable_is_prefix = true;
    durable_size = current.size();
    std::string().swap(durable);
    truncated_since_sync = false;
  }
};

namespace {

using InodePtr = std::shared_ptr<MemEnv::Inode>;

Status CrashedError() { return Status::IOError("MemEnv crashed"); }

Status PathError(std::string_view op, const std::string& path, std::string_view reason,
                 bool not_found = false) {
  std::string msg = "MemEnv: ";
  msg.append(op).append(" ").append(path).append(": ").append(reason);
  return not_found ? Status::NotFound(msg) : Status::IOError(msg);
}

// An absolute path split into its components; the root has none.
Result<std::vector<std::string>> SplitPath(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return Status::InvalidArgument("MemEnv: path is not absolute: '" + path + "'");
  }
  std::vector<std::string> parts;
  size_t begin = 1;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos) {
      end = path.size();
    }
    std::string part = path.substr(begin, end - begin);
    if (part == "..") {
      // Supporting ".." would need parent pointers; no Cairn code builds such paths.
      return Status::InvalidArgument("MemEnv: '..' is not supported in '" + path + "'");
    }
    if (!part.empty() && part != ".") {
      parts.push_back(std::move(part));
    }
    begin = end + 1;
  }
  return parts;
}

std::string CanonicalPath(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    out += "/" + part;
  }
  return out.empty() ? "/" : out;
}

// The state shared by the env and every handle it gave out, so a handle that outlives its
// env stays memory-safe.
struct State {
  std::mutex mu;
  InodePtr root = std::make_shared<MemEnv::Inode>();
  bool crashed = false;
  bool crash_scheduled = false;
  uint64_t crash_at_sync_point = 0;
  uint64_t sync_points = 0;
  // Bumped by every Restart; handles and locks remember the generation they belong to.
  uint64_t generation = 0;
  std::set<std::string> locked_paths;
  std::mt19937_64 random{std::random_device{}()};

  State() { root->is_dir = true; }

  // Every operation starts here (with `mu` held).
  Status CheckRunning() const { return crashed ? CrashedError() : Status::OK(); }

  // Every sync point starts here instead: it may be the one scheduled to freeze.
  Status EnterSyncPoint() {
    CAIRN_RETURN_IF_ERROR(CheckRunning());
    if (crash_scheduled && sync_points >= crash_at_sync_point) {
      crashed = true;
      crash_scheduled = false;
      return CrashedError();
    }
    ++sync_points;
    return Status::OK();
  }

  Status CheckHandle(uint64_t handle_generation, const std::string& path) const {
    if (handle_generation != generation) {
      return PathError("use", path, "file handle opened before a crash");
    }
    return Status::OK();
  }

  // The inode reached by following the first `count` components through live entries.
  Result<InodePtr> Walk(const std::vector<std::string>& parts, size_t count, std::string_view op,
                        const std::string& path) const {
    InodePtr node = root;
    for (size_t i = 0; i < count; ++i) {
      if (!node->is_dir) {
        return PathError(op, path, "Not a directory");
      }
      auto it = node->live.find(parts[i]);
      if (it == node->live.end()) {
        return PathError(op, path, "No such file or directory", /*not_found=*/true);
      }
      node = it->second;
    }
    return node;
  }

  Result<InodePtr> Lookup(const std::string& path, std::string_view op) const {
    Result<std::vector<std::string>> parts = SplitPath(path);
    if (!parts.ok()) {
      return parts.status();
    }
    return Walk(parts.value(), parts.value().size(), op, path);
  }

  // The directory that holds the last component of `parts`.
  Result<InodePtr> ParentOf(const std::vector<std::string>& parts, std::string_view op,
                            const std::string& path) const {
    if (parts.empty()) {
      return Status::InvalidArgument("MemEnv: " + std::string(op) + " on the root directory");
    }
    Result<InodePtr> parent = Walk(parts, parts.size() - 1, op, path);
    if (parent.ok() && !parent.value()->is_dir) {
      return PathError(op, path, "Not a directory");
    }
    return parent;
  }

  Result<InodePtr> LookupFile(const std::string& path, std::string_view op) const {
    Result<InodePtr> node = Lookup(path, op);
    if (node.ok() && node.value()->is_dir) {
      return PathError(op, path, "Is a directory");
    }
    return node;
  }

  // Opens `path` for writing as open(O_CREAT|O_TRUNC) would.
  Result<InodePtr> CreateOrTruncate(const std::string& path, std::string_view op, bool truncate);
  void Restart(const CrashOptions& options);
};

Result<InodePtr> State::CreateOrTruncate(const std::string& path, std::string_view op,
                                         bool truncate) {
  Result<std::vector<std::string>> parts = SplitPath(path);
  if (!parts.ok()) {
    return parts.status();
  }
  Result<InodePtr> parent = ParentOf(parts.value(), op, path);
  if (!parent.ok()) {
    return parent.status();
  }
  auto& entries = parent.value()->live;
  auto it = entries.find(parts.value().back());
  if (it == entries.end()) {
    auto inode = std::make_shared<MemEnv::Inode>();
    entries.emplace(parts.value().back(), inode);
    return inode;
  }
  const InodePtr& inode = it->second;
  if (inode->is_dir) {
    return PathError(op, path, "Is a directory");
  }
  if (truncate && !inode->current.empty()) {
    // Reopening truncates the inode itself, as POSIX does, so every hard link sees it.
    inode->DetachDurable();
    inode->current.clear();
    inode->truncated_since_sync = true;
  }
  return inode;
}

// The content a file keeps through a torn crash; see CrashOptions.
std::string TornContent(const MemEnv::Inode& inode, std::mt19937_64* rng) {
  std::string base = inode.DurableContent();
  if (inode.truncated_since_sync && (*rng)() % 2 == 0) {
    base.clear();  // the unsynced truncation reached the disk
  }
  // The newest image: the current bytes, then whatever a longer base still holds past them.
  std::string newest = inode.current;
  if (base.size() > newest.size()) {
    newest.append(base, newest.size());
  }
  // The surviving length: the base length, a unit boundary in between, or the newest length.
  const uint64_t low = base.size();
  const uint64_t high = newest.size();
  const uint64_t first_boundary = (low / kTornUnitBytes + 1) * kTornUnitBytes;
  const uint64_t inner =
      first_boundary < high ? (high - 1 - first_boundary) / kTornUnitBytes + 1 : 0;
  const uint64_t choices = 1 + inner + (high > low ? 1 : 0);
  const uint64_t pick = (*rng)() % choices;
  uint64_t length = low;
  if (pick > inner) {
    length = high;
  } else if (pick > 0) {
    length = first_boundary + (pick - 1) * kTornUnitBytes;
  }
  // Within it, each unit that changed keeps its new bytes or its old ones (zeros past base).
  std::string out = newest.substr(0, length);
  for (uint64_t start = 0; start < length; start += kTornUnitBytes) {
    const uint64_t end = std::min(start + kTornUnitBytes, length);
    std::string old_unit(end - start, '\0');
    if (start < base.size()) {
      base.copy(old_unit.data(), std::min<uint64_t>(end, base.size()) - start, start);
    }
    if (out.compare(start, end - start, old_unit) != 0 && (*rng)() % 2 == 0) {
      out.replace(start, end - start, old_unit);
    }
  }
  return out;
}

// Copies what survives of `old` into a fresh inode. `copies` keeps hard links shared (and
// stops a cycle that directory renames could leave among synced entries).
InodePtr CopyDurable(const InodePtr& old, const CrashOptions& options, std::mt19937_64* rng,
                     std::map<const MemEnv::Inode*, InodePtr>* copies) {
  auto found = copies->find(old.get());
  if (found != copies->end()) {
    return found->second;
  }
  auto fresh = std::make_shared<MemEnv::Inode>();
  fresh->is_dir = old->is_dir;
  copies->emplace(old.get(), fresh);
  if (old->is_dir) {
    for (const auto& [name, child] : old->synced) {
      InodePtr copy = CopyDurable(child, options, rng, copies);
      fresh->live.emplace(name, copy);
      fresh->synced.emplace(name, copy);
    }
  } else {
    fresh->current = options.torn_writes ? TornContent(*old, rng) : old->DurableContent();
    fresh->MarkSynced();
  }
  return fresh;
}

void State::Restart(const CrashOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::map<const MemEnv::Inode*, InodePtr> copies;
  root = CopyDurable(root, options, &rng, &copies);
  crashed = false;
  crash_scheduled = false;
  ++generation;
  locked_paths.clear();
}

class MemWritableFile final : public WritableFile {
 public:
  // `overwrite`: writes start at offset 0 and replace the old bytes in place
  // (ReuseWritableFile); otherwise every write appends.
  MemWritableFile(std::shared_ptr<State> state, InodePtr inode, uint64_t generation,
                  std::string path, bool overwrite)
      : state_(std::move(state)),
        inode_(std::move(inode)),
        generation_(generation),
        path_(std::move(path)),
        overwrite_(overwrite) {}

  Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    CAIRN_RETURN_IF_ERROR(CheckUsable("append"));
    std::string& bytes = inode_->current;
    if (!overwrite_ || position_ >= bytes.size()) {
      if (overwrite_ && position_ > bytes.size()) {
        bytes.resize(position_, '\0');  // someone truncated the file under us
      }
      bytes.append(data);
    } else {
      // In-place overwrite: the durable image must stop aliasing `current` first.
      inode_->DetachDurable();
      const size_t in_place = std::min<uint64_t>(data.size(), bytes.size() - position_);
      bytes.replace(position_, in_place, data.substr(0, in_place));
      bytes.append(data.substr(in_place));
    }
    position_ += data.size();
    return Status::OK();
  }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    // A stale handle is refused before it counts, so a leaked old DB cannot shift the
    // sync-point numbering (or trigger the scheduled freeze) of the restarted one.
    CAIRN_RETURN_IF_ERROR(state_->CheckRunning());
    CAIRN_RETURN_IF_ERROR(state_->CheckHandle(generation_, path_));
    CAIRN_RETURN_IF_ERROR(state_->EnterSyncPoint());
    CAIRN_RETURN_IF_ERROR(CheckUsable("sync"));
    inode_->MarkSynced();
    return Status::OK();
  }

  Status Close() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    CAIRN_RETURN_IF_ERROR(state_->CheckRunning());
    CAIRN_RETURN_IF_ERROR(state_->CheckHandle(generation_, path_));
    closed_ = true;  // closing twice is harmless, as with PosixEnv
    return Status::OK();
  }

 private:
  Status CheckUsable(std::string_view op) const {
    CAIRN_RETURN_IF_ERROR(state_->CheckRunning());
    CAIRN_RETURN_IF_ERROR(state_->CheckHandle(generation_, path_));
    return closed_ ? PathError(op, path_, "file is closed") : Status::OK();
  }

  const std::shared_ptr<State> state_;
  const InodePtr inode_;
  const uint64_t generation_;
  const std::string path_;
  const bool overwrite_;
  uint64_t position_ = 0;  // next write offset in overwrite mode
  bool closed_ = false;
};

class MemReadableFile final : public ReadableFile {
 public:
  MemReadableFile(std::shared_ptr<State> state, InodePtr inode, uint64_t generation,
                  std::string path)
      : state_(std::move(state)),
        inode_(std::move(inode)),
        generation_(generation),
        path_(std::move(path)) {}

  Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    *result = std::string_view();
    CAIRN_RETURN_IF_ERROR(state_->CheckRunning());
    CAIRN_RETURN_IF_ERROR(state_->CheckHandle(generation_, path_));
    const std::string& bytes = inode_->current;
    if (offset >= bytes.size()) {
      return Status::OK();
    }
    const size_t count = std::min<uint64_t>(n, bytes.size() - offset);
    std::memcpy(scratch, bytes.data() + offset, count);
    *result = std::string_view(scratch, count);
    return Status::OK();
  }

  Result<uint64_t> Size() const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    CAIRN_RETURN_IF_ERROR(state_->CheckRunning());
    CAIRN_RETURN_IF_ERROR(state_->CheckHandle(generation_, path_));
    return static_cast<uint64_t>(inode_->current.size());
  }

 private:
  const std::shared_ptr<State> state_;
  const InodePtr inode_;
  const uint64_t generation_;
  const std::string path_;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::shared_ptr<State> state, std::string path, uint64_t generation)
      : state_(std::move(state)), path_(std::move(path)), generation_(generation) {}

  ~MemFileLock() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    // After a Restart the lock set was cleared and the path may be locked again by a new
    // DB; releasing it here would break that DB's exclusion.
    if (generation_ == state_->generation) {
      state_->locked_paths.erase(path_);
    }
  }

 private:
  const std::shared_ptr<State> state_;
  const std::string path_;
  const uint64_t generation_;
};

}  // namespace

class MemEnv::Impl {
 public:
  std::shared_ptr<State> state = std::make_shared<State>();
  // The simulated clock (UseSimulatedClock); unused while `simulated` is false.
  std::atomic<bool> simulated{false};
  std::atomic<uint64_t> simulated_wall_micros{0};
  std::atomic<uint64_t> simulated_monotonic_micros{0};
};

MemEnv::MemEnv() : impl_(std::make_unique<Impl>()) {}
MemEnv::~MemEnv() = default;

Result<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<InodePtr> inode = s.CreateOrTruncate(path, "open", /*truncate=*/true);
  if (!inode.ok()) {
    return inode.status();
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(
      impl_->state, std::move(inode).value(), s.generation, path, /*overwrite=*/false));
}

Result<std::unique_ptr<WritableFile>> MemEnv::ReuseWritableFile(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<InodePtr> inode = s.LookupFile(path, "open for reuse");
  if (!inode.ok()) {
    return inode.status();
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(impl_->state, std::move(inode).value(),
                                                           s.generation, path, /*overwrite=*/true));
}

Result<std::unique_ptr<ReadableFile>> MemEnv::NewReadableFile(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<InodePtr> inode = s.LookupFile(path, "open");
  if (!inode.ok()) {
    return inode.status();
  }
  return std::unique_ptr<ReadableFile>(
      new MemReadableFile(impl_->state, std::move(inode).value(), s.generation, path));
}

Result<bool> MemEnv::FileExists(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<InodePtr> node = s.Lookup(path, "stat");
  if (node.ok()) {
    return true;
  }
  if (node.status().IsInvalidArgument()) {
    return node.status();
  }
  return false;  // a missing component, or a file where a directory was expected (ENOTDIR)
}

Result<std::vector<std::string>> MemEnv::GetChildren(const std::string& dir) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<InodePtr> node = s.Lookup(dir, "opendir");
  if (!node.ok()) {
    return node.status();
  }
  if (!node.value()->is_dir) {
    return PathError("opendir", dir, "Not a directory");
  }
  std::vector<std::string> names;
  for (const auto& entry : node.value()->live) {
    names.push_back(entry.first);
  }
  return names;
}

Result<uint64_t> MemEnv::GetFileSize(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<InodePtr> inode = s.LookupFile(path, "stat");
  if (!inode.ok()) {
    return inode.status();
  }
  return static_cast<uint64_t>(inode.value()->current.size());
}

Status MemEnv::RemoveFile(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<std::vector<std::string>> parts = SplitPath(path);
  CAIRN_RETURN_IF_ERROR(parts.status());
  Result<InodePtr> parent = s.ParentOf(parts.value(), "unlink", path);
  CAIRN_RETURN_IF_ERROR(parent.status());
  auto& entries = parent.value()->live;
  auto it = entries.find(parts.value().back());
  if (it == entries.end()) {
    return PathError("unlink", path, "No such file or directory", /*not_found=*/true);
  }
  if (it->second->is_dir) {
    return PathError("unlink", path, "Is a directory");
  }
  entries.erase(it);  // the inode lives on in open handles, other links and synced entries
  return Status::OK();
}

Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  const std::string what = from + " to " + to;
  Result<std::vector<std::string>> from_parts = SplitPath(from);
  CAIRN_RETURN_IF_ERROR(from_parts.status());
  Result<std::vector<std::string>> to_parts = SplitPath(to);
  CAIRN_RETURN_IF_ERROR(to_parts.status());
  Result<InodePtr> from_dir = s.ParentOf(from_parts.value(), "rename", what);
  CAIRN_RETURN_IF_ERROR(from_dir.status());
  auto source = from_dir.value()->live.find(from_parts.value().back());
  if (source == from_dir.value()->live.end()) {
    return PathError("rename", what, "No such file or directory", /*not_found=*/true);
  }
  const InodePtr inode = source->second;
  Result<InodePtr> to_dir = s.ParentOf(to_parts.value(), "rename", what);
  CAIRN_RETURN_IF_ERROR(to_dir.status());
  auto target = to_dir.value()->live.find(to_parts.value().back());
  if (target != to_dir.value()->live.end()) {
    const InodePtr& existing = target->second;
    if (existing == inode) {
      return Status::OK();  // POSIX: two names of one inode; rename does nothing
    }
    if (existing->is_dir && !inode->is_dir) {
      return PathError("rename", what, "Is a directory");
    }
    if (!existing->is_dir && inode->is_dir) {
      return PathError("rename", what, "Not a directory");
    }
    if (existing->is_dir && !existing->live.empty()) {
      return PathError("rename", what, "Directory not empty");
    }
  }
  if (inode->is_dir) {
    const auto& f = from_parts.value();
    const auto& t = to_parts.value();
    if (t.size() > f.size() && std::equal(f.begin(), f.end(), t.begin())) {
      return PathError("rename", what, "Invalid argument (into itself)");
    }
  }
  from_dir.value()->live.erase(source);
  to_dir.value()->live[to_parts.value().back()] = inode;
  return Status::OK();
}

Status MemEnv::LinkFile(const std::string& from, const std::string& to) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  const std::string what = from + " to " + to;
  Result<InodePtr> inode = s.Lookup(from, "link");
  if (!inode.ok()) {
    return inode.status().IsNotFound()
               ? PathError("link", what, "No such file or directory", /*not_found=*/true)
               : inode.status();
  }
  if (inode.value()->is_dir) {
    return PathError("link", what, "Operation not permitted");
  }
  Result<std::vector<std::string>> to_parts = SplitPath(to);
  CAIRN_RETURN_IF_ERROR(to_parts.status());
  Result<InodePtr> to_dir = s.ParentOf(to_parts.value(), "link", what);
  CAIRN_RETURN_IF_ERROR(to_dir.status());
  if (!to_dir.value()->live.emplace(to_parts.value().back(), inode.value()).second) {
    return PathError("link", what, "File exists");
  }
  return Status::OK();
}

Status MemEnv::CreateDir(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<std::vector<std::string>> parts = SplitPath(path);
  CAIRN_RETURN_IF_ERROR(parts.status());
  if (parts.value().empty()) {
    return Status::OK();  // the root always exists
  }
  Result<InodePtr> parent = s.ParentOf(parts.value(), "mkdir", path);
  CAIRN_RETURN_IF_ERROR(parent.status());
  auto& entries = parent.value()->live;
  auto it = entries.find(parts.value().back());
  if (it != entries.end()) {
    return it->second->is_dir ? Status::OK() : PathError("mkdir", path, "File exists");
  }
  auto dir = std::make_shared<Inode>();
  dir->is_dir = true;
  entries.emplace(parts.value().back(), std::move(dir));
  return Status::OK();
}

Status MemEnv::RemoveDir(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<std::vector<std::string>> parts = SplitPath(path);
  CAIRN_RETURN_IF_ERROR(parts.status());
  Result<InodePtr> parent = s.ParentOf(parts.value(), "rmdir", path);
  CAIRN_RETURN_IF_ERROR(parent.status());
  auto& entries = parent.value()->live;
  auto it = entries.find(parts.value().back());
  if (it == entries.end()) {
    return PathError("rmdir", path, "No such file or directory", /*not_found=*/true);
  }
  if (!it->second->is_dir) {
    return PathError("rmdir", path, "Not a directory");
  }
  if (!it->second->live.empty()) {
    return PathError("rmdir", path, "Directory not empty");
  }
  entries.erase(it);
  return Status::OK();
}

Status MemEnv::SyncDir(const std::string& dir) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.EnterSyncPoint());
  Result<InodePtr> node = s.Lookup(dir, "open");
  CAIRN_RETURN_IF_ERROR(node.status());
  if (!node.value()->is_dir) {
    return PathError("open", dir, "Not a directory");
  }
  node.value()->synced = node.value()->live;
  return Status::OK();
}

Status MemEnv::TruncateFile(const std::string& path, uint64_t size_bytes) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.EnterSyncPoint());
  Result<InodePtr> inode = s.LookupFile(path, "truncate");
  CAIRN_RETURN_IF_ERROR(inode.status());
  inode.value()->current.resize(size_bytes, '\0');  // ftruncate zero-fills when growing
  inode.value()->MarkSynced();
  return Status::OK();
}

Result<std::unique_ptr<FileLock>> MemEnv::LockFile(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  CAIRN_RETURN_IF_ERROR(s.CheckRunning());
  Result<std::vector<std::string>> parts = SplitPath(path);
  CAIRN_RETURN_IF_ERROR(parts.status());
  // Like PosixEnv, locking creates the lock file (an ordinary, unsynced entry).
  Result<InodePtr> inode = s.CreateOrTruncate(path, "open", /*truncate=*/false);
  CAIRN_RETURN_IF_ERROR(inode.status());
  std::string canonical = CanonicalPath(parts.value());
  if (!s.locked_paths.insert(canonical).second) {
    return Status::Busy("database is in use: lock file " + path + " is already held");
  }
  return std::unique_ptr<FileLock>(new MemFileLock(impl_->state, canonical, s.generation));
}

uint64_t MemEnv::NowMicros() {
  if (impl_->simulated.load(std::memory_order_acquire)) {
    return impl_->simulated_wall_micros.load(std::memory_order_acquire);
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t MemEnv::NowMonotonicMicros() {
  if (impl_->simulated.load(std::memory_order_acquire)) {
    return impl_->simulated_monotonic_micros.load(std::memory_order_acquire);
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void MemEnv::SleepMicros(uint64_t micros) {
  if (impl_->simulated.load(std::memory_order_acquire)) {
    AdvanceClock(micros);
    return;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(micros));
}

void MemEnv::UseSimulatedClock(uint64_t wall_micros) {
  impl_->simulated_wall_micros.store(wall_micros, std::memory_order_release);
  impl_->simulated_monotonic_micros.store(0, std::memory_order_release);
  impl_->simulated.store(true, std::memory_order_release);
}

void MemEnv::AdvanceClock(uint64_t micros) {
  impl_->simulated_wall_micros.fetch_add(micros, std::memory_order_acq_rel);
  impl_->simulated_monotonic_micros.fetch_add(micros, std::memory_order_acq_rel);
}

std::thread MemEnv::StartThread(std::function<void()> fn) { return std::thread(std::move(fn)); }

void MemEnv::RandomBytes(void* out, size_t n) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  auto* bytes = static_cast<unsigned char*>(out);
  for (size_t i = 0; i < n; ++i) {
    bytes[i] = static_cast<unsigned char>(s.random());
  }
}

void MemEnv::CrashNow() {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  s.crashed = true;
  s.crash_scheduled = false;
}

void MemEnv::ScheduleCrashAtSyncPoint(uint64_t index) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  s.crash_scheduled = true;
  s.crash_at_sync_point = index;
}

bool MemEnv::crashed() const {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  return s.crashed;
}

void MemEnv::Restart(const CrashOptions& options) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  assert(s.crashed && "Restart() requires a freeze first");
  s.Restart(options);
}

void MemEnv::Crash(const CrashOptions& options) {
  CrashNow();
  Restart(options);
}

uint64_t MemEnv::sync_point_count() const {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  return s.sync_points;
}

Status MemEnv::CorruptByte(const std::string& path, uint64_t offset, uint8_t xor_mask) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  Result<InodePtr> found = s.LookupFile(path, "corrupt");
  CAIRN_RETURN_IF_ERROR(found.status());
  Inode& inode = *found.value();
  if (offset >= inode.current.size()) {
    return Status::InvalidArgument("MemEnv: corrupt " + path + ": offset " +
                                   std::to_string(offset) + " is past the end");
  }
  // While the durable bytes are a prefix of the current ones, this changes both at once.
  inode.current[offset] = static_cast<char>(inode.current[offset] ^ xor_mask);
  if (!inode.durable_is_prefix && offset < inode.durable.size()) {
    inode.durable[offset] = static_cast<char>(inode.durable[offset] ^ xor_mask);
  }
  return Status::OK();
}

Status MemEnv::SetFileContentsDurably(const std::string& path, std::string_view contents) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  Result<std::vector<std::string>> parts = SplitPath(path);
  CAIRN_RETURN_IF_ERROR(parts.status());
  if (parts.value().empty()) {
    return Status::InvalidArgument("MemEnv: the root is not a file");
  }
  // Missing ancestors are created durably too, so a fixture can be set up in one call.
  InodePtr dir = s.root;
  for (size_t i = 0; i + 1 < parts.value().size(); ++i) {
    InodePtr& child = dir->live[parts.value()[i]];
    if (child == nullptr) {
      child = std::make_shared<Inode>();
      child->is_dir = true;
    } else if (!child->is_dir) {
      return PathError("create", path, "Not a directory");
    }
    dir->synced[parts.value()[i]] = child;
    dir = child;
  }
  InodePtr& inode = dir->live[parts.value().back()];
  if (inode == nullptr) {
    inode = std::make_shared<Inode>();
  } else if (inode->is_dir) {
    return PathError("create", path, "Is a directory");
  }
  inode->current.assign(contents);
  inode->MarkSynced();
  dir->synced[parts.value().back()] = inode;
  return Status::OK();
}

Result<std::string> MemEnv::ReadFileContents(const std::string& path) {
  State& s = *impl_->state;
  std::lock_guard<std::mutex> lock(s.mu);
  Result<InodePtr> inode = s.LookupFile(path, "read");
  if (!inode.ok()) {
    return inode.status();
  }
  return inode.value()->current;
}

}  // namespace cairn
