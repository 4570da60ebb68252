#include "server/manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "support/wait_until.h"

using namespace std::chrono_literals;
using mlmodel::core::FakeClock;
using mlmodel::core::SteadyTime;
using mlmodel::kube::WorkResult;
using mlmodel::server::Leadership;
using mlmodel::server::Manager;
using mlmodel::server::ManagerOptions;
using mlmodel::server::ManagerParts;
using mlmodel::server::WriteFence;
using mlmodel::testutil::waitUntil;

namespace {

// A lease the test hands out and takes away.
class FakeLeadership final : public Leadership {
 public:
  void start(std::function<void()> onLeading, std::function<void()> onLost) override {
    std::lock_guard lock(mu_);
    onLeading_ = std::move(onLeading);
    onLost_ = std::move(onLost);
    started_ = true;
  }
  mlmodel::core::Status holds() const override {
    if (!leading_) return mlmodel::core::Error{"not the leader"};
    return mlmodel::core::Ok{};
  }
  void release() override { released_ = true; }

  void lead() {
    leading_ = true;
    callback(onLeading_)();
  }
  void lose() {
    leading_ = false;
    callback(onLost_)();
  }
  bool started() const {
    std::lock_guard lock(mu_);
    return started_;
  }
  bool released() const { return released_; }

 private:
  std::function<void()> callback(const std::function<void()>& f) const {
    std::lock_guard lock(mu_);
    return f;
  }
  mutable std::mutex mu_;
  std::function<void()> onLeading_, onLost_;
  bool started_ = false;
  std::atomic<bool> leading_{false}, released_{false};
};

// Reconciles that the test lets finish one key at a time ("blocking" keys) or at once.
struct Work {
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> blocking;
  std::vector<std::string> started;
  std::set<std::string> finished;
  std::set<std::string> released;

  WorkResult run(const std::string& key) {
    std::unique_lock lock(mu);
    started.push_back(key);
    cv.wait(lock, [&] { return !blocking.contains(key) || released.contains(key); });
    finished.insert(key);
    return WorkResult::success();
  }
  void release(const std::string& key) {
    {
      std::lock_guard lock(mu);
      released.insert(key);
    }
    cv.notify_all();
  }
  size_t startedCount() {
    std::lock_guard lock(mu);
    return started.size();
  }
  bool hasFinished(const std::string& key) {
    std::lock_guard lock(mu);
    return finished.contains(key);
  }
};

class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    queue_ = mlmodel::kube::makeWorkQueue({.name = "test", .clock = &clock_});
  }

  std::unique_ptr<Manager> manager(bool elect = true, ManagerOptions options = {}) {
    ManagerParts p;
    p.waitForCaches = [this](SteadyTime deadline) {
      std::unique_lock lock(cachesMu_);
      while (!cachesSynced_ && clock_.steadyNow() < deadline) {
        clock_.waitUntil(lock, cachesCv_, deadline);
      }
      return cachesSynced_;
    };
    p.queue = queue_.get();
    p.workers = 2;
    p.work = [this](const std::string& key) { return work_.run(key); };
    if (elect) {
      auto l = std::make_unique<FakeLeadership>();
      leadership_ = l.get();
      p.leadership = std::move(l);
    }
    p.fence = &fence_;
    p.wake = [this] { ++wakes_; };
    p.flush = [this] { ++flushes_; };
    p.clock = &clock_;
    p.cancel = &cancel_;
    return std::make_unique<Manager>(std::move(p), options);
  }
  // Starts `m`, lets its caches sync and hands it the lease.
  void startLeading(Manager& m) {
    m.start();
    syncCaches();
    ASSERT_TRUE(waitUntil([&] { return leadership_->started(); }));
    leadership_->lead();
  }
  void syncCaches() {
    {
      std::lock_guard lock(cachesMu_);
      cachesSynced_ = true;
    }
    cachesCv_.notify_all();
  }

  FakeClock clock_;
  mlmodel::core::CancelToken cancel_;  // the reconciles' client's
  std::unique_ptr<mlmodel::kube::WorkQueue> queue_;
  WriteFence fence_;
  FakeLeadership* leadership_ = nullptr;
  Work work_;
  std::atomic<int> wakes_{0}, flushes_{0};
  std::mutex cachesMu_;
  std::condition_variable cachesCv_;
  bool cachesSynced_ = false;
};

TEST_F(ManagerTest, ContendsForTheLeaseOnlyOnceTheCachesHaveSynced) {
  auto m = manager();
  queue_->add("ns/a");
  m->start();
  // The starter waits on the caches (in slices of the clock): no lease, no work, no writes.
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  clock_.advance(1s);
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  EXPECT_FALSE(leadership_->started());
  EXPECT_FALSE(fence_.check()) << "a process that does not lead writes nothing";
  syncCaches();
  ASSERT_TRUE(waitUntil([&] { return leadership_->started(); }));
  EXPECT_EQ(work_.startedCount(), 0u) << "no reconcile before leading";
  leadership_->lead();
  EXPECT_TRUE(fence_.check());
  ASSERT_TRUE(waitUntil([&] { return work_.hasFinished("ns/a"); }));
  EXPECT_TRUE(m->leading());
  const auto end = m->stop();
  EXPECT_EQ(end.exitCode, 0);
  EXPECT_FALSE(end.workersStuck);
  EXPECT_TRUE(leadership_->released());
  EXPECT_EQ(wakes_, 0);
}

TEST_F(ManagerTest, ALostLeaseStopsTakingKeysRefusesWritesAndExitsOneWithoutDraining) {
  auto m = manager();
  work_.blocking = {"ns/a", "ns/b"};
  ASSERT_NO_FATAL_FAILURE(startLeading(*m));
  queue_->add("ns/a");
  queue_->add("ns/b");
  ASSERT_TRUE(waitUntil([&] { return work_.startedCount() == 2; }));  // both workers busy
  queue_->add("ns/c");                                                // waits in the queue

  leadership_->lose();
  EXPECT_EQ(wakes_, 1) << "the process is told to stop";
  EXPECT_TRUE(cancel_.cancelled()) << "the reconciles' requests in flight are aborted";
  EXPECT_TRUE(m->lostLease());
  EXPECT_FALSE(m->leading());
  const auto refused = fence_.check();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("lost its lease"), std::string::npos)
      << refused.error().message;

  // The reconciles in flight return (their writes were refused); the queue is not drained.
  work_.release("ns/a");
  work_.release("ns/b");
  const auto end = m->stop();
  EXPECT_EQ(end.exitCode, 1);
  EXPECT_FALSE(end.workersStuck);
  EXPECT_EQ(work_.startedCount(), 2u) << "ns/c was reconciled after the lease was lost";
  EXPECT_EQ(flushes_, 0) << "nothing is sent after the loss";
}

TEST_F(ManagerTest, ALostLeaseDoesNotWaitLongForAReconcileThatHangs) {
  ManagerOptions o;
  o.lostGrace = 2s;
  auto m = manager(true, o);
  work_.blocking = {"ns/a"};
  ASSERT_NO_FATAL_FAILURE(startLeading(*m));
  queue_->add("ns/a");
  ASSERT_TRUE(waitUntil([&] { return work_.startedCount() == 1; }));
  leadership_->lose();
  Manager::Stopped end;
  std::thread stopper([&] { end = m->stop(); });
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  clock_.advance(2s);
  stopper.join();
  EXPECT_EQ(end.exitCode, 1);
  EXPECT_TRUE(end.workersStuck) << "the caller must exit without destructors";
  work_.release("ns/a");  // lets ~Manager join the worker
}

TEST_F(ManagerTest, SigtermFinishesTheReconcileInFlightThenReleasesTheLease) {
  auto m = manager();
  work_.blocking = {"ns/a"};
  ASSERT_NO_FATAL_FAILURE(startLeading(*m));
  queue_->add("ns/a");
  ASSERT_TRUE(waitUntil([&] { return work_.startedCount() == 1; }));
  Manager::Stopped end;
  std::thread stopper([&] { end = m->stop(); });
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  queue_->add("ns/b");  // arrives during the shutdown: left for the next leader
  EXPECT_TRUE(fence_.check()) << "the reconcile in flight may still write";
  EXPECT_FALSE(leadership_->released());
  clock_.advance(14s);  // within the default grace period of 15 s
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  work_.release("ns/a");
  stopper.join();
  EXPECT_EQ(end.exitCode, 0);
  EXPECT_FALSE(end.workersStuck);
  EXPECT_TRUE(work_.hasFinished("ns/a"));
  EXPECT_FALSE(work_.hasFinished("ns/b"));
  EXPECT_EQ(flushes_, 1) << "Events are sent before the fence closes";
  EXPECT_TRUE(leadership_->released());
  EXPECT_FALSE(fence_.check());
}

TEST_F(ManagerTest, SigtermPastTheGracePeriodRefusesTheLateWrites) {
  ManagerOptions o;
  o.gracePeriod = 15s;
  auto m = manager(false, o);
  work_.blocking = {"ns/a"};
  m->start();
  syncCaches();
  queue_->add("ns/a");
  ASSERT_TRUE(waitUntil([&] { return work_.startedCount() == 1; }));
  Manager::Stopped end;
  std::thread stopper([&] { end = m->stop(); });
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  EXPECT_FALSE(cancel_.cancelled());
  clock_.advance(15s);
  // The requests are cancelled; a reconcile that still does not return gets a second.
  ASSERT_TRUE(waitUntil([&] { return cancel_.cancelled() && clock_.timedWaiters() == 1; }));
  clock_.advance(1s);
  stopper.join();
  EXPECT_EQ(end.exitCode, 0);
  EXPECT_TRUE(end.workersStuck);
  const auto refused = fence_.check();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("shutting down"), std::string::npos);
  EXPECT_EQ(flushes_, 0);
  work_.release("ns/a");
}

// A reconcile waiting on the API server returns once its requests are cancelled: the process
// then stops cleanly, its threads joined, rather than being cut off.
TEST_F(ManagerTest, SigtermPastTheGracePeriodCancelsRequestsAndTheReconcileEnds) {
  auto m = manager(false);
  work_.blocking = {"ns/a"};
  auto onCancel = cancel_.onCancel([this] { work_.release("ns/a"); });
  m->start();
  syncCaches();
  queue_->add("ns/a");
  ASSERT_TRUE(waitUntil([&] { return work_.startedCount() == 1; }));
  Manager::Stopped end;
  std::thread stopper([&] { end = m->stop(); });
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  clock_.advance(15s);
  stopper.join();
  EXPECT_TRUE(cancel_.cancelled());
  EXPECT_EQ(end.exitCode, 0);
  EXPECT_FALSE(end.workersStuck);
  EXPECT_TRUE(work_.hasFinished("ns/a"));
  EXPECT_EQ(flushes_, 0) << "its writes were refused: nothing is flushed after the fence";
}

TEST_F(ManagerTest, CachesThatNeverSyncStopTheProcessWithoutContending) {
  ManagerOptions o;
  o.syncTimeout = 10min;
  auto m = manager(true, o);
  m->start();
  for (int i = 0; i < 2400 && wakes_ == 0; ++i) {  // 250 ms slices
    ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1 || wakes_ > 0; }));
    clock_.advance(250ms);
  }
  ASSERT_TRUE(waitUntil([&] { return wakes_ == 1; }));
  EXPECT_FALSE(leadership_->started());
  const auto end = m->stop();
  EXPECT_EQ(end.exitCode, 1);
  EXPECT_FALSE(end.workersStuck);
}

TEST_F(ManagerTest, StopWhileWaitingForTheCachesReturnsPromptly) {
  auto m = manager();
  m->start();
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    m->stop();
    stopped = true;
  });
  // stop() shuts the queue down after it marks the manager stopping; only then may the
  // clock move, or a stopper thread that is slow to run would let the starter wait out its
  // whole sync deadline. From there, stop() returns at the end of the slice the starter
  // waits in: one slice, never the rest of the deadline.
  EXPECT_TRUE(waitUntil([&] { return queue_->shuttingDown(); }));
  int slices = 0;
  EXPECT_TRUE(waitUntil([&] {
    // A waiter whose deadline has passed is one already woken, not yet gone from the clock.
    const auto waits = clock_.deadlines();
    if (!stopped.load() && waits.size() == 1 && waits[0] > clock_.steadyNow()) {
      clock_.advance(250ms);
      ++slices;
    }
    return stopped.load();
  }));
  stopper.join();
  EXPECT_LE(slices, 1);
  EXPECT_FALSE(leadership_->started());
  EXPECT_EQ(wakes_, 0);
}

TEST(WriteFenceTest, OpenUntilClosedAndGuardedByTheLease) {
  WriteFence fence;
  EXPECT_TRUE(fence.check());
  bool holds = false;
  fence.guardWith([&] {
    return holds ? mlmodel::core::Status{mlmodel::core::Ok{}}
                 : mlmodel::core::Status{mlmodel::core::Error{"lease x/y was not renewed"}};
  });
  auto s = fence.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "not written: lease x/y was not renewed");
  holds = true;
  EXPECT_TRUE(fence.check());
  fence.close("the operator is shutting down");
  fence.close("a second reason is not kept");
  s = fence.check();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "not written: the operator is shutting down");
}

}  // namespace
