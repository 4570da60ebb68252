#include "kube/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "support/wait_until.h"

using namespace std::chrono_literals;
using mlmodel::core::Duration;
using mlmodel::core::FakeClock;
using mlmodel::kube::makeWorkQueue;
using mlmodel::kube::RateLimiter;
using mlmodel::kube::runWorkers;
using mlmodel::kube::WorkQueue;
using mlmodel::kube::WorkQueueMetrics;
using mlmodel::kube::WorkQueueMetricsProvider;
using mlmodel::kube::WorkResult;
using mlmodel::testutil::waitUntil;

namespace {

// Retries at once, counting calls, so worker tests need no clock.
class ImmediateLimiter final : public RateLimiter {
 public:
  Duration when(const std::string& key) override {
    std::lock_guard<std::mutex> guard(mu_);
    ++requeues_[key];
    return Duration::zero();
  }
  void forget(const std::string& key) override {
    std::lock_guard<std::mutex> guard(mu_);
    requeues_.erase(key);
  }
  int numRequeues(const std::string& key) const override {
    std::lock_guard<std::mutex> guard(mu_);
    const auto it = requeues_.find(key);
    return it == requeues_.end() ? 0 : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> requeues_;
};

class WorkQueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::unique_ptr<WorkQueue> queue_ = makeWorkQueue({.name = "test", .clock = &clock_});
};

}  // namespace

TEST_F(WorkQueueTest, AddingAQueuedKeyAgainIsANoOp) {
  queue_->add("a");
  queue_->add("b");
  queue_->add("a");
  EXPECT_EQ(queue_->len(), 2u);
  EXPECT_EQ(queue_->get(), "a");
  EXPECT_EQ(queue_->get(), "b");
  EXPECT_EQ(queue_->tryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsQueuedAgainOnlyByDone) {
  queue_->add("a");
  ASSERT_EQ(queue_->get(), "a");
  queue_->add("a");
  queue_->add("a");
  EXPECT_EQ(queue_->len(), 0u);  // held, so not handed out again
  EXPECT_EQ(queue_->tryGet(), std::nullopt);
  queue_->done("a");
  EXPECT_EQ(queue_->len(), 1u);  // once, however often it was added
  EXPECT_EQ(queue_->get(), "a");
  queue_->done("a");
  EXPECT_EQ(queue_->len(), 0u);
}

TEST_F(WorkQueueTest, NeverHandsAKeyToTwoWorkersAtOnce) {
  queue_->add("a");
  std::latch firstHasIt(1);
  std::latch releaseFirst(1);
  std::atomic<bool> firstDone{false};
  std::atomic<bool> secondDone{false};
  bool secondSawFirstDone = false;
  std::thread first([&] {
    auto key = queue_->get();
    firstHasIt.count_down();
    releaseFirst.wait();
    firstDone = true;
    EXPECT_EQ(key, "a");
    if (key) queue_->done(*key);
  });
  if (!waitUntil([&] { return firstHasIt.try_wait(); })) {
    queue_->shutDown();  // wakes the blocked get(), so the thread can be joined
    releaseFirst.count_down();
    first.join();
    FAIL() << "the first worker never got the queued key";
  }
  queue_->add("a");  // while the first worker holds it
  std::thread second([&] {
    auto key = queue_->get();  // blocks until the first worker is done
    secondSawFirstDone = firstDone.load();
    EXPECT_EQ(key, "a");
    if (key) queue_->done(*key);
    secondDone = true;
  });
  EXPECT_EQ(queue_->len(), 0u);
  releaseFirst.count_down();
  first.join();
  if (!waitUntil([&] { return secondDone.load(); })) {
    ADD_FAILURE() << "the second worker never got the key the first one was done with";
    queue_->shutDown();
  }
  second.join();
  EXPECT_TRUE(secondSawFirstDone);
}

TEST_F(WorkQueueTest, AddAfterHoldsTheKeyUntilTheClockPassesTheDeadline) {
  queue_->addAfter("a", 1s);
  EXPECT_EQ(queue_->len(), 0u);
  clock_.advance(999ms);
  EXPECT_EQ(queue_->tryGet(), std::nullopt);
  clock_.advance(1ms);
  EXPECT_EQ(queue_->len(), 1u);
  EXPECT_EQ(queue_->tryGet(), "a");
}

TEST_F(WorkQueueTest, AddAfterKeepsTheEarlierDeadline) {
  queue_->addAfter("a", 10s);
  queue_->addAfter("a", 1s);  // earlier: wins
  queue_->addAfter("b", 1s);
  queue_->addAfter("b", 10s);  // later: ignored
  clock_.advance(1s);
  EXPECT_EQ(queue_->len(), 2u);
  EXPECT_EQ(queue_->get(), "a");
  EXPECT_EQ(queue_->get(), "b");
  queue_->done("a");
  queue_->done("b");
  clock_.advance(10s);
  EXPECT_EQ(queue_->tryGet(), std::nullopt);  // each key was waiting once
}

TEST_F(WorkQueueTest, AddAfterWithoutDelayQueuesAtOnce) {
  queue_->addAfter("a", 0s);
  EXPECT_EQ(queue_->tryGet(), "a");
}

TEST_F(WorkQueueTest, BlockedGetWakesWhenTheClockReachesTheDeadline) {
  queue_->addAfter("a", 30s);
  std::optional<std::string> got;
  std::thread worker([&] { got = queue_->get(); });
  // EXPECT, not ASSERT: the test must still release and join its thread.
  EXPECT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "get() never blocked on the clock until the key's 30s";
  clock_.advance(30s);
  worker.join();
  EXPECT_EQ(got, "a");
}

TEST_F(WorkQueueTest, AddRateLimitedBacksOffPerKeyAndForgetResets) {
  queue_->addRateLimited("a");
  clock_.advance(4ms);
  EXPECT_EQ(queue_->tryGet(), std::nullopt);
  clock_.advance(1ms);
  ASSERT_EQ(queue_->tryGet(), "a");
  queue_->addRateLimited("a");
  queue_->done("a");
  EXPECT_EQ(queue_->numRequeues("a"), 2);
  clock_.advance(9ms);
  EXPECT_EQ(queue_->tryGet(), std::nullopt);
  clock_.advance(1ms);
  ASSERT_EQ(queue_->tryGet(), "a");
  queue_->forget("a");
  EXPECT_EQ(queue_->numRequeues("a"), 0);
  queue_->addRateLimited("a");
  queue_->done("a");
  clock_.advance(5ms);
  EXPECT_EQ(queue_->tryGet(), "a");
}

TEST_F(WorkQueueTest, AddRateLimitedIsBoundByTheOverallBucket) {
  for (int i = 0; i < 101; ++i) queue_->addRateLimited("k" + std::to_string(i));
  clock_.advance(5ms);
  EXPECT_EQ(queue_->len(), 100u);  // the burst, after the per-key 5ms
  clock_.advance(94ms);
  EXPECT_EQ(queue_->len(), 100u);
  clock_.advance(1ms);
  EXPECT_EQ(queue_->len(), 101u);  // the 101st waited for the bucket's 100ms
}

TEST_F(WorkQueueTest, ShutDownWakesABlockedGet) {
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = queue_->get(); });
  queue_->shutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST_F(WorkQueueTest, AfterShutDownQueuedKeysAreStillHandedOutButNewOnesAreIgnored) {
  queue_->add("a");
  queue_->addAfter("later", 1s);
  queue_->shutDown();
  EXPECT_TRUE(queue_->shuttingDown());
  queue_->add("b");
  queue_->addRateLimited("c");
  clock_.advance(1h);
  EXPECT_EQ(queue_->get(), "a");
  queue_->done("a");
  EXPECT_EQ(queue_->get(), std::nullopt);
}

TEST_F(WorkQueueTest, ShutDownWithDrainWaitsForInFlightKeys) {
  queue_->add("a");
  queue_->add("b");
  ASSERT_EQ(queue_->get(), "a");
  ASSERT_EQ(queue_->get(), "b");
  std::atomic<bool> drained{false};
  std::thread drainer([&] {
    queue_->shutDownWithDrain();
    drained = true;
  });
  EXPECT_TRUE(waitUntil([&] { return queue_->shuttingDown(); }))
      << "shutDownWithDrain() never marked the queue as shutting down";
  queue_->done("a");
  EXPECT_FALSE(drained.load());  // "b" is still in flight
  queue_->done("b");
  drainer.join();
  EXPECT_TRUE(drained.load());
}

namespace {

struct Recorded {
  std::string name;
  int adds = 0;
  int retries = 0;
  std::vector<std::size_t> depths;
  std::vector<Duration> latencies;
  std::vector<Duration> durations;
};

class RecordingMetrics final : public WorkQueueMetrics {
 public:
  explicit RecordingMetrics(Recorded& r) : r_(r) {}
  void added() override { ++r_.adds; }
  void depth(std::size_t n) override { r_.depths.push_back(n); }
  void queueLatency(Duration d) override { r_.latencies.push_back(d); }
  void workDuration(Duration d) override { r_.durations.push_back(d); }
  void retried() override { ++r_.retries; }

 private:
  Recorded& r_;
};

class RecordingProvider final : public WorkQueueMetricsProvider {
 public:
  std::unique_ptr<WorkQueueMetrics> forQueue(std::string_view name) override {
    recorded.name = name;
    return std::make_unique<RecordingMetrics>(recorded);
  }
  Recorded recorded;
};

}  // namespace

TEST(WorkQueueMetricsHooks, ReportsAddsDepthLatencyDurationAndRetriesUnderTheQueueName) {
  FakeClock clock;
  RecordingProvider provider;
  auto queue = makeWorkQueue({.name = "mlmodel", .clock = &clock, .metrics = &provider});
  const Recorded& r = provider.recorded;
  EXPECT_EQ(r.name, "mlmodel");

  queue->add("a");
  queue->add("a");  // deduplicated: not an add
  queue->add("b");
  clock.advance(2s);
  ASSERT_EQ(queue->get(), "a");
  clock.advance(3s);
  queue->done("a");
  EXPECT_EQ(r.adds, 2);
  EXPECT_EQ(r.depths, (std::vector<std::size_t>{1, 2, 1}));
  EXPECT_EQ(r.latencies, std::vector<Duration>{2s});
  EXPECT_EQ(r.durations, std::vector<Duration>{3s});

  queue->addAfter("c", 1s);
  queue->addRateLimited("d");
  EXPECT_EQ(r.retries, 2);
  clock.advance(1s);
  ASSERT_EQ(queue->get(), "b");
  ASSERT_EQ(queue->get(), "d");  // ready at 5ms, before "c"
  ASSERT_FALSE(r.latencies.empty());
  EXPECT_EQ(r.latencies.back(), 995ms);  // counted from when it became ready
}

TEST(WorkQueueWorkers, ProcessesEveryKeyExactlyOnceWithoutOverlap) {
  constexpr int kKeys = 500;
  auto queue = makeWorkQueue({.name = "test", .rateLimiter = std::make_unique<ImmediateLimiter>()});
  std::mutex mu;
  std::map<std::string, int> calls;
  std::set<std::string> active;
  bool overlapped = false;
  std::latch allSeen(kKeys);
  for (int i = 0; i < kKeys; ++i) queue->add("ns/" + std::to_string(i));

  auto pool = runWorkers(*queue, 4, [&](const std::string& key) {
    {
      std::lock_guard<std::mutex> guard(mu);
      overlapped |= !active.insert(key).second;
      ++calls[key];
    }
    std::lock_guard<std::mutex> guard(mu);
    active.erase(key);
    allSeen.count_down();
    return WorkResult::success();
  });
  ASSERT_TRUE(waitUntil([&] { return allSeen.try_wait(); }))
      << "the workers never saw all the keys";
  queue->shutDownWithDrain();
  pool->join();

  EXPECT_FALSE(overlapped);
  ASSERT_EQ(calls.size(), static_cast<std::size_t>(kKeys));
  for (const auto& [key, n] : calls) EXPECT_EQ(n, 1) << key;
}

TEST(WorkQueueWorkers, RetriesFailuresAndExceptionsThenForgetsOnSuccess) {
  auto queue = makeWorkQueue({.name = "test", .rateLimiter = std::make_unique<ImmediateLimiter>()});
  std::atomic<int> calls{0};
  std::latch succeeded(1);
  queue->add("a");
  auto pool = runWorkers(*queue, 2, [&](const std::string&) {
    const int call = ++calls;
    if (call == 1) return WorkResult::retry();
    if (call == 2) throw std::runtime_error("boom");
    succeeded.count_down();
    return WorkResult::success();
  });
  ASSERT_TRUE(waitUntil([&] { return succeeded.try_wait(); }))
      << "the key never succeeded (after a retry and a throw)";
  queue->shutDownWithDrain();
  pool->join();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(queue->numRequeues("a"), 0);
}

TEST(WorkQueueWorkers, RequeueAfterRunsTheKeyAgainWhenTheClockGetsThere) {
  FakeClock clock;
  auto queue = makeWorkQueue({.name = "test", .clock = &clock});
  std::atomic<int> calls{0};
  std::latch second(1);
  queue->add("a");
  auto pool = runWorkers(*queue, 1, [&](const std::string&) {
    if (++calls == 1) return WorkResult::requeueAfter(30s);
    second.count_down();
    return WorkResult::success();
  });
  // The pool shuts the queue down and joins on the way out, so an ASSERT may return.
  ASSERT_TRUE(waitUntil([&] { return clock.timedWaiters() == 1; }))
      << "the worker never waited on the clock for the requeue's 30s";
  EXPECT_EQ(calls.load(), 1);
  clock.advance(30s);
  ASSERT_TRUE(waitUntil([&] { return second.try_wait(); }))
      << "the requeued key never ran a second time";
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(queue->numRequeues("a"), 0);
}
