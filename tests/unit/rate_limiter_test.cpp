#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

using namespace std::chrono_literals;
using mlmodel::core::BackoffPolicy;
using mlmodel::core::FakeClock;
using mlmodel::kube::BucketRateLimiter;
using mlmodel::kube::defaultControllerRateLimiter;
using mlmodel::kube::ItemExponentialRateLimiter;

TEST(ItemExponentialRateLimiter, DoublesPerFailureFrom5msUpTo1000s) {
  ItemExponentialRateLimiter limiter(BackoffPolicy{.initial = 5ms, .max = 1000s});
  EXPECT_EQ(limiter.when("a"), 5ms);
  EXPECT_EQ(limiter.when("a"), 10ms);
  EXPECT_EQ(limiter.when("a"), 20ms);
  EXPECT_EQ(limiter.when("a"), 40ms);
  for (int i = 4; i < 17; ++i) limiter.when("a");
  EXPECT_EQ(limiter.when("a"), 5ms * (1 << 17));  // 655.36s
  EXPECT_EQ(limiter.when("a"), 1000s);            // 1310.72s, capped
  EXPECT_EQ(limiter.when("a"), 1000s);
  EXPECT_EQ(limiter.numRequeues("a"), 20);
}

TEST(ItemExponentialRateLimiter, CapsAt1000sAndIgnoresJitter) {
  ItemExponentialRateLimiter limiter(BackoffPolicy{.initial = 5ms, .max = 1000s, .jitter = 0.5});
  EXPECT_EQ(limiter.when("a"), 5ms);
  for (int i = 0; i < 100; ++i) limiter.when("a");
  EXPECT_EQ(limiter.when("a"), 1000s);
}

TEST(ItemExponentialRateLimiter, KeysFailIndependentlyAndForgetResets) {
  ItemExponentialRateLimiter limiter(BackoffPolicy{.initial = 5ms, .max = 1000s});
  limiter.when("a");
  limiter.when("a");
  EXPECT_EQ(limiter.when("b"), 5ms);
  EXPECT_EQ(limiter.numRequeues("a"), 2);
  EXPECT_EQ(limiter.numRequeues("b"), 1);
  limiter.forget("a");
  EXPECT_EQ(limiter.numRequeues("a"), 0);
  EXPECT_EQ(limiter.when("a"), 5ms);
  EXPECT_EQ(limiter.numRequeues("unknown"), 0);
}

TEST(BucketRateLimiter, LetsTheBurstThroughThenOnePerInterval) {
  FakeClock clock;
  BucketRateLimiter limiter(10.0, 100, clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.when(std::to_string(i)), 0ms) << i;
  EXPECT_EQ(limiter.when("x"), 100ms);
  EXPECT_EQ(limiter.when("y"), 200ms);
  EXPECT_EQ(limiter.when("z"), 300ms);
  EXPECT_EQ(limiter.numRequeues("x"), 0);
}

TEST(BucketRateLimiter, RefillsAtQpsAndNeverBeyondTheBurst) {
  FakeClock clock;
  BucketRateLimiter limiter(10.0, 100, clock);
  for (int i = 0; i < 101; ++i) limiter.when("k");  // one token in debt
  clock.advance(1s);                                // earns 10: 9 left
  for (int i = 0; i < 9; ++i) ASSERT_EQ(limiter.when("k"), 0ms) << i;
  EXPECT_EQ(limiter.when("k"), 100ms);

  clock.advance(1h);  // a long idle spell refills only up to the burst
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter.when("k"), 0ms) << i;
  EXPECT_EQ(limiter.when("k"), 100ms);
}

TEST(BucketRateLimiter, ADelayShrinksAsTheClockMoves) {
  FakeClock clock;
  BucketRateLimiter limiter(2.0, 1, clock);
  EXPECT_EQ(limiter.when("k"), 0ms);
  clock.advance(200ms);
  EXPECT_EQ(limiter.when("k"), 300ms);  // the next token is due 500ms after the first
}

TEST(DefaultControllerRateLimiter, TakesTheLongerOfBackoffAndBucket) {
  FakeClock clock;
  auto limiter = defaultControllerRateLimiter(clock);
  // Within the burst, per-key backoff decides.
  EXPECT_EQ(limiter->when("a"), 5ms);
  EXPECT_EQ(limiter->when("a"), 10ms);
  EXPECT_EQ(limiter->when("a"), 20ms);
  for (int i = 3; i < 100; ++i) limiter->when("key-" + std::to_string(i));
  // Burst spent: the bucket's 100ms beats a fresh key's 5ms...
  EXPECT_EQ(limiter->when("fresh"), 100ms);
  // ...and a key deep in backoff beats the bucket's 200ms.
  EXPECT_EQ(limiter->when("a"), 200ms);  // backoff says 40ms
  for (int i = 0; i < 10; ++i) limiter->when("a");
  EXPECT_EQ(limiter->when("a"), 5ms * (1 << 14));  // 81.92s; the bucket says 1.3s
  EXPECT_EQ(limiter->numRequeues("a"), 15);
}

TEST(DefaultControllerRateLimiter, ForgetResetsBackoffButNotTheSharedBucket) {
  FakeClock clock;
  auto limiter = defaultControllerRateLimiter(clock);
  for (int i = 0; i < 5; ++i) limiter->when("a");  // backoff at 80ms; the 6th would be 160ms
  for (int i = 5; i < 100; ++i) limiter->when("key-" + std::to_string(i));  // burst spent
  EXPECT_EQ(limiter->numRequeues("a"), 5);
  limiter->forget("a");
  EXPECT_EQ(limiter->numRequeues("a"), 0);
  // Backoff starts over at 5ms (not 160ms), but the bucket is still empty: its 100ms wins.
  EXPECT_EQ(limiter->when("a"), 100ms);
}
