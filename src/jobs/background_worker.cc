#include "jobs/background_worker.h"

#include <algorithm>

namespace cairn {

BackgroundWorker::BackgroundWorker(Env* env, std::string name, BackoffPolicy backoff,
                                   RoundFunction round, LogFunction log)
    : env_(env),
      name_(std::move(name)),
      backoff_(backoff),
      round_(std::move(round)),
      log_(std::move(log)) {
  assert(backoff_.initial_micros > 0 && backoff_.initial_micros <= backoff_.max_micros);
}

BackgroundWorker::~BackgroundWorker() { Stop(); }

void BackgroundWorker::Start() {
  MutexLock lock(&mu_);
  if (started_ || stopped_) {
    return;
  }
  started_ = true;
  thread_ = env_->StartThread([this] { Main(); });
}

void BackgroundWorker::Stop() {
  std::thread thread;
  {
    MutexLock lock(&mu_);
    stopped_ = true;
    stopping_.store(true, std::memory_order_release);
    thread = std::move(thread_);  // joined by this call only, even if Stop() races itself
    work_cv_.SignalAll();
    done_cv_.SignalAll();
  }
  if (thread.joinable()) {
    thread.join();
  }
}

void BackgroundWorker::Request() {
  MutexLock lock(&mu_);
  requested_ = true;
  work_cv_.SignalAll();
}

Status BackgroundWorker::RequestAndWait() {
  MutexLock lock(&mu_);
  if (!sticky_error_.ok()) {
    return sticky_error_;
  }
  if (stopped_) {
    return ShuttingDown(name_);
  }
  requested_ = true;
  work_cv_.SignalAll();
  // The round that serves this request is the next one to start: a round already running
  // may have looked at its work before the request.
  const uint64_t round = rounds_started_ + 1;
  Completion& completion = completions_[round];  // std::map: the reference stays valid
  completion.waiters++;
  while (!completion.done && !stopped_) {
    done_cv_.Wait(&mu_);
  }
  Status result = completion.done ? completion.status : ShuttingDown(name_);
  if (--completion.waiters == 0) {
    completions_.erase(round);
  }
  return result;
}

Status BackgroundWorker::sticky_error() const {
  MutexLock lock(&mu_);
  return sticky_error_;
}

BackgroundWorker::Counters BackgroundWorker::counters() const {
  MutexLock lock(&mu_);
  return counters_;
}

Status BackgroundWorker::ShuttingDown(const std::string& name) {
  return Status::IOError(name + ": shutting down");
}

void BackgroundWorker::Complete(uint64_t round, const Status& status) {
  auto it = completions_.find(round);
  if (it != completions_.end()) {
    it->second.done = true;
    it->second.status = status;
    done_cv_.SignalAll();
  }
}

void BackgroundWorker::Backoff(uint64_t micros) {
  const uint64_t deadline = env_->NowMonotonicMicros() + micros;
  while (!stopped_) {
    const uint64_t now = env_->NowMonotonicMicros();
    if (now >= deadline) {
      return;
    }
    mu_.Unlock();
    env_->SleepMicros(std::min(deadline - now, kBackoffSliceMicros));
    mu_.Lock();
  }
}

void BackgroundWorker::Main() {
  uint64_t backoff_micros = backoff_.initial_micros;
  MutexLock lock(&mu_);
  for (;;) {
    while (!requested_ && !stopped_) {
      work_cv_.Wait(&mu_);
    }
    if (stopped_) {
      return;  // waiters were woken by Stop()
    }
    requested_ = false;
    const uint64_t round = ++rounds_started_;
    counters_.rounds++;
    mu_.Unlock();
    JobRound result = round_(JobControl(&stopping_));
    mu_.Lock();
    Complete(round, result.status());
    switch (result.next()) {
      case JobRound::Next::kIdle:
        backoff_micros = backoff_.initial_micros;
        break;
      case JobRound::Next::kAgain:
        backoff_micros = backoff_.initial_micros;
        requested_ = true;
        break;
      case JobRound::Next::kRetry:
        counters_.failures++;
        if (log_) {
          log_(name_ + " failed, retrying in " + std::to_string(backoff_micros / 1000) +
               " ms: " + result.status().ToString());
        }
        Backoff(backoff_micros);
        backoff_micros = std::min(backoff_micros * 2, backoff_.max_micros);
        requested_ = true;
        break;
      case JobRound::Next::kStop:
        counters_.failures++;
        if (log_) {
          log_(name_ + " stopped: " + result.status().ToString());
        }
        sticky_error_ = result.status();
        // No round will serve the requests already waiting: they get the error now.
        for (auto& [number, completion] : completions_) {
          completion.done = true;
          completion.status = sticky_error_;
        }
        done_cv_.SignalAll();
        while (!stopped_) {
          work_cv_.Wait(&mu_);
        }
        return;
    }
  }
}

}  // namespace cairn
