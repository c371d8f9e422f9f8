// BackgroundWorker: rounds follow requests without losing one, every waiter gets the result
// of a round that started after its request, Stop() wakes every waiter, a Stop() round's
// error is sticky, and retries back off exponentially up to the cap. The backoff schedule is
// checked on MemEnv's simulated clock, so no test here sleeps for real.
#include "jobs/background_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "testsupport/mem_env.h"

namespace cairn {
namespace {

// A round function whose behaviour each test scripts, recording when rounds ran.
class ScriptedJob {
 public:
  explicit ScriptedJob(MemEnv* env) : env_(env) {}

  JobRound Run(const JobControl&) {
    MutexLock lock(&mu_);
    round_times_.push_back(env_->NowMonotonicMicros());
    while (blocked_) {
      cv_.Wait(&mu_);
    }
    if (!results_.empty()) {
      JobRound next = results_.front();
      results_.erase(results_.begin());
      return next;
    }
    return JobRound::Idle();
  }

  // The results of the next rounds, in order; Idle after that.
  void Script(std::vector<JobRound> results) {
    MutexLock lock(&mu_);
    results_ = std::move(results);
  }
  void Block() {
    MutexLock lock(&mu_);
    blocked_ = true;
  }
  void Unblock() {
    MutexLock lock(&mu_);
    blocked_ = false;
    cv_.SignalAll();
  }
  std::vector<uint64_t> round_times() {
    MutexLock lock(&mu_);
    return round_times_;
  }
  size_t rounds() { return round_times().size(); }

 private:
  MemEnv* env_;
  Mutex mu_;
  CondVar cv_;
  bool blocked_ GUARDED_BY(mu_) = false;
  std::vector<JobRound> results_ GUARDED_BY(mu_);
  std::vector<uint64_t> round_times_ GUARDED_BY(mu_);
};

class BackgroundWorkerTest : public testing::Test {
 protected:
  BackgroundWorkerTest() { env_.UseSimulatedClock(/*wall_micros=*/1'000'000'000'000); }

  std::unique_ptr<BackgroundWorker> NewWorker(BackoffPolicy backoff = {}) {
    return std::make_unique<BackgroundWorker>(
        &env_, "test job", backoff, [this](const JobControl& c) { return job_.Run(c); }, nullptr);
  }

  // Waits (really) until `done` holds; the worker runs on its own thread.
  template <typename Predicate>
  static bool Eventually(Predicate done) {
    for (int i = 0; i < 20000; i++) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return done();
  }

  MemEnv env_;
  ScriptedJob job_{&env_};
};

TEST_F(BackgroundWorkerTest, NoRoundRunsWithoutARequest) {
  auto worker = NewWorker();
  worker->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(job_.rounds(), 0u);
  worker->Request();
  EXPECT_TRUE(Eventually([&] { return job_.rounds() == 1; }));
}

TEST_F(BackgroundWorkerTest, ARequestBeforeStartIsServedOnceItRuns) {
  auto worker = NewWorker();
  worker->Request();
  worker->Start();
  EXPECT_TRUE(Eventually([&] { return job_.rounds() == 1; }));
}

TEST_F(BackgroundWorkerTest, ARequestDuringARoundGivesOneMoreRound) {
  auto worker = NewWorker();
  job_.Block();
  worker->Start();
  worker->Request();
  ASSERT_TRUE(Eventually([&] { return job_.rounds() == 1; }));
  // Three requests while the round is blocked: the round may have looked at its work before
  // them, so one more round must follow, and one is enough.
  worker->Request();
  worker->Request();
  worker->Request();
  job_.Unblock();
  EXPECT_TRUE(Eventually([&] { return job_.rounds() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(job_.rounds(), 2u);
}

TEST_F(BackgroundWorkerTest, AgainRunsTheNextRoundAtOnce) {
  auto worker = NewWorker();
  job_.Script({JobRound::Again(), JobRound::Again(), JobRound::Idle()});
  worker->Start();
  EXPECT_TRUE(worker->RequestAndWait().ok());
  EXPECT_TRUE(Eventually([&] { return job_.rounds() == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(job_.rounds(), 3u);
}

TEST_F(BackgroundWorkerTest, EveryWaiterGetsTheResultOfARoundThatStartedAfterItsRequest) {
  auto worker = NewWorker();
  job_.Block();
  worker->Start();
  worker->Request();
  ASSERT_TRUE(Eventually([&] { return job_.rounds() == 1; }));
  // Round 1 is running (and succeeds); the waiters asked during it, so round 2 serves them,
  // and round 2 fails: each must see round 2's error, not round 1's success.
  job_.Script({JobRound::Idle(), JobRound::Retry(Status::IOError("disk full"))});
  constexpr int kWaiters = 4;
  std::vector<Status> results(kWaiters);
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; i++) {
    waiters.emplace_back([&, i] { results[i] = worker->RequestAndWait(); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  job_.Unblock();
  for (auto& t : waiters) t.join();
  for (const Status& s : results) {
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.ToString().find("disk full"), std::string::npos) << s.ToString();
  }
  EXPECT_GE(job_.rounds(), 2u);
}

TEST_F(BackgroundWorkerTest, StopWakesEveryWaiterAndLaterCallsFailCleanly) {
  auto worker = NewWorker();
  job_.Block();
  worker->Start();
  worker->Request();
  ASSERT_TRUE(Eventually([&] { return job_.rounds() == 1; }));
  std::vector<Status> results(3);
  std::vector<std::thread> waiters;
  for (int i = 0; i < 3; i++) {
    waiters.emplace_back([&, i] { results[i] = worker->RequestAndWait(); });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::thread stopper([&] { worker->Stop(); });
  for (auto& t : waiters) t.join();  // returned before the blocked round ended
  for (const Status& s : results) {
    EXPECT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.ToString().find("shutting down"), std::string::npos);
  }
  job_.Unblock();
  stopper.join();
  EXPECT_EQ(job_.rounds(), 1u);  // no round after Stop
  EXPECT_TRUE(worker->RequestAndWait().IsIOError());
  worker->Stop();  // idempotent
}

TEST_F(BackgroundWorkerTest, AStoppedJobsErrorIsStickyForPresentAndFutureWaiters) {
  auto worker = NewWorker();
  job_.Script({JobRound::Stop(Status::Corruption("bad block"))});
  worker->Start();
  Status first = worker->RequestAndWait();
  EXPECT_TRUE(first.IsCorruption()) << first.ToString();
  EXPECT_TRUE(worker->sticky_error().IsCorruption());
  EXPECT_TRUE(worker->RequestAndWait().IsCorruption());
  worker->Request();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(job_.rounds(), 1u);
  EXPECT_EQ(worker->counters().failures, 1u);
}

TEST_F(BackgroundWorkerTest, RetriesBackOffExponentiallyToTheCapAndResetAfterSuccess) {
  BackoffPolicy backoff;
  backoff.initial_micros = 1'000'000;  // 1 s doubling to a 30 s cap
  backoff.max_micros = 30'000'000;
  auto worker = NewWorker(backoff);
  std::vector<JobRound> script;
  for (int i = 0; i < 7; i++) script.push_back(JobRound::Retry(Status::IOError("EIO")));
  script.push_back(JobRound::Idle());  // success: the next failure starts again at 1 s
  script.push_back(JobRound::Retry(Status::IOError("EIO")));
  job_.Script(script);
  worker->Start();
  worker->Request();
  ASSERT_TRUE(Eventually([&] { return job_.rounds() == 8; }));
  worker->Request();  // the round after the success fails once and retries after 1 s
  ASSERT_TRUE(Eventually([&] { return job_.rounds() == 10; }));
  std::vector<uint64_t> t = job_.round_times();
  std::vector<uint64_t> gaps;
  for (size_t i = 1; i < 8; i++) gaps.push_back(t[i] - t[i - 1]);
  const std::vector<uint64_t> expected = {1'000'000,  2'000'000,  4'000'000, 8'000'000,
                                          16'000'000, 30'000'000, 30'000'000};
  EXPECT_EQ(gaps, expected);
  EXPECT_EQ(t[9] - t[8], 1'000'000u);
  EXPECT_EQ(worker->counters().failures, 8u);
}

TEST_F(BackgroundWorkerTest, StopEndsABackoffWithoutWaitingItOut) {
  MemEnv real_time_env;  // real clock: a 1 hour backoff must not hold Stop()
  std::atomic<int> rounds{0};
  BackoffPolicy backoff;
  backoff.initial_micros = 3600ull * 1000 * 1000;
  backoff.max_micros = backoff.initial_micros;
  BackgroundWorker worker(
      &real_time_env, "failing", backoff,
      [&](const JobControl&) {
        rounds++;
        return JobRound::Retry(Status::IOError("EIO"));
      },
      nullptr);
  worker.Start();
  worker.Request();
  ASSERT_TRUE(Eventually([&] { return rounds.load() == 1; }));
  const uint64_t start = real_time_env.NowMonotonicMicros();
  worker.Stop();
  EXPECT_LT(real_time_env.NowMonotonicMicros() - start, 2'000'000u);
  EXPECT_EQ(rounds.load(), 1);
}

TEST_F(BackgroundWorkerTest, ALongRoundSeesStopping) {
  std::atomic<bool> saw_stopping{false};
  std::atomic<bool> running{false};
  BackgroundWorker worker(
      &env_, "long", {},
      [&](const JobControl& control) {
        running = true;
        while (!control.stopping()) std::this_thread::yield();
        saw_stopping = true;
        return JobRound::Idle();
      },
      nullptr);
  worker.Start();
  worker.Request();
  ASSERT_TRUE(Eventually([&] { return running.load(); }));
  worker.Stop();
  EXPECT_TRUE(saw_stopping.load());
}

}  // namespace
}  // namespace cairn
