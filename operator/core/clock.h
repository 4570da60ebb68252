#pragma once

#include <chrono>

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
};

// The real clock. Stateless; one shared instance is enough.
class SystemClock final : public Clock {
 public:
  SteadyTime steadyNow() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  static const Clock& instance();
};

// A clock that moves only when told to. Steady and wall time advance together.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime wall = WallTime{} + std::chrono::hours(24 * 365 * 56))
      : wall_(wall) {}
  SteadyTime steadyNow() const override { return steady_; }
  WallTime wallNow() const override { return wall_; }
  void advance(Duration d) {
    steady_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }

 private:
  SteadyTime steady_{};
  WallTime wall_;
};

}  // namespace mlmodel::core
