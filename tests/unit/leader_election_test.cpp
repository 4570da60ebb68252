#include "kube/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/wait_until.h"

using namespace std::chrono_literals;
using mlmodel::core::Error;
using mlmodel::core::FakeClock;
using mlmodel::core::Result;
using mlmodel::core::Status;
using mlmodel::core::SteadyTime;
using mlmodel::core::WallTime;
using mlmodel::kube::Json;
using mlmodel::kube::LeaderElectionConfig;
using mlmodel::kube::LeaderElector;
using mlmodel::kube::LeaseRecord;
using mlmodel::testutil::waitUntil;

namespace {

// The Lease as the API server keeps it: a record with a resourceVersion.
struct FakeLeaseStore {
  mutable std::mutex mu;
  std::condition_variable cv;
  std::optional<LeaseRecord> record;
  long rv = 0;
  std::optional<Error> failAll;       // every call fails with this
  bool blockUpdates = false;          // update() hangs until unblocked
  int blocked = 0;                    // updates hanging now
  std::function<void()> beforeWrite;  // once, between our read and our write
  std::vector<LeaseRecord> writes;    // through the lock, in order

  // Another writer (a candidate, an admin) changes the lease.
  void put(LeaseRecord r) {
    std::lock_guard lock(mu);
    record = std::move(r);
    ++rv;
  }
  std::optional<LeaseRecord> current() const {
    std::lock_guard lock(mu);
    return record;
  }
  void setFailure(std::optional<Error> e) {
    std::lock_guard lock(mu);
    failAll = std::move(e);
  }
  void setBlocked(bool b) {
    {
      std::lock_guard lock(mu);
      blockUpdates = b;
    }
    cv.notify_all();
  }
  int blockedNow() const {
    std::lock_guard lock(mu);
    return blocked;
  }
  size_t releases() const {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (const auto& w : writes) n += w.holderIdentity.empty() ? 1 : 0;
    return n;
  }
};

class FakeLeaseLock final : public mlmodel::kube::LeaseLock {
 public:
  explicit FakeLeaseLock(FakeLeaseStore& store) : s_(store) {}

  Result<LeaseRecord> get() override {
    std::lock_guard lock(s_.mu);
    if (s_.failAll) return *s_.failAll;
    if (!s_.record) return Error{"leases \"le\" not found", 404, "NotFound"};
    seen_ = s_.rv;
    return *s_.record;
  }
  Status create(const LeaseRecord& r) override {
    runHook();
    std::lock_guard lock(s_.mu);
    if (s_.failAll) return *s_.failAll;
    if (s_.record) return Error{"leases \"le\" already exists", 409, "AlreadyExists"};
    return write(r);
  }
  Status update(const LeaseRecord& r) override {
    runHook();
    std::unique_lock lock(s_.mu);
    if (s_.blockUpdates) {
      ++s_.blocked;
      s_.cv.wait(lock, [&] { return !s_.blockUpdates; });
      --s_.blocked;
    }
    if (s_.failAll) return *s_.failAll;
    if (!s_.record) return Error{"leases \"le\" not found", 404, "NotFound"};
    if (seen_ != s_.rv) return Error{"the object has been modified", 409, "Conflict"};
    return write(r);
  }
  std::string describe() const override { return "test/le"; }

 private:
  void runHook() {
    std::function<void()> hook;
    {
      std::lock_guard lock(s_.mu);
      hook = std::exchange(s_.beforeWrite, nullptr);
    }
    if (hook) hook();
  }
  Status write(const LeaseRecord& r) {  // s_.mu held
    s_.record = r;
    seen_ = ++s_.rv;
    s_.writes.push_back(r);
    return mlmodel::core::Ok{};
  }

  FakeLeaseStore& s_;
  long seen_ = -1;
};

// What the callbacks saw.
struct Events {
  std::atomic<int> started{0};
  std::atomic<int> stopped{0};
  std::mutex mu;
  std::vector<std::string> leaders;
  std::optional<LeaseRecord> recordWhenStopped;
  SteadyTime stoppedAt{};

  std::vector<std::string> leadersSeen() {
    std::lock_guard lock(mu);
    return leaders;
  }
};

class LeaderElectionTest : public ::testing::Test {
 protected:
  std::unique_ptr<LeaderElector> elector(const std::string& id, Events& ev,
                                         bool releaseOnStop = true) {
    LeaderElectionConfig c;
    c.identity = id;
    c.releaseOnStop = releaseOnStop;
    c.clock = &clock_;
    c.callbacks.onStartedLeading = [&ev] { ++ev.started; };
    c.callbacks.onStoppedLeading = [this, &ev] {
      std::lock_guard lock(ev.mu);
      ev.recordWhenStopped = store_.current();
      ev.stoppedAt = clock_.steadyNow();
      ++ev.stopped;
    };
    c.callbacks.onNewLeader = [&ev](const std::string& who) {
      std::lock_guard lock(ev.mu);
      ev.leaders.push_back(who);
    };
    auto e = mlmodel::kube::makeLeaderElector(std::make_unique<FakeLeaseLock>(store_), c);
    EXPECT_TRUE(e) << e.error().message;
    return std::move(e).value();
  }

  // Until `e` has finished `attempts` attempts and `waiters` threads in all wait on the
  // clock: then nothing moves until the clock does.
  void settle(const LeaderElector& e, size_t attempts, size_t waiters) {
    ASSERT_TRUE(waitUntil([&] {
      return e.attempts() == attempts && clock_.timedWaiters() == waiters;
    })) << "attempts "
        << e.attempts() << " (want " << attempts << "), waiters " << clock_.timedWaiters()
        << " (want " << waiters << ")";
  }

  LeaseRecord heldBy(const std::string& id, WallTime renewed) {
    return {.holderIdentity = id,
            .leaseDurationSeconds = 15,
            .acquireTime = renewed,
            .renewTime = renewed,
            .leaseTransitions = 2};
  }

  FakeClock clock_;
  FakeLeaseStore store_;
  // While leading, the elector thread and its watchdog wait on the clock; else only one.
  static constexpr size_t kLeading = 2, kFollowing = 1;
};

TEST_F(LeaderElectionTest, AcquiresAFreeLease) {
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kLeading);
  EXPECT_TRUE(e->isLeader());
  EXPECT_EQ(e->observedLeader(), "a");
  const auto r = store_.current();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->holderIdentity, "a");
  EXPECT_EQ(r->leaseDurationSeconds, 15);
  EXPECT_EQ(r->acquireTime, clock_.wallNow());
  EXPECT_EQ(r->renewTime, clock_.wallNow());
  EXPECT_EQ(r->leaseTransitions, 0);
  EXPECT_EQ(ev.started, 1);
  EXPECT_EQ(ev.stopped, 0);
  EXPECT_EQ(ev.leadersSeen(), std::vector<std::string>{"a"});
}

TEST_F(LeaderElectionTest, TakesAReleasedLeaseAtOnce) {
  store_.put({.holderIdentity = "",
              .leaseDurationSeconds = 1,
              .acquireTime = clock_.wallNow(),
              .renewTime = clock_.wallNow(),
              .leaseTransitions = 3});
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kLeading);
  EXPECT_TRUE(e->isLeader());
  ASSERT_TRUE(store_.current());
  EXPECT_EQ(store_.current()->leaseTransitions, 4);
}

TEST_F(LeaderElectionTest, TakesAHeldLeaseOnlyAfterLeaseDurationWithoutChange) {
  // The holder's wall clock is an hour behind ours: expiry must not depend on it.
  store_.put(heldBy("b", clock_.wallNow() - 1h));
  Events ev;
  auto e = elector("a", ev);
  const auto t0 = clock_.steadyNow();
  e->start();
  settle(*e, 1, kFollowing);
  EXPECT_FALSE(e->isLeader());
  EXPECT_EQ(e->observedLeader(), "b");
  for (size_t k = 1; k <= 7; ++k) {  // attempts at 2s .. 14s: b's term runs until 15s
    clock_.advance(2s);
    settle(*e, 1 + k, kFollowing);
    EXPECT_FALSE(e->isLeader()) << "at " << (clock_.steadyNow() - t0) / 1s << "s";
  }
  clock_.advance(1s);  // 15s: it tries again the moment b's term runs out
  settle(*e, 9, kLeading);
  EXPECT_TRUE(e->isLeader());
  const auto r = store_.current();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->holderIdentity, "a");
  EXPECT_EQ(r->leaseTransitions, 3);
  EXPECT_EQ(r->acquireTime, clock_.wallNow());
  EXPECT_EQ(ev.leadersSeen(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(ev.started, 1);
}

TEST_F(LeaderElectionTest, ARenewalByTheHolderRestartsTheWait) {
  // The holder's wall clock is an hour ahead: a renewTime "in the future" changes nothing.
  store_.put(heldBy("b", clock_.wallNow() + 1h));
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kFollowing);
  size_t attempts = 1;
  for (int k = 0; k < 4; ++k) {  // to 8s
    clock_.advance(2s);
    settle(*e, ++attempts, kFollowing);
  }
  store_.put(heldBy("b", clock_.wallNow() + 1h + 8s));  // b renews at 8s; seen at 10s
  for (int k = 0; k < 8; ++k) {                         // 10s .. 24s: b's term now runs until 25s
    clock_.advance(2s);
    settle(*e, ++attempts, kFollowing);
    EXPECT_FALSE(e->isLeader());
  }
  clock_.advance(1s);  // 25s
  settle(*e, ++attempts, kLeading);
  EXPECT_TRUE(e->isLeader());
  EXPECT_EQ(ev.leadersSeen(), (std::vector<std::string>{"b", "a"}));  // b once
}

TEST_F(LeaderElectionTest, RenewsEveryRetryPeriod) {
  Events ev;
  auto e = elector("a", ev);
  const auto acquiredWall = clock_.wallNow();
  e->start();
  settle(*e, 1, kLeading);
  for (size_t k = 1; k <= 10; ++k) {  // 20s: longer than the lease itself
    clock_.advance(2s);
    settle(*e, 1 + k, kLeading);
    const auto r = store_.current();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->renewTime, clock_.wallNow());
    EXPECT_EQ(r->acquireTime, acquiredWall);
    EXPECT_EQ(r->leaseTransitions, 0);
  }
  EXPECT_TRUE(e->isLeader());
  EXPECT_EQ(store_.writes.size(), 11u);
  EXPECT_EQ(ev.started, 1);
  EXPECT_EQ(ev.stopped, 0);
  EXPECT_EQ(ev.leadersSeen(), std::vector<std::string>{"a"});
}

TEST_F(LeaderElectionTest, StopsLeadingWhenRenewalsFailBeforeTheLeaseCouldPass) {
  Events ev;
  auto e = elector("a", ev);
  const auto t0 = clock_.steadyNow();
  e->start();
  settle(*e, 1, kLeading);
  clock_.advance(2s);
  settle(*e, 2, kLeading);  // the last successful renewal, started at 2s
  const auto lastRenewal = t0 + 2s;
  store_.setFailure(Error{"etcdserver: request timed out", 500, "InternalError"});
  size_t attempts = 2;
  for (int s = 3; s <= 11; ++s) {  // 1s steps: nothing may happen early
    clock_.advance(1s);
    if (s % 2 == 0) ++attempts;  // a failed retry every 2s
    settle(*e, attempts, kLeading);
    EXPECT_TRUE(e->isLeader()) << "at " << s << "s";
    EXPECT_EQ(ev.stopped, 0) << "at " << s << "s";
  }
  clock_.advance(1s);  // 12s = last renewal + renewDeadline
  ASSERT_TRUE(waitUntil([&] { return ev.stopped == 1; }));
  EXPECT_FALSE(e->isLeader());
  EXPECT_EQ(ev.stoppedAt - lastRenewal, 10s);  // within renewDeadline
  // No other candidate may take the lease before it saw our last write, plus 15s.
  EXPECT_LT(ev.stoppedAt, lastRenewal + 15s);

  // It does not contend again, and never writes while no longer leading.
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 0; }))
      << "timed waiters: " << clock_.timedWaiters();
  store_.setFailure(std::nullopt);
  clock_.advance(30s);
  e->stop();
  EXPECT_EQ(store_.writes.size(), 2u);
  ASSERT_TRUE(store_.current());
  EXPECT_EQ(store_.current()->holderIdentity, "a");
  EXPECT_EQ(ev.started, 1);
  EXPECT_EQ(ev.stopped, 1);
}

TEST_F(LeaderElectionTest, AHangingRenewalStillStopsLeadingAtTheDeadline) {
  Events ev;
  auto e = elector("a", ev);
  const auto t0 = clock_.steadyNow();
  e->start();
  settle(*e, 1, kLeading);
  store_.setBlocked(true);
  // An ASSERT below returns early: let the hanging call go before `e` is destroyed, or its
  // stop() would wait for that call forever.
  struct Unblock {
    FakeLeaseStore& store;
    ~Unblock() { store.setBlocked(false); }
  } unblockOnExit{store_};
  clock_.advance(2s);
  ASSERT_TRUE(waitUntil([&] { return store_.blockedNow() == 1; }));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();  // the watchdog
  clock_.advance(7s);
  EXPECT_TRUE(e->isLeader());
  clock_.advance(1s);  // 10s after the last successful renewal (the acquisition)
  ASSERT_TRUE(waitUntil([&] { return ev.stopped == 1; }));
  EXPECT_EQ(ev.stoppedAt - t0, 10s);
  EXPECT_FALSE(e->isLeader());
  EXPECT_EQ(store_.blockedNow(), 1);  // the call is still in flight
  store_.setBlocked(false);
  e->stop();
  EXPECT_EQ(ev.stopped, 1);
  EXPECT_EQ(store_.releases(), 0u);  // it had lost the lease: nothing to release
}

// The write fence: the check fails the moment renewDeadline passes without a renewal,
// by the clock alone, as for a process resumed after being frozen past its term (its
// watchdog has not run yet when its workers try to write).
TEST_F(LeaderElectionTest, HoldsLeaseFailsTheMomentTheTermEndsWithoutARenewal) {
  Events ev;
  auto e = elector("a", ev);
  EXPECT_FALSE(e->holdsLease()) << "before leading";
  e->start();
  settle(*e, 1, kLeading);
  EXPECT_TRUE(e->holdsLease());
  store_.setBlocked(true);
  struct Unblock {
    FakeLeaseStore& store;
    ~Unblock() { store.setBlocked(false); }
  } unblockOnExit{store_};
  clock_.advance(2s);
  ASSERT_TRUE(waitUntil([&] { return store_.blockedNow() == 1; }));
  clock_.advance(7s);  // 9 s after the acquisition
  EXPECT_TRUE(e->holdsLease());
  clock_.advance(1s);  // renewDeadline (10 s): checked at once, whatever the watchdog did
  const auto s = e->holdsLease();
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().message.find("renewDeadline") != std::string::npos ||
              s.error().message.find("does not lead") != std::string::npos)
      << s.error().message;
  ASSERT_TRUE(waitUntil([&] { return ev.stopped == 1; }));
  EXPECT_FALSE(e->holdsLease());
  store_.setBlocked(false);
  e->stop();
}

TEST_F(LeaderElectionTest, StopsAtOnceWhenTheLeaseNamesAnotherHolder) {
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kLeading);
  store_.put(heldBy("b", clock_.wallNow()));
  clock_.advance(2s);
  ASSERT_TRUE(waitUntil([&] { return ev.stopped == 1; }));
  EXPECT_FALSE(e->isLeader());
  EXPECT_EQ(ev.leadersSeen(), (std::vector<std::string>{"a", "b"}));
  e->stop();
  ASSERT_TRUE(store_.current());
  EXPECT_EQ(store_.current()->holderIdentity, "b");  // not "released" by a
}

TEST_F(LeaderElectionTest, StopReleasesTheLeaseAfterTheWorkStopped) {
  Events a;
  auto ea = elector("a", a);
  ea->start();
  settle(*ea, 1, kLeading);
  clock_.advance(2s);
  settle(*ea, 2, kLeading);

  Events b;
  auto eb = elector("b", b);
  eb->start();
  ASSERT_TRUE(waitUntil([&] { return eb->attempts() == 1 && clock_.timedWaiters() == 3; }))
      << "timed waiters: " << clock_.timedWaiters();
  EXPECT_FALSE(eb->isLeader());

  ea->stop();
  EXPECT_EQ(a.stopped, 1);
  ASSERT_TRUE(a.recordWhenStopped);
  EXPECT_EQ(a.recordWhenStopped->holderIdentity, "a");  // still held while the work stopped
  const auto r = store_.current();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->holderIdentity, "");
  EXPECT_EQ(r->leaseDurationSeconds, 1);
  EXPECT_EQ(r->leaseTransitions, 0);
  EXPECT_FALSE(ea->isLeader());

  clock_.advance(2s);  // b's next retry, not b's view of a's term
  settle(*eb, 2, kLeading);
  EXPECT_TRUE(eb->isLeader());
  ASSERT_TRUE(store_.current());
  EXPECT_EQ(store_.current()->holderIdentity, "b");
  EXPECT_EQ(store_.current()->leaseTransitions, 1);
  EXPECT_EQ(a.started, 1);
  EXPECT_EQ(a.stopped, 1);
  EXPECT_EQ(a.leadersSeen(), std::vector<std::string>{"a"});
}

TEST_F(LeaderElectionTest, StopKeepsTheLeaseWhenReleaseIsOff) {
  Events ev;
  auto e = elector("a", ev, /*releaseOnStop=*/false);
  e->start();
  settle(*e, 1, kLeading);
  e->stop();
  EXPECT_EQ(ev.stopped, 1);
  ASSERT_TRUE(store_.current());
  EXPECT_EQ(store_.current()->holderIdentity, "a");
}

TEST_F(LeaderElectionTest, StopBeforeAcquiringCallsNoCallbacks) {
  store_.put(heldBy("b", clock_.wallNow()));
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kFollowing);
  e->stop();
  EXPECT_EQ(ev.started, 0);
  EXPECT_EQ(ev.stopped, 0);
  ASSERT_TRUE(store_.current());
  EXPECT_EQ(store_.current()->holderIdentity, "b");
  EXPECT_TRUE(store_.writes.empty());
}

TEST_F(LeaderElectionTest, AConflictingUpdateIsLosingTheRace) {
  store_.put({.holderIdentity = "", .leaseDurationSeconds = 1});  // released
  // b writes between a's read and a's update.
  store_.beforeWrite = [this] { store_.put(heldBy("b", clock_.wallNow())); };
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kFollowing);
  EXPECT_FALSE(e->isLeader());
  EXPECT_TRUE(store_.writes.empty());
  clock_.advance(2s);
  settle(*e, 2, kFollowing);  // now it sees b's fresh lease and waits
  EXPECT_FALSE(e->isLeader());
  EXPECT_EQ(e->observedLeader(), "b");
  EXPECT_EQ(ev.started, 0);
  EXPECT_EQ(ev.leadersSeen(), std::vector<std::string>{"b"});
}

TEST_F(LeaderElectionTest, ACreateRaceIsLosingTheRace) {
  store_.beforeWrite = [this] { store_.put(heldBy("b", clock_.wallNow())); };
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kFollowing);
  clock_.advance(2s);
  settle(*e, 2, kFollowing);
  EXPECT_FALSE(e->isLeader());
  EXPECT_EQ(e->observedLeader(), "b");
  EXPECT_EQ(ev.started, 0);
}

TEST_F(LeaderElectionTest, OnlyOneOfTwoCandidatesLeads) {
  Events a, b;
  auto ea = elector("a", a);
  auto eb = elector("b", b);
  ea->start();
  settle(*ea, 1, kLeading);
  eb->start();
  ASSERT_TRUE(waitUntil([&] { return eb->attempts() == 1 && clock_.timedWaiters() == 3; }))
      << "timed waiters: " << clock_.timedWaiters();
  for (size_t k = 1; k <= 20; ++k) {
    clock_.advance(2s);
    ASSERT_TRUE(waitUntil([&] {
      return ea->attempts() == 1 + k && eb->attempts() == 1 + k && clock_.timedWaiters() == 3;
    }));
    ASSERT_TRUE(ea->isLeader());
    ASSERT_FALSE(eb->isLeader());
  }
  EXPECT_EQ(b.started, 0);
  EXPECT_EQ(b.leadersSeen(), std::vector<std::string>{"a"});
}

TEST_F(LeaderElectionTest, CallbacksFireOnceEach) {
  Events ev;
  auto e = elector("a", ev);
  e->start();
  settle(*e, 1, kLeading);
  for (size_t k = 1; k <= 3; ++k) {
    clock_.advance(2s);
    settle(*e, 1 + k, kLeading);
  }
  store_.setFailure(Error{"connection refused"});
  for (int k = 0; k < 5; ++k) clock_.advance(2s);
  ASSERT_TRUE(waitUntil([&] { return ev.stopped == 1; }));
  e->stop();
  e->stop();
  e.reset();
  EXPECT_EQ(ev.started, 1);
  EXPECT_EQ(ev.stopped, 1);
  EXPECT_EQ(ev.leadersSeen(), std::vector<std::string>{"a"});
}

TEST(LeaderElectionConfigTest, RejectsUnsafeTimingsWithAClearError) {
  auto base = [] {
    LeaderElectionConfig c;
    c.identity = "a";
    c.callbacks.onStartedLeading = [] {};
    c.callbacks.onStoppedLeading = [] {};
    return c;
  };
  EXPECT_TRUE(mlmodel::kube::validateLeaderElectionConfig(base()));

  struct Case {
    std::function<void(LeaderElectionConfig&)> change;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](auto& c) { c.identity = ""; }, "identity is empty"},
      {[](auto& c) { c.renewDeadline = 15s; },
       "leaseDuration (15s) must be greater than renewDeadline (15s)"},
      {[](auto& c) { c.retryPeriod = 9s; },
       "renewDeadline (10s) must be greater than 1.2 x retryPeriod (9s)"},
      {[](auto& c) { c.retryPeriod = 0s; }, "retryPeriod (0s) must be positive"},
      {[](auto& c) { c.leaseDuration = 15500ms; },
       "leaseDuration (15.5s) must be a whole number of seconds"},
      {[](auto& c) { c.callbacks.onStoppedLeading = nullptr; }, "callbacks are required"},
  };
  for (const auto& tc : cases) {
    auto c = base();
    tc.change(c);
    const auto s = mlmodel::kube::validateLeaderElectionConfig(c);
    ASSERT_FALSE(s) << tc.message;
    EXPECT_NE(s.error().message.find(tc.message), std::string::npos) << s.error().message;
    EXPECT_FALSE(mlmodel::kube::makeLeaderElector(nullptr, c));
  }
  auto lock = std::unique_ptr<mlmodel::kube::LeaseLock>();
  EXPECT_FALSE(mlmodel::kube::makeLeaderElector(std::move(lock), base()));

  auto tight = base();  // the contender's timings in the integration test
  tight.leaseDuration = 3s;
  tight.renewDeadline = 2s;
  tight.retryPeriod = 500ms;
  EXPECT_TRUE(mlmodel::kube::validateLeaderElectionConfig(tight));
  const auto opts = mlmodel::kube::lockClientOptions(tight);
  EXPECT_EQ(opts.timeout, 1s);
  EXPECT_EQ(opts.maxAttempts, 1);
}

// Lease times go through the spec: written as MicroTime, read as any RFC 3339 time.
std::string written(WallTime t) {
  LeaseRecord r;
  r.renewTime = t;
  return mlmodel::kube::leaseSpecJson(r).at("renewTime").as_string();
}

std::optional<WallTime> read(const std::string& time) {
  Json lease = Json::object();
  lease["spec"]["renewTime"] = Json::string(time);
  const auto t = mlmodel::kube::leaseRecordFromJson(lease).renewTime;
  return t == WallTime{} ? std::nullopt : std::optional<WallTime>(t);
}

TEST(LeaseTimeTest, WritesMicroTimeInUtc) {
  using namespace std::chrono;
  const WallTime t = sys_days{2026y / November / 26} + 15h + 4min + 5s + 123456789ns;
  EXPECT_EQ(written(t), "2026-11-26T15:04:05.123456Z");
  EXPECT_EQ(written(sys_days{2026y / January / 2}), "2026-01-02T00:00:00.000000Z");
}

TEST(LeaseTimeTest, ReadsRfc3339) {
  using namespace std::chrono;
  const WallTime base = sys_days{2026y / November / 26} + 15h + 4min + 5s;
  EXPECT_EQ(read("2026-11-26T15:04:05.000000Z"), base);
  EXPECT_EQ(read("2026-11-26T15:04:05Z"), base);
  EXPECT_EQ(read("2026-11-26T15:04:05.5Z"), base + 500ms);
  EXPECT_EQ(read("2026-11-26T15:04:05.123456789Z"), base + 123456789ns);
  EXPECT_EQ(read("2026-11-26T17:04:05.000001+02:00"), base + 1us);
  EXPECT_EQ(read("2026-11-26T14:34:05-00:30"), base);
  for (const char* bad : {"", "2026-11-26", "2026-11-26T15:04:05", "2026-13-26T15:04:05Z",
                          "2026-11-26T15:04:05.Z", "2026-11-26T15:04:05Zjunk", "yesterday"}) {
    EXPECT_FALSE(read(bad)) << bad;
  }
  const WallTime now = floor<microseconds>(system_clock::now());
  EXPECT_EQ(read(written(now)), now);
}

// Found by tests/fuzz/lease_fuzz: a renewTime past 2262 overflowed the clock's nanoseconds
// (undefined behaviour); such a time now reads as absent, like any unreadable one.
TEST(LeaseTimeTest, YearsAWallTimeCannotHoldAreUnreadable) {
  using namespace std::chrono;
  EXPECT_EQ(read("2261-01-01T00:00:00Z"), WallTime(sys_days{2261y / January / 1}));
  EXPECT_FALSE(read("4899-11-30T00:00:10+01:00"));
  EXPECT_FALSE(read("1000-01-01T00:00:00Z"));
  const auto lease =
      Json::parse(R"({"spec":{"holdnds":1,"renewTime":"4899-11-30T00:00:10+01:00"}})");
  EXPECT_EQ(mlmodel::kube::leaseRecordFromJson(lease).renewTime, WallTime{});
}

TEST(LeaseJsonTest, RecordRoundTripsThroughTheLeaseSpec) {
  const auto lease = Json::parse(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
    "metadata":{"name":"le","namespace":"ns","resourceVersion":"42"},
    "spec":{"holderIdentity":"pod-1_x","leaseDurationSeconds":15,
            "acquireTime":"2026-11-26T15:04:05.000000Z","renewTime":"2026-11-26T15:05:05.250000Z",
            "leaseTransitions":3}})");
  const auto r = mlmodel::kube::leaseRecordFromJson(lease);
  EXPECT_EQ(r.holderIdentity, "pod-1_x");
  EXPECT_EQ(r.leaseDurationSeconds, 15);
  EXPECT_EQ(r.renewTime - r.acquireTime, 60250ms);
  EXPECT_EQ(r.leaseTransitions, 3);
  const auto spec = mlmodel::kube::leaseSpecJson(r);
  EXPECT_EQ(spec.at("renewTime").as_string(), "2026-11-26T15:05:05.250000Z");
  EXPECT_EQ(spec.at("acquireTime").as_string(), "2026-11-26T15:04:05.000000Z");
  Json back = Json::object();
  back["spec"] = spec;
  EXPECT_EQ(mlmodel::kube::leaseRecordFromJson(back), r);

  // A fresh Lease without a spec, or with holderIdentity null, has no holder.
  EXPECT_EQ(mlmodel::kube::leaseRecordFromJson(Json::parse(R"({"metadata":{}})")), LeaseRecord{});
  EXPECT_EQ(mlmodel::kube::leaseRecordFromJson(Json::parse(R"({"spec":{"holderIdentity":null}})")),
            LeaseRecord{});
}

}  // namespace
