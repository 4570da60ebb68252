#include <gtest/gtest.h>

#include "api/rollout.h"

namespace mlmodel::api {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsWhatTheCrdAdmits) {
  EXPECT_EQ(parseDuration("30s"), Millis(30s));
  EXPECT_EQ(parseDuration("1h30m"), Millis(90min));
  EXPECT_EQ(parseDuration("1500ms"), Millis(1500));
  EXPECT_EQ(parseDuration("0s"), Millis(0));
  for (const char* bad : {"", "5", "5 min", "-1s", "1d", "s", "1.5s", "99999999999999999999h"}) {
    EXPECT_FALSE(parseDuration(bad)) << bad;
  }
}

TEST(DecodeRollout, AbsentMeansNoCanary) {
  auto r = decodeRollout(Json::null());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r.value().paused);
  EXPECT_FALSE(r.value().canary);
}

TEST(DecodeRollout, AFullCanary) {
  auto r = decodeRollout(Json::parse(R"({"paused":true,"canary":{
    "steps":[{"weight":10,"pause":"1m"},{"weight":50}],
    "progressDeadline":"5m",
    "traffic":{"gatewayAPI":{"httpRoute":"web"}},
    "analysis":{"interval":"15s","failureLimit":3,"consecutiveErrorLimit":5,
      "prometheus":{"address":"http://p:9090","authSecretRef":{"name":"a"},
                    "caSecretRef":{"name":"c"},"timeout":"2s"},
      "metrics":[{"name":"err","query":"q","max":0.01,"onNoData":"Fail"},
                 {"name":"lat","query":"l","min":0,"max":0.5}]}}})"));
  ASSERT_TRUE(r) << r.error().message;
  const auto& c = *r.value().canary;
  EXPECT_TRUE(r.value().paused);
  ASSERT_EQ(c.steps.size(), 2u);
  EXPECT_EQ(c.steps[0].weight, 10);
  EXPECT_EQ(c.steps[0].pause, Millis(1min));
  EXPECT_EQ(c.steps[1].pause, Millis(0));
  EXPECT_EQ(c.progressDeadline, Millis(5min));
  EXPECT_EQ(c.traffic.kind, TrafficSpec::Kind::GatewayAPI);
  EXPECT_EQ(c.traffic.httpRoute, "web");
  EXPECT_EQ(c.analysis.interval, Millis(15s));
  EXPECT_EQ(c.analysis.failureLimit, 3);
  EXPECT_EQ(c.analysis.consecutiveErrorLimit, 5);
  ASSERT_TRUE(c.analysis.prometheus);
  EXPECT_EQ(c.analysis.prometheus->authSecret, "a");
  EXPECT_EQ(c.analysis.prometheus->caSecret, "c");
  EXPECT_EQ(c.analysis.prometheus->timeout, Millis(2s));
  ASSERT_EQ(c.analysis.metrics.size(), 2u);
  EXPECT_EQ(c.analysis.metrics[0].onNoData, "Fail");
  EXPECT_EQ(c.analysis.metrics[1].onNoData, "Inconclusive");
  EXPECT_EQ(c.analysis.metrics[1].min, 0.0);
  EXPECT_FALSE(c.analysis.metrics[0].min);
}

TEST(DecodeRollout, DefaultTrafficIsReplicas) {
  auto r = decodeRollout(Json::parse(R"({"canary":{"steps":[{"weight":20}]}})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().canary->traffic.kind, TrafficSpec::Kind::Replicas);
  EXPECT_EQ(r.value().canary->analysis.interval, Millis(30s));
}

TEST(DecodeRollout, ErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"canary":{"steps":[{"weight":10},{"weight":20,"pause":"5 min"}]}})",
       "spec.rollout.canary.steps[1].pause: invalid duration \"5 min\""},
      {R"({"canary":{"steps":[{"weight":50},{"weight":20}]}})",
       "spec.rollout.canary.steps[1].weight: weights must increase strictly"},
      {R"({"canary":{"steps":[{"weight":"ten"}]}})", "spec.rollout.canary.steps[0].weight"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"metrics":[{"name":"e","query":"q","max":1}]}}})",
       "spec.rollout.canary.analysis.prometheus: required"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","query":"q","max":1,"onNoData":"Ignore"}]}}})",
       "spec.rollout.canary.analysis.metrics[0].onNoData: \"Ignore\" is not one of"},
      {R"({"paused":"yes"})", "spec.rollout.paused"},
  };
  for (const auto& [json, want] : cases) {
    auto r = decodeRollout(Json::parse(json));
    ASSERT_FALSE(r) << json;
    EXPECT_NE(r.error().message.find(want), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().reason, "InvalidSpec");
  }
}

TEST(DecodeMonitoring, DefaultsAndFields) {
  auto none = decodeMonitoring(Json::null());
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.value().enabled);
  auto m = decodeMonitoring(Json::parse(R"({"enabled":true,"interval":"2m","failureLimit":4,
    "rollbackOnFailure":true,"prometheus":{"address":"http://p:9090"},
    "metrics":[{"name":"err","query":"q","max":0.1}]})"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m.value().enabled);
  EXPECT_EQ(m.value().interval, Millis(2min));
  EXPECT_EQ(m.value().failureLimit, 4);
  EXPECT_TRUE(m.value().rollbackOnFailure);
  EXPECT_EQ(m.value().metrics.size(), 1u);
  auto bad = decodeMonitoring(Json::parse(R"({"interval":"often"})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("spec.monitoring.interval"), std::string::npos);
}

}  // namespace
}  // namespace mlmodel::api
