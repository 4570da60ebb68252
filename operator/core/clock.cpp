#include "core/clock.h"

#include <algorithm>
#include <vector>

namespace mlmodel::core {

void Clock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                      SteadyTime deadline) const {
  if (deadline == SteadyTime::max()) {
    cv.wait(lock);
    return;
  }
  const Duration left = deadline - steadyNow();
  if (left <= Duration::zero()) return;
  cv.wait_for(lock, left);
}

void SystemClock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                            SteadyTime deadline) const {
  // wait_until(max) can overflow inside the library's conversion to a timespec.
  if (deadline == SteadyTime::max()) {
    cv.wait(lock);
  } else {
    cv.wait_until(lock, deadline);
  }
}

const Clock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

SteadyTime FakeClock::steadyNow() const {
  std::lock_guard<std::mutex> guard(mu_);
  return steady_;
}

WallTime FakeClock::wallNow() const {
  std::lock_guard<std::mutex> guard(mu_);
  return wall_;
}

std::size_t FakeClock::timedWaiters() const {
  std::lock_guard<std::mutex> guard(mu_);
  return waiters_.size();
}

std::vector<SteadyTime> FakeClock::deadlines() const {
  std::vector<SteadyTime> out;
  {
    std::lock_guard<std::mutex> guard(mu_);
    for (const Waiter* w : waiters_) out.push_back(w->deadline);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Lock order: the caller's mutex, then mu_. advance() never holds mu_ while it takes a
// waiter's mutex, and a waiter never holds its mutex while it waits for advance() to let
// go of its record, so neither can deadlock the other.
void FakeClock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          SteadyTime deadline) const {
  if (deadline == SteadyTime::max()) {
    cv.wait(lock);
    return;
  }
  Waiter self{lock.mutex(), &cv, deadline};
  std::list<Waiter*>::iterator it;
  {
    std::lock_guard<std::mutex> guard(mu_);
    if (steady_ >= deadline) return;
    it = waiters_.insert(waiters_.end(), &self);
  }
  // We still hold the caller's mutex here, so an advance() that wants to notify us blocks
  // on it until cv.wait() has released it: the wakeup cannot be lost.
  cv.wait(lock);
  // advance() may be about to lock the caller's mutex to notify us: let it finish before
  // the record on our stack goes away.
  lock.unlock();
  {
    std::unique_lock<std::mutex> guard(mu_);
    released_.wait(guard, [&] { return self.notifying == 0; });
    waiters_.erase(it);
  }
  lock.lock();
}

void FakeClock::advance(Duration d) {
  std::vector<Waiter*> due;
  {
    std::lock_guard<std::mutex> guard(mu_);
    steady_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    for (Waiter* w : waiters_) {
      if (w->deadline <= steady_) {
        ++w->notifying;
        due.push_back(w);
      }
    }
  }
  for (Waiter* w : due) {
    std::lock_guard<std::mutex> guard(*w->mutex);
    w->cv->notify_all();
  }
  if (due.empty()) return;
  {
    std::lock_guard<std::mutex> guard(mu_);
    for (Waiter* w : due) --w->notifying;
  }
  released_.notify_all();
}

}  // namespace mlmodel::core
