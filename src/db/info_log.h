// InfoLog: the human-readable LOG file in the database directory, for what an operator
// should know (recovery repairs, errors). Diagnostic only: a failure to write it never fails
// a database operation. Thread-safe.
#ifndef CAIRN_DB_INFO_LOG_H_
#define CAIRN_DB_INFO_LOG_H_

#include <memory>
#include <string>
#include <string_view>

#include "cairn/env.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace cairn {

class InfoLog {
 public:
  // Moves an existing LOG to LOG.old and starts a new LOG. Returns null (logging disabled)
  // if the file cannot be created; the caller may carry on.
  static std::unique_ptr<InfoLog> Open(Env* env, const std::string& dir);

  // Appends "<UTC time> <message>\n". Errors are ignored (see the class comment).
  void Write(std::string_view message);

 private:
  InfoLog(Env* env, std::unique_ptr<WritableFile> file) : env_(env), file_(std::move(file)) {}

  Env* const env_;
  Mutex mu_;  // one line at a time, so concurrent lines never interleave
  std::unique_ptr<WritableFile> file_ PT_GUARDED_BY(mu_);
};

}  // namespace cairn

#endif  // CAIRN_DB_INFO_LOG_H_
