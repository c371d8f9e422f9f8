#include "jobs/jobs.h"

#include <algorithm>

#include "iterator/merging_iterator.h"
#include "jobs/garbage_filter.h"
#include "jobs/output_writer.h"
#include "util/filename.h"
#include "util/internal_key.h"

namespace cairn {
namespace {

// Compaction reads entries from disk: a block whose checksum is right may still hold an entry
// no writer makes (a writer bug, a forged file). The builder would refuse it with an
// InvalidArgument (or, for keys out of order, an assertion), which is not what it is: damage
// in an input, reported as Corruption naming the inputs, so the database stops compacting
// and turns read-only (fuzz bugs 3 and 4, docs/fuzzing.md).
// The inputs' names and the sequence range their manifest records claim.
struct InputBounds {
  std::string names;
  uint64_t min_seq = UINT64_MAX;
  uint64_t max_seq = 0;
};

Status CheckInputEntry(std::string_view key, std::string_view previous, bool has_previous,
                       const InputBounds& bounds) {
  const std::string& inputs = bounds.names;
  if (key.size() < kTrailerSize) {
    return Status::Corruption("compaction input " + inputs +
                              ": an entry's key is shorter "
                              "than its trailer");
  }
  const ValueKind kind = ExtractKind(key);
  if (kind != ValueKind::kPut && kind != ValueKind::kDelete) {
    return Status::Corruption("compaction input " + inputs + ": entry of unknown kind " +
                              std::to_string(static_cast<int>(kind)));
  }
  if (has_previous && CompareInternalKeys(previous, key) >= 0) {
    return Status::Corruption("compaction input " + inputs +
                              ": keys out of order (a segment's keys do not increase)");
  }
  // An entry outside the recorded range would carry a sequence number past the database's
  // last one into the output's metadata (fuzz bug 5).
  const uint64_t sequence = ExtractSequence(key);
  if (sequence < bounds.min_seq || sequence > bounds.max_seq) {
    return Status::Corruption("compaction input " + inputs + ": entry sequence " +
                              std::to_string(sequence) + " outside the inputs' recorded range " +
                              std::to_string(bounds.min_seq) + ".." +
                              std::to_string(bounds.max_seq));
  }
  return Status::OK();
}

// Drains `input` through the filter into `writer`. `bounds` (null for a flush, whose
// entries come from this process and are trusted) describes the input files for the checks.
Status CopyLiveEntries(InternalIterator* input, GarbageFilter* filter, OutputWriter* writer,
                       JobResult* result, const InputBounds* bounds = nullptr) {
  std::string previous;
  bool has_previous = false;
  for (input->SeekToFirst(); input->Valid(); input->Next()) {
    result->entries_read++;
    if (bounds != nullptr) {
      CAIRN_RETURN_IF_ERROR(CheckInputEntry(input->key(), previous, has_previous, *bounds));
      previous.assign(input->key());
      has_previous = true;
    }
    if (filter->ShouldDrop(input->key())) {
      continue;
    }
    CAIRN_RETURN_IF_ERROR(writer->Add(input->key(), input->value()));
    result->entries_written++;
  }
  // An input that stopped early on a damaged block must fail the job, never end it.
  return input->status();
}

Status Finish(Status s, OutputWriter* writer, GarbageFilter* filter, JobResult* result) {
  result->output_numbers = writer->file_numbers();
  if (s.ok()) {
    s = writer->Finish(&result->outputs);
  }
  if (!s.ok()) {
    writer->Abandon();
    result->outputs.clear();
    return s;
  }
  result->bytes_written = writer->bytes_written();
  result->dropped_versions = filter->dropped_versions();
  result->dropped_deletions = filter->dropped_deletions();
  return Status::OK();
}

}  // namespace

Status FlushMemTable(const MemTable& memtable, const JobContext& context, JobResult* result) {
  *result = JobResult();
  if (memtable.entry_count() == 0) {
    return Status::OK();
  }
  OutputWriter writer(context.env, context.dir, *context.options, /*level=*/0,
                      context.new_file_number, /*cut_size_bytes=*/0);
  writer.SetCommitTimeRange(memtable.min_commit_micros(), memtable.max_commit_micros());
  GarbageFilter filter(context.oldest_snapshot, nullptr);
  std::unique_ptr<InternalIterator> input = memtable.NewIterator();
  Status s = CopyLiveEntries(input.get(), &filter, &writer, result);
  s = Finish(s, &writer, &filter, result);
  return s.ok() ? s : s.WithContext("flush: build segment");
}

Status CompactSegments(const CompactionPlan& plan, const Version& version,
                       const JobContext& context, JobResult* result) {
  *result = JobResult();
  std::vector<std::unique_ptr<InternalIterator>> children;
  InputBounds bounds;
  uint64_t min_micros = UINT64_MAX;
  uint64_t max_micros = 0;
  for (const Version::Files* files : {&plan.inputs, &plan.next_inputs}) {
    for (const auto& file : *files) {
      children.push_back(file->segment->NewIterator(/*fill_cache=*/false));
      bounds.names += (bounds.names.empty() ? "" : ", ") + SegmentFileName(file->meta.number);
      bounds.min_seq = std::min(bounds.min_seq, file->meta.min_seq);
      bounds.max_seq = std::max(bounds.max_seq, file->meta.max_seq);
      result->bytes_read += file->meta.file_size_bytes;
      min_micros = std::min(min_micros, file->meta.min_commit_micros);
      max_micros = std::max(max_micros, file->meta.max_commit_micros);
    }
  }
  std::unique_ptr<InternalIterator> input = NewMergingIterator(std::move(children));
  OutputWriter writer(context.env, context.dir, *context.options, plan.output_level,
                      context.new_file_number, context.options->target_segment_size_bytes);
  writer.SetCommitTimeRange(min_micros == UINT64_MAX ? 0 : min_micros, max_micros);
  int output_level = plan.output_level;
  GarbageFilter filter(context.oldest_snapshot, [&version, output_level](std::string_view key) {
    return !version.KeyMayExistBelow(output_level, key);
  });
  Status s = CopyLiveEntries(input.get(), &filter, &writer, result, &bounds);
  s = Finish(s, &writer, &filter, result);
  return s.ok() ? s : s.WithContext("compaction " + plan.reason);
}

}  // namespace cairn
