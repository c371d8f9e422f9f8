// The two background jobs that write segments: flushing a MemTable and compacting segments.
// Both write their outputs as orphans and return their descriptions; the caller makes them
// live with one manifest edit (VersionSet::LogAndApply), and only then may anything they
// replace be deleted. Neither holds any DB lock while it runs.
#ifndef CAIRN_JOBS_JOBS_H_
#define CAIRN_JOBS_JOBS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/options.h"
#include "jobs/compaction_picker.h"
#include "manifest/version.h"
#include "memtable/memtable.h"

namespace cairn {

struct JobContext {
  Env* env = nullptr;
  std::string dir;
  const Options* options = nullptr;
  // Allocates a file number for an output; the caller keeps it as a pending output.
  std::function<uint64_t()> new_file_number;
  // Versions at or below this sequence are visible to every reader.
  uint64_t oldest_snapshot = 0;
};

struct JobResult {
  std::vector<SegmentMeta> outputs;
  std::vector<uint64_t> output_numbers;  // every number allocated, finished or not
  uint64_t entries_read = 0;
  uint64_t entries_written = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t dropped_versions = 0;
  uint64_t dropped_deletions = 0;
};

// Writes `memtable` as one level-0 segment (none if the MemTable is empty), leaving out
// versions hidden from every reader. On error nothing is left behind, and the status says
// which stage failed.
Status FlushMemTable(const MemTable& memtable, const JobContext& context, JobResult* result);

// Merges the plan's inputs into new segments for plan.output_level, cut near
// Options::target_segment_size_bytes, leaving out hidden versions and deletions that hide
// nothing. A damaged input block fails the job with its Corruption; no output of a failed job
// survives, so damaged data is never rewritten into a new file.
Status CompactSegments(const CompactionPlan& plan, const Version& version,
                       const JobContext& context, JobResult* result);

}  // namespace cairn

#endif  // CAIRN_JOBS_JOBS_H_
