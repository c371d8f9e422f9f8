// BackgroundWorker: the one pattern for a background job in Cairn. It owns a thread that
// runs the job in rounds, the condition that wakes it, its shutdown, its sticky error, and
// retry with exponential backoff. A job is then one function (usually a class's method)
// returning what the worker should do next; the flush, compaction and WAL threads, and every
// later job (scrub, backup, retention, checkpoint rotation), are built on it.
//
// Rounds. Request() asks for a round; a request made while a round runs gives one more round
// after it (no lost wake-up), and requests made before a round starts are served by that one
// round. A round ends with a JobRound:
//   - Idle():        done; the worker sleeps until the next Request();
//   - Again():       done, and more is due: the next round starts at once;
//   - Retry(error):  a transient failure: the next round starts after a backoff that doubles
//                    from BackoffPolicy::initial_micros up to max_micros, and resets after a
//                    round that succeeds;
//   - Stop(error):   a failure that must not be retried: the error becomes sticky, no round
//                    runs again, and every waiter, present or future, gets it.
//
// Completion. RequestAndWait() returns the status of the first round that starts after the
// call (OK for Idle or Again, the error for Retry or Stop), so every caller waiting on a job
// gets the result of a round that covered its request; several callers may wait at once. At
// Stop(), every waiter returns at once with an IOError saying the worker is shutting down.
//
// Time. The backoff is measured with Env::NowMonotonicMicros and slept with Env::SleepMicros,
// in slices of at most kBackoffSliceMicros so Stop() is never delayed by more than one slice.
// An Env with a simulated clock therefore runs the whole schedule without real sleeps.
//
// Thread safety: every public method may be called from any thread. The job's function runs
// on the worker's thread only, with no lock of the worker held.
#ifndef CAIRN_JOBS_BACKGROUND_WORKER_H_
#define CAIRN_JOBS_BACKGROUND_WORKER_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "cairn/env.h"
#include "cairn/status.h"
#include "util/mutex.h"

namespace cairn {

// What a round of a job asks its worker to do next (see the file comment).
class JobRound {
 public:
  enum class Next { kIdle, kAgain, kRetry, kStop };

  static JobRound Idle() { return JobRound(Next::kIdle, Status::OK()); }
  static JobRound Again() { return JobRound(Next::kAgain, Status::OK()); }
  static JobRound Retry(Status error) { return JobRound(Next::kRetry, std::move(error)); }
  static JobRound Stop(Status error) {
    assert(!error.ok() && "a stopped job needs an error to give its waiters");
    return JobRound(Next::kStop, std::move(error));
  }

  Next next() const { return next_; }
  const Status& status() const { return status_; }

 private:
  JobRound(Next next, Status status) : next_(next), status_(std::move(status)) {}
  Next next_;
  Status status_;
};

struct BackoffPolicy {
  uint64_t initial_micros = 50 * 1000;
  uint64_t max_micros = 5 * 1000 * 1000;
};

// Given to a round: lets a long round stop between items when the worker is shutting down.
class JobControl {
 public:
  explicit JobControl(const std::atomic<bool>* stopping) : stopping_(stopping) {}
  bool stopping() const { return stopping_->load(std::memory_order_acquire); }

 private:
  const std::atomic<bool>* stopping_;
};

class BackgroundWorker {
 public:
  using RoundFunction = std::function<JobRound(const JobControl&)>;
  using LogFunction = std::function<void(const std::string&)>;

  // The longest single sleep of a backoff: the most Stop() waits for a backing-off worker.
  static constexpr uint64_t kBackoffSliceMicros = 10 * 1000;

  // `name` appears in log lines ("flush failed, retrying in 100 ms: ..."). `log` may be empty.
  BackgroundWorker(Env* env, std::string name, BackoffPolicy backoff, RoundFunction round,
                   LogFunction log);
  ~BackgroundWorker();  // Stop()s
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Starts the thread. Requests made before Start() are served once it runs.
  void Start() EXCLUDES(mu_);
  // Ends the thread after the round in progress (which may look at JobControl::stopping() to
  // end early) and wakes every waiter. Idempotent; no round runs afterwards.
  void Stop() EXCLUDES(mu_);

  void Request() EXCLUDES(mu_);
  Status RequestAndWait() EXCLUDES(mu_);

  // The Stop() error of a round, once one returned it; OK before.
  Status sticky_error() const EXCLUDES(mu_);
  const std::string& name() const { return name_; }

  struct Counters {
    uint64_t rounds = 0;    // rounds run
    uint64_t failures = 0;  // rounds that returned Retry or Stop
  };
  Counters counters() const EXCLUDES(mu_);

 private:
  // The result of one round, kept while callers wait for it.
  struct Completion {
    int waiters = 0;
    bool done = false;
    Status status;
  };

  void Main() EXCLUDES(mu_);
  void Complete(uint64_t round, const Status& status) REQUIRES(mu_);
  // Sleeps `micros` of Env time, or until Stop(). Releases mu_ while sleeping.
  void Backoff(uint64_t micros) REQUIRES(mu_);
  static Status ShuttingDown(const std::string& name);

  Env* const env_;
  const std::string name_;
  const BackoffPolicy backoff_;
  const RoundFunction round_;
  const LogFunction log_;

  mutable Mutex mu_;
  CondVar work_cv_;  // a request, or Stop()
  CondVar done_cv_;  // a round completed, or Stop()
  bool requested_ GUARDED_BY(mu_) = false;
  bool started_ GUARDED_BY(mu_) = false;
  bool stopped_ GUARDED_BY(mu_) = false;
  uint64_t rounds_started_ GUARDED_BY(mu_) = 0;
  Counters counters_ GUARDED_BY(mu_);
  Status sticky_error_ GUARDED_BY(mu_);
  std::map<uint64_t, Completion> completions_ GUARDED_BY(mu_);  // by round number
  std::atomic<bool> stopping_{false};  // mirrors stopped_, for JobControl without the lock
  std::thread thread_;                 // started and joined by Start/Stop only
};

}  // namespace cairn

#endif  // CAIRN_JOBS_BACKGROUND_WORKER_H_
