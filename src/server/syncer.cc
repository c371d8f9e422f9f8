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
  std::lock_guard<std::mutex> lock(mu_);
  if (applied <= requested_) {
    return;
  }
  requested_ = applied;
  if (durability_ == Durability::kDurable) {
    cv_.notify_one();
  }
}

Syncer::Outcome Syncer::Poll() {
  uint64_t ignored = 0;
  // Draining a non-blocking eventfd: EAGAIN just means no wakeup was pending.
  ssize_t n = read(event_fd_, &ignored, sizeof(ignored));
  (void)n;
  std::lock_guard<std::mutex> lock(mu_);
  return outcome_;
}

void Syncer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Syncer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    auto has_work = [&] { return requested_ > outcome_.durable && !outcome_.failed; };
    if (durability_ == Durability::kDurable) {
      cv_.wait(lock, [&] { return stop_ || has_work(); });
    } else {
      cv_.wait_for(lock, std::chrono::milliseconds(kRelaxedSyncIntervalMs),
                   [&] { return stop_; });
    }
    if (has_work()) {
      uint64_t target = requested_;
      lock.unlock();
      auto start = std::chrono::steady_clock::now();
      // Every write counted in `target` returned before this call, so SyncWal covers it.
      Status s = db_->SyncWal();
      auto took = std::chrono::steady_clock::now() - start;
      lock.lock();
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
    if (stop_ && !has_work()) {
      return;
    }
  }
}

}  // namespace cairn::server
