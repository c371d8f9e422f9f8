#include "server/syncer.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "server/limits.h"
#include "server/log.h"

namespace cairn::server {

Syncer::~Syncer() {
  Stop();
  if (event_fd_ >= 0) {
    close(event_fd_);
  }
}

Status Syncer::Start() {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) {
    return Status::IOError(std::string("eventfd: ") + strerror(errno));
  }
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

void Syncer::Request(uint64_t applied) {
  MutexLock lock(&mu_);
  if (applied <= requested_) {
    return;
  }
  requested_ = applied;
  if (durability_ == Durability::kDurable) {
    cv_.Signal();
  }
}

Syncer::Outcome Syncer::Poll() {
  uint64_t ignored = 0;
  // Draining a non-blocking eventfd: EAGAIN just means no wakeup was pending.
  ssize_t n = read(event_fd_, &ignored, sizeof(ignored));
  (void)n;
  MutexLock lock(&mu_);
  return outcome_;
}

void Syncer::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.Signal();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Syncer::Run() {
  // Held except around SyncWal; explicit Lock/Unlock so the analysis follows the gap.
  mu_.Lock();
  while (true) {
    if (durability_ == Durability::kDurable) {
      while (!stop_ && !HasWork()) {
        cv_.Wait(&mu_);
      }
    } else {
      // Relaxed: one sync per interval, or at once when stopping (Request does not signal).
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(kRelaxedSyncIntervalMs);
      while (!stop_) {
        auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
          break;
        }
        cv_.WaitForMicros(
            &mu_,
            static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count()));
      }
    }
    if (HasWork()) {
      uint64_t target = requested_;
      mu_.Unlock();
      auto start = std::chrono::steady_clock::now();
      // Every write counted in `target` returned before this call, so SyncWal covers it.
      Status s = db_->SyncWal();
      auto took = std::chrono::steady_clock::now() - start;
      mu_.Lock();
      outcome_.syncs++;
      outcome_.last_sync_micros = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(took).count());
      outcome_.total_sync_micros += outcome_.last_sync_micros;
      if (s.ok()) {
        outcome_.durable = std::max(outcome_.durable, target);
      } else {
        outcome_.failed = true;
        outcome_.error = s.ToString();
        Log(LogLevel::kError, "WAL sync failed; the database is read-only now: " + s.ToString());
      }
      uint64_t one = 1;
      // A full eventfd counter (impossible at one increment per sync) is the only failure.
      ssize_t n = write(event_fd_, &one, sizeof(one));
      (void)n;
    }
    if (stop_ && !HasWork()) {
      mu_.Unlock();
      return;
    }
  }
}

}  // namespace cairn::server
