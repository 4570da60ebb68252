#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <mutex>
#include <vector>

namespace mlmodel::core {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// Where every layer gets the time from, so tests can drive time instead of sleeping.
// steadyNow() measures intervals (deadlines, backoff); wallNow() stamps what users read
// (status timestamps, Events).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime steadyNow() const = 0;
  virtual WallTime wallNow() const = 0;

  // Blocks on `cv`, whose mutex `lock` holds, until it is notified or this clock reaches
  // `deadline` (SteadyTime::max() waits for a notification only). Like any condition
  // variable wait it may return early and may release and retake `lock`, so callers loop
  // and re-check their predicate:
  //   while (!ready_) clock.waitUntil(lock, cv_, deadline);
  // The default converts the time left on this clock into real time; FakeClock overrides
  // it so that advance() wakes the waiter.
  virtual void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         SteadyTime deadline) const;
};

// The real clock. Stateless; one shared instance is enough.
class SystemClock final : public Clock {
 public:
  SteadyTime steadyNow() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 SteadyTime deadline) const override;
  static const Clock& instance();
};

// A clock that moves only when told to. Steady and wall time advance together.
// Thread-safe: tests advance it while worker threads read it or wait on it; advance()
// wakes every waitUntil() whose deadline it reaches.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime wall = WallTime{} + std::chrono::hours(24 * 365 * 56))
      : wall_(wall) {}
  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  SteadyTime steadyNow() const override;
  WallTime wallNow() const override;
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 SteadyTime deadline) const override;
  void advance(Duration d);
  // How many threads are blocked in waitUntil() with a finite deadline.
  std::size_t timedWaiters() const;
  // Their deadlines, earliest first: when a test's threads mean to wake next.
  std::vector<SteadyTime> deadlines() const;

 private:
  struct Waiter {
    std::mutex* mutex;
    std::condition_variable* cv;
    SteadyTime deadline;
    int notifying = 0;  // advance() calls holding this waiter's pointers
  };

  mutable std::mutex mu_;
  mutable std::condition_variable released_;  // signalled when a waiter's notifying drops
  mutable std::list<Waiter*> waiters_;
  SteadyTime steady_{};
  WallTime wall_;
};

}  // namespace mlmodel::core
