// OutputWriter: turns a sorted stream of entries into one or more segment files for a flush
// or a compaction, and describes each as a SegmentMeta for the manifest.
//
// Outputs are orphans until the caller's manifest edit lists them: on any error, or if the
// caller gives up, Abandon() deletes every file this writer created. A new output starts only
// at a user-key boundary, so the versions of one key never straddle two files of a level.
#ifndef CAIRN_JOBS_OUTPUT_WRITER_H_
#define CAIRN_JOBS_OUTPUT_WRITER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cairn/env.h"
#include "cairn/options.h"
#include "manifest/version_edit.h"
#include "segment/segment_builder.h"

namespace cairn {

using manifest::SegmentMeta;

class OutputWriter {
 public:
  // `new_file_number` allocates a number for each output (the caller records it as a pending
  // output so the file collector leaves it alone). `cut_size_bytes` 0: a single output.
  OutputWriter(Env* env, std::string dir, const Options& options, int level,
               std::function<uint64_t()> new_file_number, uint64_t cut_size_bytes);
  ~OutputWriter();

  // Sets the commit-time range every output reports (the union of the inputs' ranges).
  void SetCommitTimeRange(uint64_t min_micros, uint64_t max_micros);

  Status Add(std::string_view internal_key, std::string_view value);

  // Finishes the open output (fdatasync), fsyncs the directory, and fills *outputs.
  Status Finish(std::vector<SegmentMeta>* outputs);

  // Deletes every output file created so far. Safe to call after Finish.
  void Abandon();

  const std::vector<uint64_t>& file_numbers() const { return numbers_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  Status StartOutput();
  Status FinishOutput();

  Env* const env_;
  const std::string dir_;
  const Options& options_;
  const int level_;
  const std::function<uint64_t()> new_file_number_;
  const uint64_t cut_size_bytes_;
  uint64_t min_commit_micros_ = 0;
  uint64_t max_commit_micros_ = 0;

  std::unique_ptr<segment::SegmentBuilder> builder_;
  std::string last_user_key_;
  std::vector<uint64_t> numbers_;
  std::vector<SegmentMeta> outputs_;
  uint64_t bytes_written_ = 0;
};

}  // namespace cairn

#endif  // CAIRN_JOBS_OUTPUT_WRITER_H_
