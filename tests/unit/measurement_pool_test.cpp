#include "controller/measurement_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include "analysis/fake_provider.h"
#include "support/wait_until.h"

using namespace std::chrono_literals;
using mlmodel::analysis::QueryResult;
using mlmodel::analysis::Verdict;
using mlmodel::controller::MeasurementPool;
using mlmodel::controller::MeasurementPoolOptions;
using mlmodel::rollout::RoundRequest;
using mlmodel::testutil::waitUntil;

namespace {

// A Prometheus whose queries hang until opened.
class StallingProvider final : public mlmodel::analysis::MetricsProvider {
 public:
  mlmodel::core::Result<QueryResult> query(const std::string&) override {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.wait(lock, [&] { return open_; });
    --waiting_;
    return QueryResult::ofValue(1);
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  int waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int waiting_ = 0;
};

class Providers final : public mlmodel::rollout::ProviderSource {
 public:
  mlmodel::core::Result<std::shared_ptr<mlmodel::analysis::MetricsProvider>> provider(
      const std::string&, const mlmodel::api::PrometheusRef& ref) override {
    using Ptr = std::shared_ptr<mlmodel::analysis::MetricsProvider>;
    if (ref.address == "http://stall:9090") return Ptr(stall);
    return Ptr(healthy);
  }
  std::shared_ptr<StallingProvider> stall = std::make_shared<StallingProvider>();
  std::shared_ptr<mlmodel::analysis::FakeMetricsProvider> healthy =
      std::make_shared<mlmodel::analysis::FakeMetricsProvider>();
};

RoundRequest request(const std::string& model, const std::string& prometheus, int metrics = 1) {
  RoundRequest r;
  r.id = model + "|canary|h|0|1";
  r.modelKey = model;
  r.ns = "ns";
  for (int i = 0; i < metrics; ++i) {
    mlmodel::analysis::MetricCheck c;
    c.name = "m" + std::to_string(i);
    c.query = "q" + std::to_string(i);
    c.max = 0.5;
    r.checks.push_back(c);
  }
  r.prometheus = mlmodel::api::PrometheusRef{prometheus, "", "", 10s};
  return r;
}

class MeasurementPoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<MeasurementPool> pool(MeasurementPoolOptions o = {}) {
    return std::make_unique<MeasurementPool>(
        providers_,
        [this](const std::string& key) {
          std::lock_guard lock(mu_);
          done_.insert(key);
        },
        o);
  }
  bool doneFor(const std::string& key) {
    std::lock_guard lock(mu_);
    return done_.contains(key);
  }

  Providers providers_;
  std::mutex mu_;
  std::set<std::string> done_;
};

TEST_F(MeasurementPoolTest, ARoundIsMeasuredOffTheCallerOnceAndItsModelQueuedAgain) {
  providers_.healthy->setDefault(QueryResult::ofValue(0.1));
  auto p = pool();
  const auto r = request("ns/a", "http://prom:9090", 2);
  EXPECT_FALSE(p->round(r)) << "the caller never waits for the queries";
  ASSERT_TRUE(waitUntil([&] { return doneFor("ns/a"); }));
  auto got = p->round(r);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].verdict, Verdict::Passed);
  EXPECT_EQ((*got)[1].metric, "m1");
  EXPECT_TRUE(p->round(r)) << "kept for a reconcile that asks again";
  EXPECT_EQ(providers_.healthy->queries().size(), 2u) << "measured once";
}

TEST_F(MeasurementPoolTest, AStalledPrometheusHoldsOnlyItsShareOfThePool) {
  MeasurementPoolOptions o;
  o.threads = 4;
  o.perPrometheus = 2;
  auto p = pool(o);
  for (int i = 0; i < 8; ++i) {
    EXPECT_FALSE(p->round(request("ns/stalled-" + std::to_string(i), "http://stall:9090")));
  }
  ASSERT_TRUE(waitUntil([&] { return providers_.stall->waiting() == 2; }));
  EXPECT_EQ(p->running(), 2u);
  EXPECT_EQ(p->queued(), 6u);
  // Another model's round, on another Prometheus, is measured meanwhile.
  EXPECT_FALSE(p->round(request("ns/healthy", "http://prom:9090")));
  ASSERT_TRUE(waitUntil([&] { return doneFor("ns/healthy"); }));
  EXPECT_TRUE(p->round(request("ns/healthy", "http://prom:9090")));
  EXPECT_FALSE(doneFor("ns/stalled-0"));
  providers_.stall->open();
  ASSERT_TRUE(waitUntil([&] {
    for (int i = 0; i < 8; ++i) {
      if (!doneFor("ns/stalled-" + std::to_string(i))) return false;
    }
    return true;
  }));
}

TEST_F(MeasurementPoolTest, BeyondTheQueueLimitARoundIsAnErrorNeverAPass) {
  MeasurementPoolOptions o;
  o.threads = 1;
  o.maxQueued = 1;
  auto p = pool(o);
  EXPECT_FALSE(p->round(request("ns/a", "http://stall:9090")));
  ASSERT_TRUE(waitUntil([&] { return providers_.stall->waiting() == 1; }));
  EXPECT_FALSE(p->round(request("ns/b", "http://stall:9090")));  // waits in the queue
  EXPECT_EQ(p->refused(), 0u);
  auto refused = p->round(request("ns/c", "http://stall:9090", 2));
  ASSERT_TRUE(refused);
  EXPECT_EQ(p->refused(), 1u) << "mlmodel_operator_analysis_rounds_refused_total";
  ASSERT_EQ(refused->size(), 2u);
  for (const auto& m : *refused) {
    EXPECT_EQ(m.verdict, Verdict::Error);
    EXPECT_NE(m.message.find("too many analysis rounds waiting"), std::string::npos) << m.message;
  }
  providers_.stall->open();  // before the pool joins its threads
}

TEST_F(MeasurementPoolTest, StopSaysWhetherAQueryIsStillInFlight) {
  mlmodel::core::FakeClock clock;
  MeasurementPoolOptions o;
  o.clock = &clock;
  auto p = pool(o);
  EXPECT_FALSE(p->round(request("ns/a", "http://stall:9090")));
  ASSERT_TRUE(waitUntil([&] { return providers_.stall->waiting() == 1; }));
  bool idle = true;
  std::thread stopper([&] { idle = p->stop(clock.steadyNow() + 2s); });
  ASSERT_TRUE(waitUntil([&] { return clock.timedWaiters() == 1; }));
  clock.advance(2s);
  stopper.join();
  EXPECT_FALSE(idle);
  auto late = p->round(request("ns/b", "http://prom:9090"));
  ASSERT_TRUE(late) << "a stopping pool answers at once";
  EXPECT_EQ((*late)[0].verdict, Verdict::Error);
  providers_.stall->open();
  EXPECT_TRUE(p->stop(clock.steadyNow() + 1h));
}

}  // namespace
