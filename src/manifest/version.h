// Version: one immutable state of the database's segment files, level by level.
//
//   - Level 0 holds flush outputs, which may overlap each other; newer files have higher
//     numbers and newer data.
//   - Levels 1..kNumLevels-1 each hold files with disjoint user-key ranges, sorted by key.
//
// A Version never changes after it is built; a new one is built from an old one plus an edit
// (VersionBuilder). Readers hold a Version through std::shared_ptr for as long as they read,
// which keeps its Segment objects (and so their open files) alive; the file collector never
// deletes a file that a live Version lists.
#ifndef CAIRN_MANIFEST_VERSION_H_
#define CAIRN_MANIFEST_VERSION_H_

#include <array>
#include <functional>
#include <map>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "manifest/version_edit.h"
#include "segment/segment.h"
#include "util/internal_iterator.h"

namespace cairn {

using manifest::SegmentMeta;
using manifest::VersionEdit;
using segment::Segment;

constexpr int kNumLevels = 7;

// A segment that belongs to a version: what the manifest says about it, and the open file.
struct LiveSegment {
  SegmentMeta meta;
  std::shared_ptr<Segment> segment;

  std::string_view smallest_user_key() const;
  std::string_view largest_user_key() const;
};

class Version {
 public:
  using Files = std::vector<std::shared_ptr<const LiveSegment>>;

  Version() = default;
  Version(const Version&) = delete;
  Version& operator=(const Version&) = delete;

  const Files& files(int level) const { return levels_[static_cast<size_t>(level)]; }
  uint64_t LevelBytes(int level) const;
  size_t FileCount() const;

  enum class Lookup { kNotPresent, kFound, kDeleted };
  // The newest version of `user_key` with sequence <= `sequence` in any segment. Searches
  // level 0 newest first, then each deeper level, stopping at the first level that knows the
  // key. Corruption or IOError from a segment is returned as is (never skipped).
  Status Get(std::string_view user_key, uint64_t sequence, Lookup* lookup,
             std::string* value) const;

  // Appends iterators covering every file: one per level-0 file and one per deeper level.
  void AddIterators(std::vector<std::unique_ptr<InternalIterator>>* out) const;

  // Files of `level` whose user-key range intersects [smallest, largest] (empty views mean
  // unbounded on that side).
  Files Overlapping(int level, std::string_view smallest, std::string_view largest,
                    bool unbounded_smallest = false, bool unbounded_largest = false) const;

  // Whether any file in a level deeper than `level` may hold `user_key`.
  bool KeyMayExistBelow(int level, std::string_view user_key) const;

  std::string DebugString() const;

 private:
  friend class VersionBuilder;
  std::array<Files, kNumLevels> levels_;
};

// Builds a new Version from a base plus edits, checking the invariants: a deleted file must
// exist, an added file must not, levels >= 1 stay sorted and disjoint. A violation is
// Corruption (edits come from a manifest: disk data).
class VersionBuilder {
 public:
  // `base` may be null (an empty version).
  explicit VersionBuilder(std::shared_ptr<const Version> base);

  Status Apply(const VersionEdit& edit);

  // Opens a segment the base does not have open yet.
  using SegmentOpener = std::function<Result<std::shared_ptr<Segment>>(const SegmentMeta&)>;
  // The new version. Files kept from the base keep their open Segment; added files are opened
  // with `open` (a missing or damaged file fails the build with its error).
  Result<std::shared_ptr<Version>> Build(const SegmentOpener& open) const;

 private:
  std::shared_ptr<const Version> base_;
  // level -> number -> meta, the state being built.
  std::array<std::map<uint64_t, SegmentMeta>, kNumLevels> levels_;
};

// Iterator over one level >= 1: the concatenation of its sorted, disjoint files, opening each
// file's iterator only when reached.
std::unique_ptr<InternalIterator> NewLevelIterator(const Version::Files& files);

}  // namespace cairn

#endif  // CAIRN_MANIFEST_VERSION_H_
