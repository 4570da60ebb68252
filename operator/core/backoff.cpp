#include "core/backoff.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace mlmodel::core {

Duration backoffDelay(const BackoffPolicy& policy, int attempt, double unit) {
  const double initial = static_cast<double>(policy.initial.count());
  const double cap = static_cast<double>(policy.max.count());
  // Compute in double and cap before converting: factor^attempt overflows an int64
  // count long before attempt reaches the values a stuck item accumulates.
  double delay = initial * std::pow(policy.factor, std::max(attempt, 0));
  delay = std::min(delay, cap);
  delay += delay * policy.jitter * std::clamp(unit, 0.0, 1.0);
  delay = std::min(delay, cap);
  return Duration(static_cast<Duration::rep>(delay));
}

namespace {
double threadRandom() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}
}  // namespace

Backoff::Backoff(BackoffPolicy policy, std::function<double()> random)
    : policy_(policy), random_(random ? std::move(random) : threadRandom) {}

Duration Backoff::next() {
  const double unit = policy_.jitter > 0 ? random_() : 0.0;
  return backoffDelay(policy_, attempt_++, unit);
}

}  // namespace mlmodel::core
