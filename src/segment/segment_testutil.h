// Helpers shared by the segment tests (header-only: the library build takes every .cc in
// this folder that is not a test).
#ifndef CAIRN_SEGMENT_SEGMENT_TESTUTIL_H_
#define CAIRN_SEGMENT_SEGMENT_TESTUTIL_H_

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/env.h"
#include "cairn/options.h"
#include "segment/properties.h"
#include "segment/segment.h"
#include "segment/segment_builder.h"
#include "util/internal_key.h"

namespace cairn::test {

inline std::string IKey(std::string_view user_key, uint64_t sequence,
                        ValueKind kind = ValueKind::kPut) {
  std::string key;
  AppendInternalKey(&key, user_key, sequence, kind);
  return key;
}

// Orders internal keys as a segment does, for std::map models.
struct InternalKeyLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return CompareInternalKeys(a, b) < 0;
  }
};
using Model = std::map<std::string, std::string, InternalKeyLess>;

// "key000123" style user keys, which share long prefixes (exercising prefix compression).
inline std::string NumberedKey(uint64_t i, const char* prefix = "key") {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%09llu", prefix, static_cast<unsigned long long>(i));
  return buf;
}

struct BuiltSegment {
  uint64_t file_size_bytes = 0;
  segment::SegmentProperties properties;
};

// Writes `model` as a segment at `path` with commit-time range [1000, 2000].
inline Status BuildSegment(Env* env, const std::string& path, const Options& options,
                           const Model& model, BuiltSegment* built) {
  Result<std::unique_ptr<segment::SegmentBuilder>> builder =
      segment::SegmentBuilder::Open(env, path, options);
  if (!builder.ok()) {
    return builder.status();
  }
  segment::SegmentBuilder& b = *builder.value();
  for (const auto& [key, value] : model) {
    Status s = b.Add(key, value);
    if (!s.ok()) {
      b.Abandon();
      return s;
    }
  }
  b.WidenCommitTimeRange(1000, 2000);
  Status s = b.Finish(&built->properties, &built->file_size_bytes);
  b.Abandon();  // no-op after Finish; closes after a failure
  return s;
}

}  // namespace cairn::test

#endif  // CAIRN_SEGMENT_SEGMENT_TESTUTIL_H_
