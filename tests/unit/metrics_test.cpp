#include "kube/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "core/clock.h"
#include "fake_transport.h"
#include "kube/rest_client.h"
#include "kube/workqueue.h"

using namespace std::chrono_literals;
using mlmodel::core::FakeClock;
using mlmodel::kube::Client;
using mlmodel::kube::ClientOptions;
using mlmodel::kube::makeWorkQueue;
using mlmodel::kube::Metrics;
using mlmodel::testutil::FakeTransport;

namespace {

// The value of one series in the text format; NaN when the series is missing.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

TEST(MetricsTest, ClientRequestsAreCountedByCodeMethodAndHost) {
  Metrics metrics;
  FakeClock clock;
  auto transport = std::make_unique<FakeTransport>();
  FakeTransport& fake = *transport;
  fake.respond(200, R"({"metadata":{"name":"a"}})");
  fake.respond(200, R"({"metadata":{"name":"a"}})");
  fake.respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  fake.fail("connection refused");  // a POST is not retried
  ClientOptions options;
  options.clock = &clock;
  options.observer = metrics.requestObserver("10.0.0.1:6443");
  Client client(std::move(transport), nullptr, options);
  const auto& cms = mlmodel::kube::resources::configMaps;

  EXPECT_TRUE(client.get(cms, "default", "a"));
  EXPECT_TRUE(client.get(cms, "default", "a"));
  EXPECT_FALSE(client.get(cms, "default", "b"));
  EXPECT_FALSE(client.create(cms, "default", mlmodel::kube::Json::object()));

  const auto text = metrics.serialize();
  EXPECT_EQ(
      sample(text, R"(rest_client_requests_total{code="200",host="10.0.0.1:6443",method="GET"})"),
      2);
  EXPECT_EQ(
      sample(text, R"(rest_client_requests_total{code="404",host="10.0.0.1:6443",method="GET"})"),
      1);
  EXPECT_EQ(
      sample(text,
             R"(rest_client_requests_total{code="<error>",host="10.0.0.1:6443",method="POST"})"),
      1);
  EXPECT_EQ(
      sample(text,
             R"(rest_client_request_duration_seconds_count{host="10.0.0.1:6443",verb="GET"})"),
      3);
}

TEST(MetricsTest, RequestDurationIsAHistogramByVerbAndHost) {
  Metrics metrics;
  auto observer = metrics.requestObserver("api");
  observer->observe("PATCH", 200, 50ms);
  observer->observe("PATCH", 409, 300ms);

  const auto text = metrics.serialize();
  const std::string h = R"(rest_client_request_duration_seconds)";
  EXPECT_EQ(sample(text, h + R"(_bucket{host="api",verb="PATCH",le="0.025"})"), 0);
  EXPECT_EQ(sample(text, h + R"(_bucket{host="api",verb="PATCH",le="0.1"})"), 1);
  EXPECT_EQ(sample(text, h + R"(_bucket{host="api",verb="PATCH",le="0.5"})"), 2);
  EXPECT_EQ(sample(text, h + R"(_bucket{host="api",verb="PATCH",le="+Inf"})"), 2);
  EXPECT_NEAR(sample(text, h + R"(_sum{host="api",verb="PATCH"})"), 0.35, 1e-9);
}

TEST(MetricsTest, LabelValuesStayBounded) {
  Metrics metrics;
  auto observer = metrics.requestObserver("api");
  observer->observe("BREW", 418, 1ms);  // an unknown method
  observer->observe("GET", 1000, 1ms);  // not an HTTP code
  observer->observe("WATCH", 200, {});  // a watch has no meaningful latency

  const auto text = metrics.serialize();
  EXPECT_EQ(sample(text, R"(rest_client_requests_total{code="418",host="api",method="other"})"), 1);
  EXPECT_EQ(sample(text, R"(rest_client_requests_total{code="<error>",host="api",method="GET"})"),
            1);
  EXPECT_EQ(sample(text, R"(rest_client_requests_total{code="200",host="api",method="WATCH"})"), 1);
  EXPECT_TRUE(std::isnan(
      sample(text, R"(rest_client_request_duration_seconds_count{host="api",verb="WATCH"})")));
}

TEST(MetricsTest, WorkQueueSeriesFollowARealQueue) {
  Metrics metrics;
  FakeClock clock;
  auto queue = makeWorkQueue({.name = "mlmodel", .clock = &clock, .metrics = &metrics});
  auto other = makeWorkQueue({.name = "other", .clock = &clock, .metrics = &metrics});
  queue->add("ns/a");
  queue->add("ns/b");
  queue->add("ns/a");  // already queued: not an add
  other->add("ns/x");
  clock.advance(2s);
  ASSERT_EQ(queue->tryGet(), "ns/a");  // waited 2 s
  clock.advance(50ms);
  queue->done("ns/a");  // worked 50 ms
  queue->addRateLimited("ns/a");

  auto text = metrics.serialize();
  EXPECT_EQ(sample(text, R"(workqueue_adds_total{name="mlmodel"})"), 2);
  EXPECT_EQ(sample(text, R"(workqueue_depth{name="mlmodel"})"), 1);
  EXPECT_EQ(sample(text, R"(workqueue_retries_total{name="mlmodel"})"), 1);
  EXPECT_EQ(sample(text, R"(workqueue_queue_duration_seconds_count{name="mlmodel"})"), 1);
  EXPECT_NEAR(sample(text, R"(workqueue_queue_duration_seconds_sum{name="mlmodel"})"), 2.0, 1e-9);
  EXPECT_EQ(sample(text, R"(workqueue_queue_duration_seconds_bucket{name="mlmodel",le="1"})"), 0);
  EXPECT_EQ(sample(text, R"(workqueue_queue_duration_seconds_bucket{name="mlmodel",le="10"})"), 1);
  EXPECT_EQ(sample(text, R"(workqueue_work_duration_seconds_count{name="mlmodel"})"), 1);
  EXPECT_NEAR(sample(text, R"(workqueue_work_duration_seconds_sum{name="mlmodel"})"), 0.05, 1e-9);
  EXPECT_EQ(sample(text, R"(workqueue_work_duration_seconds_bucket{name="mlmodel",le="0.01"})"), 0);
  EXPECT_EQ(sample(text, R"(workqueue_work_duration_seconds_bucket{name="mlmodel",le="0.1"})"), 1);
  EXPECT_EQ(sample(text, R"(workqueue_work_duration_seconds_bucket{name="mlmodel",le="1e-08"})"),
            0);
  EXPECT_EQ(sample(text, R"(workqueue_adds_total{name="other"})"), 1);
  EXPECT_EQ(sample(text, R"(workqueue_depth{name="other"})"), 1);

  clock.advance(1s);  // the rate-limited key is due: it is added again
  EXPECT_EQ(queue->len(), 2u);
  text = metrics.serialize();
  EXPECT_EQ(sample(text, R"(workqueue_adds_total{name="mlmodel"})"), 3);
  EXPECT_EQ(sample(text, R"(workqueue_depth{name="mlmodel"})"), 2);
}

TEST(MetricsTest, LeaderGaugeFollowsSetLeader) {
  Metrics metrics;
  metrics.setLeader("mlmodel-operator", true);
  EXPECT_EQ(
      sample(metrics.serialize(), R"(leader_election_master_status{name="mlmodel-operator"})"), 1);
  metrics.setLeader("mlmodel-operator", false);
  EXPECT_EQ(
      sample(metrics.serialize(), R"(leader_election_master_status{name="mlmodel-operator"})"), 0);
}

TEST(MetricsTest, TextHasHelpAndTypeLines) {
  Metrics metrics;
  metrics.setLeader("l", true);
  metrics.requestObserver("api")->observe("GET", 200, 1ms);
  metrics.forQueue("q")->added();
  const auto text = metrics.serialize();
  EXPECT_NE(text.find("# TYPE rest_client_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE workqueue_queue_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(text.find("# TYPE leader_election_master_status gauge"), std::string::npos);
}

TEST(MetricsTest, SeriesOutliveTheMetricsObject) {
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<mlmodel::kube::WorkQueueMetrics> queueMetrics;
  {
    Metrics metrics;
    registry = metrics.registry();
    queueMetrics = metrics.forQueue("q");
  }
  queueMetrics->added();
  EXPECT_EQ(sample(mlmodel::kube::serializeText(*registry), R"(workqueue_adds_total{name="q"})"),
            1);
}
