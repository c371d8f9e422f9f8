#include "manifest/version.h"

#include <algorithm>
#include <cassert>

#include "util/internal_key.h"

namespace cairn {
namespace {

bool UserKeyLess(std::string_view a, std::string_view b) { return CompareUserKeys(a, b) < 0; }

// For a level >= 1: the index of the first file whose largest user key is >= `user_key`.
size_t FindFile(const Version::Files& files, std::string_view user_key) {
  auto it =
      std::lower_bound(files.begin(), files.end(), user_key,
                       [](const std::shared_ptr<const LiveSegment>& file, std::string_view key) {
                         return UserKeyLess(file->largest_user_key(), key);
                       });
  return static_cast<size_t>(it - files.begin());
}

Status LookupInSegment(const LiveSegment& file, std::string_view user_key, uint64_t sequence,
                       Version::Lookup* lookup, std::string* value) {
  segment::GetResult result = segment::GetResult::kNotPresent;
  CAIRN_RETURN_IF_ERROR(file.segment->Get(user_key, sequence, &result, value));
  switch (result) {
    case segment::GetResult::kFound:
      *lookup = Version::Lookup::kFound;
      break;
    case segment::GetResult::kDeleted:
      *lookup = Version::Lookup::kDeleted;
      break;
    case segment::GetResult::kNotPresent:
      *lookup = Version::Lookup::kNotPresent;
      break;
  }
  return Status::OK();
}

}  // namespace

std::string_view LiveSegment::smallest_user_key() const { return ExtractUserKey(meta.smallest); }
std::string_view LiveSegment::largest_user_key() const { return ExtractUserKey(meta.largest); }

uint64_t Version::LevelBytes(int level) const {
  uint64_t bytes = 0;
  for (const auto& file : files(level)) {
    bytes += file->meta.file_size_bytes;
  }
  return bytes;
}

size_t Version::FileCount() const {
  size_t count = 0;
  for (const Files& files : levels_) {
    count += files.size();
  }
  return count;
}

Status Version::Get(std::string_view user_key, uint64_t sequence, Lookup* lookup,
                    std::string* value) const {
  *lookup = Lookup::kNotPresent;
  // Level 0 files overlap; the newest (highest number, newest sequences) is consulted first.
  for (auto it = levels_[0].rbegin(); it != levels_[0].rend(); ++it) {
    const LiveSegment& file = **it;
    if (UserKeyLess(user_key, file.smallest_user_key()) ||
        UserKeyLess(file.largest_user_key(), user_key)) {
      continue;
    }
    CAIRN_RETURN_IF_ERROR(LookupInSegment(file, user_key, sequence, lookup, value));
    if (*lookup != Lookup::kNotPresent) {
      return Status::OK();
    }
  }
  for (int level = 1; level < kNumLevels; level++) {
    const Files& level_files = files(level);
    size_t index = FindFile(level_files, user_key);
    if (index == level_files.size() ||
        UserKeyLess(user_key, level_files[index]->smallest_user_key())) {
      continue;
    }
    CAIRN_RETURN_IF_ERROR(LookupInSegment(*level_files[index], user_key, sequence, lookup, value));
    if (*lookup != Lookup::kNotPresent) {
      return Status::OK();
    }
  }
  return Status::OK();
}

void Version::AddIterators(std::vector<std::unique_ptr<InternalIterator>>* out) const {
  for (const auto& file : levels_[0]) {
    out->push_back(file->segment->NewIterator());
  }
  for (int level = 1; level < kNumLevels; level++) {
    if (!files(level).empty()) {
      out->push_back(NewLevelIterator(files(level)));
    }
  }
}

Version::Files Version::Overlapping(int level, std::string_view smallest, std::string_view largest,
                                    bool unbounded_smallest, bool unbounded_largest) const {
  Files result;
  for (const auto& file : files(level)) {
    bool before = !unbounded_smallest && UserKeyLess(file->largest_user_key(), smallest);
    bool after = !unbounded_largest && UserKeyLess(largest, file->smallest_user_key());
    if (!before && !after) {
      result.push_back(file);
    }
  }
  return result;
}

bool Version::KeyMayExistBelow(int level, std::string_view user_key) const {
  for (int deeper = level + 1; deeper < kNumLevels; deeper++) {
    const Files& level_files = files(deeper);
    size_t index = FindFile(level_files, user_key);
    if (index < level_files.size() &&
        !UserKeyLess(user_key, level_files[index]->smallest_user_key())) {
      return true;
    }
  }
  return false;
}

std::string Version::DebugString() const {
  std::string out;
  for (int level = 0; level < kNumLevels; level++) {
    if (files(level).empty()) {
      continue;
    }
    // Appended piece by piece: `"L" + std::to_string(...)` makes GCC 12 at -O3 warn
    // (-Wrestrict, GCC bug 105329) about the inlined insert at the front of a temporary.
    out += 'L';
    out += std::to_string(level);
    out += ':';
    for (const auto& file : files(level)) {
      out += ' ';
      out += std::to_string(file->meta.number);
      out += '(';
      out += std::to_string(file->meta.file_size_bytes);
      out += "B)";
    }
    out += '\n';
  }
  return out;
}

VersionBuilder::VersionBuilder(std::shared_ptr<const Version> base) : base_(std::move(base)) {
  if (base_ == nullptr) {
    return;
  }
  for (int level = 0; level < kNumLevels; level++) {
    for (const auto& file : base_->files(level)) {
      levels_[static_cast<size_t>(level)].emplace(file->meta.number, file->meta);
    }
  }
}

Status VersionBuilder::Apply(const VersionEdit& edit) {
  for (const manifest::DeletedSegment& deleted : edit.deleted_segments) {
    if (deleted.level >= kNumLevels || levels_[deleted.level].erase(deleted.number) == 0) {
      return Status::Corruption("edit deletes segment " + std::to_string(deleted.number) +
                                " at level " + std::to_string(deleted.level) +
                                ", which the version does not hold");
    }
  }
  for (const SegmentMeta& meta : edit.added_segments) {
    if (meta.level >= kNumLevels) {
      return Status::Corruption("edit adds segment " + std::to_string(meta.number) +
                                " at invalid level " + std::to_string(meta.level));
    }
    for (const auto& level : levels_) {
      if (level.count(meta.number) != 0) {
        return Status::Corruption("edit adds segment " + std::to_string(meta.number) + " twice");
      }
    }
    levels_[static_cast<size_t>(meta.level)].emplace(meta.number, meta);
  }
  return Status::OK();
}

Result<std::shared_ptr<Version>> VersionBuilder::Build(const SegmentOpener& open) const {
  std::map<uint64_t, std::shared_ptr<const LiveSegment>> existing;
  if (base_ != nullptr) {
    for (int level = 0; level < kNumLevels; level++) {
      for (const auto& file : base_->files(level)) {
        existing.emplace(file->meta.number, file);
      }
    }
  }
  auto version = std::make_shared<Version>();
  for (int level = 0; level < kNumLevels; level++) {
    Version::Files& files = version->levels_[static_cast<size_t>(level)];
    for (const auto& [number, meta] : levels_[static_cast<size_t>(level)]) {
      auto found = existing.find(number);
      if (found != existing.end() && found->second->meta.level == static_cast<uint32_t>(level)) {
        files.push_back(found->second);
        continue;
      }
      std::shared_ptr<Segment> segment;
      if (found != existing.end()) {
        segment = found->second->segment;  // moved between levels: same file
      } else {
        auto opened = open(meta);
        if (!opened.ok()) {
          return opened.status();
        }
        segment = std::move(opened).value();
      }
      auto live = std::make_shared<LiveSegment>();
      live->meta = meta;
      live->meta.level = static_cast<uint32_t>(level);
      live->segment = std::move(segment);
      files.push_back(std::move(live));
    }
    if (level > 0) {
      std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return CompareInternalKeys(a->meta.smallest, b->meta.smallest) < 0;
      });
      for (size_t i = 1; i < files.size(); i++) {
        if (!UserKeyLess(files[i - 1]->largest_user_key(), files[i]->smallest_user_key())) {
          return Status::Corruption("level " + std::to_string(level) + " segments " +
                                    std::to_string(files[i - 1]->meta.number) + " and " +
                                    std::to_string(files[i]->meta.number) + " overlap");
        }
      }
    }
    // Level 0 stays in file-number order (std::map order): oldest first.
  }
  return version;
}

}  // namespace cairn
