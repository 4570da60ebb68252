#pragma once

#include <functional>

#include "core/clock.h"

namespace mlmodel::core {

// Exponential backoff with optional jitter, as used for reconnects, retries and requeues.
//   BackoffPolicy p{.initial = 5ms, .max = 1000s};
//   Backoff b(p);
//   auto delay = b.next();   // 5ms, 10ms, 20ms, ... capped at 1000s
struct BackoffPolicy {
  Duration initial;
  Duration max;
  double factor = 2.0;
  // Fraction of the delay added at random: 0.5 turns a delay d into d..1.5d (capped).
  double jitter = 0.0;
};

// The delay before attempt `attempt` (0-based); `unit` is a random number in [0, 1).
Duration backoffDelay(const BackoffPolicy& policy, int attempt, double unit);

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, std::function<double()> random = nullptr);
  Duration next();
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  BackoffPolicy policy_;
  std::function<double()> random_;
  int attempt_ = 0;
};

}  // namespace mlmodel::core
