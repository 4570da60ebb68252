#include "core/backoff.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using mlmodel::core::Backoff;
using mlmodel::core::backoffDelay;
using mlmodel::core::BackoffPolicy;

TEST(Backoff, DoublesFromInitialUpToTheCap) {
  Backoff b(BackoffPolicy{.initial = 5ms, .max = 1000s});
  EXPECT_EQ(b.next(), 5ms);
  EXPECT_EQ(b.next(), 10ms);
  EXPECT_EQ(b.next(), 20ms);
  for (int i = 0; i < 30; ++i) b.next();
  EXPECT_EQ(b.next(), 1000s);
  EXPECT_EQ(b.attempts(), 34);
}

TEST(Backoff, HugeAttemptCountsStayAtTheCapInsteadOfOverflowing) {
  const BackoffPolicy p{.initial = 5ms, .max = 1000s};
  EXPECT_EQ(backoffDelay(p, 5000, 0.0), 1000s);
}

TEST(Backoff, JitterAddsUpToItsFractionAndNeverPassesTheCap) {
  const BackoffPolicy p{.initial = 1s, .max = 10s, .factor = 2.0, .jitter = 0.5};
  EXPECT_EQ(backoffDelay(p, 0, 0.0), 1s);
  EXPECT_EQ(backoffDelay(p, 0, 1.0), 1500ms);
  EXPECT_EQ(backoffDelay(p, 1, 0.5), 2500ms);
  EXPECT_EQ(backoffDelay(p, 3, 1.0), 10s);  // 8s + 4s jitter, capped
}

TEST(Backoff, ResetStartsOver) {
  Backoff b(BackoffPolicy{.initial = 1s, .max = 1min, .factor = 3.0, .jitter = 0.5},
            [] { return 0.0; });
  EXPECT_EQ(b.next(), 1s);
  EXPECT_EQ(b.next(), 3s);
  b.reset();
  EXPECT_EQ(b.next(), 1s);
}
