// Test helpers shared by the manifest tests (header-only; not part of the library): valid
// segment descriptions, snapshot and delta edits, and a tiny model of the state a sequence
// of edits describes, so tests can compare "what was written" with "what was recovered".
#ifndef CAIRN_MANIFEST_MANIFEST_TESTUTIL_H_
#define CAIRN_MANIFEST_MANIFEST_TESTUTIL_H_

#include <map>
#include <set>
#include <string>

#include "manifest/version_edit.h"
#include "util/internal_key.h"

namespace cairn::manifest::test {

inline std::string IKey(std::string_view user_key, uint64_t seq, ValueKind kind = ValueKind::kPut) {
  std::string key;
  AppendInternalKey(&key, user_key, seq, kind);
  return key;
}

// A valid segment whose fields all derive from `number`, so two segments differ in every
// field.
inline SegmentMeta MakeSegment(uint64_t number, uint32_t level = 0) {
  SegmentMeta meta;
  meta.number = number;
  meta.level = level;
  meta.file_size_bytes = 4096 + number;
  meta.smallest = IKey("a" + std::to_string(number), 10 * number + 1, ValueKind::kDelete);
  meta.largest = IKey("z" + std::to_string(number), 10 * number + 2);
  meta.min_seq = 10 * number;
  meta.max_seq = 10 * number + 5;
  meta.min_commit_micros = 1'795'000'000'000'000 + number;
  meta.max_commit_micros = 1'795'000'000'000'000 + 2 * number;
  meta.entry_count = 100 + number;
  meta.deletion_count = number % 7;
  return meta;
}

inline record::DbId TestDbId(uint8_t first = 0x10) {
  record::DbId id;
  for (size_t i = 0; i < id.size(); i++) {
    id[i] = static_cast<uint8_t>(first + i);
  }
  return id;
}

// The database state a manifest describes: what VersionSet will rebuild, reduced to values
// a test can compare.
struct ModelState {
  uint64_t log_number = 0;
  uint64_t next_file_number = 0;
  uint64_t last_sequence = 0;
  uint64_t last_commit_micros = 0;
  std::set<uint64_t> wals;
  std::map<uint64_t, SegmentMeta> segments;

  void Apply(const VersionEdit& edit) {
    if (edit.is_snapshot()) {
      *this = ModelState();
    }
    if (edit.log_number) log_number = *edit.log_number;
    if (edit.next_file_number) next_file_number = *edit.next_file_number;
    if (edit.last_sequence) last_sequence = *edit.last_sequence;
    if (edit.last_commit_micros) last_commit_micros = *edit.last_commit_micros;
    for (uint64_t wal : edit.added_wals) wals.insert(wal);
    wals.erase(wals.begin(), wals.lower_bound(log_number));
    for (const DeletedSegment& d : edit.deleted_segments) segments.erase(d.number);
    for (const SegmentMeta& meta : edit.added_segments) segments[meta.number] = meta;
  }

  // The snapshot edit that describes this state.
  VersionEdit Snapshot(const record::DbId& db_id) const {
    VersionEdit edit;
    edit.db_id = db_id;
    edit.log_number = log_number;
    edit.next_file_number = next_file_number;
    edit.last_sequence = last_sequence;
    edit.last_commit_micros = last_commit_micros;
    edit.added_wals.assign(wals.begin(), wals.end());
    for (const auto& [number, meta] : segments) edit.added_segments.push_back(meta);
    return edit;
  }

  bool operator==(const ModelState&) const = default;
};

}  // namespace cairn::manifest::test

#endif  // CAIRN_MANIFEST_MANIFEST_TESTUTIL_H_
