// Mutex, MutexLock and CondVar: std::mutex and std::condition_variable with the annotations
// clang's -Wthread-safety needs (util/thread_annotations.h). Every lock in the engine that
// guards members is a Mutex, so "guarded by" is a declaration the compiler checks, not a
// comment. Zero cost: each is the std type underneath.
#ifndef CAIRN_UTIL_MUTEX_H_
#define CAIRN_UTIL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "util/thread_annotations.h"

namespace cairn {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // For the analysis only: tells it the caller holds this lock (no run-time check).
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable. Wait() takes the Mutex the caller holds; it is released while
// waiting and held again on return. Spurious wake-ups happen: wait in a loop on the
// condition. Signal with or without the Mutex held; a waiter cannot miss a signal sent
// after the condition changed under the Mutex.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: ownership stays with the caller
  }
  // Returns after at most `micros` of real time, or earlier on a signal.
  void WaitForMicros(Mutex* mu, uint64_t micros) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_for(lock, std::chrono::microseconds(micros));
    lock.release();
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace cairn

#endif  // CAIRN_UTIL_MUTEX_H_
