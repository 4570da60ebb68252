#include "kube/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace mlmodel::kube {

using core::Duration;
using core::SteadyTime;
using namespace std::chrono_literals;

ItemExponentialRateLimiter::ItemExponentialRateLimiter(core::BackoffPolicy policy)
    : policy_(policy) {
  policy_.jitter = 0.0;
}

Duration ItemExponentialRateLimiter::when(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  const int attempt = failures_[key]++;
  return core::backoffDelay(policy_, attempt, 0.0);
}

void ItemExponentialRateLimiter::forget(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  failures_.erase(key);
}

int ItemExponentialRateLimiter::numRequeues(const std::string& key) const {
  std::lock_guard<std::mutex> guard(mu_);
  const auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

BucketRateLimiter::BucketRateLimiter(double qps, int burst, const core::Clock& clock)
    : clock_(clock),
      interval_(std::max<Duration::rep>(
          1, static_cast<Duration::rep>(std::llround(
                 static_cast<double>(std::chrono::duration_cast<Duration>(1s).count()) / qps)))),
      capacity_(interval_ * std::max(burst, 1)) {}

Duration BucketRateLimiter::when(const std::string&) {
  std::lock_guard<std::mutex> guard(mu_);
  const SteadyTime now = clock_.steadyNow();
  // Tokens earned while idle never exceed the burst.
  emptyAt_ = std::max(emptyAt_, now - capacity_);
  emptyAt_ += interval_;
  return std::max(emptyAt_ - now, Duration::zero());
}

MaxOfRateLimiter::MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
    : limiters_(std::move(limiters)) {}

Duration MaxOfRateLimiter::when(const std::string& key) {
  Duration longest = Duration::zero();
  // Every limiter must see the call (each counts it), so no short-circuit.
  for (auto& limiter : limiters_) longest = std::max(longest, limiter->when(key));
  return longest;
}

void MaxOfRateLimiter::forget(const std::string& key) {
  for (auto& limiter : limiters_) limiter->forget(key);
}

int MaxOfRateLimiter::numRequeues(const std::string& key) const {
  int most = 0;
  for (const auto& limiter : limiters_) most = std::max(most, limiter->numRequeues(key));
  return most;
}

std::unique_ptr<RateLimiter> defaultControllerRateLimiter(const core::Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ItemExponentialRateLimiter>(
      core::BackoffPolicy{.initial = 5ms, .max = 1000s}));
  limiters.push_back(std::make_unique<BucketRateLimiter>(10.0, 100, clock));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

}  // namespace mlmodel::kube
