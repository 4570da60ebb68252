#include "core/clock.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/wait_until.h"

using namespace std::chrono_literals;
using mlmodel::core::Clock;
using mlmodel::core::FakeClock;
using mlmodel::core::SteadyTime;
using mlmodel::core::SystemClock;
using mlmodel::core::WallTime;
using mlmodel::testutil::waitUntil;

TEST(FakeClock, AdvancesSteadyAndWallTimeTogether) {
  FakeClock clock;
  const SteadyTime steady = clock.steadyNow();
  const WallTime wall = clock.wallNow();
  clock.advance(90s);
  EXPECT_EQ(clock.steadyNow() - steady, 90s);
  EXPECT_EQ(clock.wallNow() - wall, 90s);
}

TEST(FakeClock, WaitUntilAReachedDeadlineReturnsAtOnce) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  clock.waitUntil(lock, cv, clock.steadyNow());  // would block forever if it waited
  EXPECT_TRUE(lock.owns_lock());
  EXPECT_EQ(clock.timedWaiters(), 0u);
}

TEST(FakeClock, AdvancePastTheDeadlineWakesAWaiter) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  const SteadyTime deadline = clock.steadyNow() + 10s;
  bool ownedLockOnReturn = false;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (clock.steadyNow() < deadline) clock.waitUntil(lock, cv, deadline);
    ownedLockOnReturn = lock.owns_lock();
  });
  // EXPECT, not ASSERT: returning with the thread unjoined would end the whole binary.
  EXPECT_TRUE(waitUntil([&] { return clock.timedWaiters() == 1; }))
      << "the waiter never waited on the fake clock";
  clock.advance(9s);  // short of the deadline: the waiter loops and waits again
  clock.advance(1s);
  waiter.join();
  EXPECT_TRUE(ownedLockOnReturn);
  EXPECT_EQ(clock.timedWaiters(), 0u);
}

TEST(FakeClock, NotifyStillWakesATimedWaiter) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!ready) clock.waitUntil(lock, cv, clock.steadyNow() + 1h);
  });
  EXPECT_TRUE(waitUntil([&] { return clock.timedWaiters() == 1; }))
      << "the waiter never waited on the fake clock";
  {
    std::lock_guard<std::mutex> guard(mu);
    ready = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_EQ(clock.timedWaiters(), 0u);
}

TEST(SystemClock, WaitUntilAPastDeadlineReturns) {
  const Clock& clock = SystemClock::instance();
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  clock.waitUntil(lock, cv, clock.steadyNow() - 1s);
  EXPECT_TRUE(lock.owns_lock());
}

TEST(Clock, DefaultWaitUntilMeasuresTheDeadlineOnItsOwnClock) {
  // A clock far ahead of real time: its deadlines must not be read as real time points.
  class AheadClock final : public Clock {
   public:
    SteadyTime steadyNow() const override { return std::chrono::steady_clock::now() + 1000h; }
    WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  } clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  clock.waitUntil(lock, cv, clock.steadyNow() - 1s);  // already passed on this clock
  EXPECT_TRUE(lock.owns_lock());
}
