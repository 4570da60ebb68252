#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"

namespace mlmodel::kube {

// Decides how long a key waits before it is retried, like client-go's
// workqueue.TypedRateLimiter. Implementations are thread-safe.
//   auto limiter = defaultControllerRateLimiter(clock);
//   queue.addAfter(key, limiter->when(key));   // what WorkQueue::addRateLimited does
//   limiter->forget(key);                      // after a success
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // The delay before `key` may be processed again; counts as one more failure of `key`.
  virtual core::Duration when(const std::string& key) = 0;
  // Stops tracking `key`: its next when() starts from the first delay again.
  virtual void forget(const std::string& key) = 0;
  // How many times when() was called for `key` since it was last forgotten.
  virtual int numRequeues(const std::string& key) const = 0;
};

// Per-key exponential backoff: initial * factor^failures, capped at max (no jitter, so
// delays are predictable: 5ms, 10ms, 20ms, ... 1000s with the controller defaults).
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  explicit ItemExponentialRateLimiter(core::BackoffPolicy policy);
  core::Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int numRequeues(const std::string& key) const override;

 private:
  core::BackoffPolicy policy_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
};

// One token bucket shared by all keys (golang.org/x/time/rate semantics): `burst` calls
// pass at once, then one per 1/qps. A call never fails; it reserves the next token and
// returns how long until that token exists. Kept as the time the bucket would be empty,
// so the arithmetic is exact in clock ticks.
class BucketRateLimiter final : public RateLimiter {
 public:
  // qps must be > 0; burst below 1 counts as 1.
  BucketRateLimiter(double qps, int burst, const core::Clock& clock);
  core::Duration when(const std::string& key) override;
  void forget(const std::string&) override {}
  int numRequeues(const std::string&) const override { return 0; }

 private:
  const core::Clock& clock_;
  core::Duration interval_;  // time to earn one token
  core::Duration capacity_;  // burst * interval_
  std::mutex mu_;
  core::SteadyTime emptyAt_ = core::SteadyTime::min();  // bucket starts full
};

// The longest delay of several limiters; forget() and numRequeues() reach all of them.
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  core::Duration when(const std::string& key) override;
  void forget(const std::string& key) override;
  int numRequeues(const std::string& key) const override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// client-go's DefaultControllerRateLimiter: max(per-key 5ms..1000s, bucket 10 qps burst 100).
std::unique_ptr<RateLimiter> defaultControllerRateLimiter(const core::Clock& clock);

}  // namespace mlmodel::kube
