#include <gtest/gtest.h>

#include <limits>

#include "api/rollout.h"

namespace mlmodel::api {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsWhatTheCrdAdmits) {
  EXPECT_EQ(parseDuration("30s"), Millis(30s));
  EXPECT_EQ(parseDuration("1h30m"), Millis(90min));
  EXPECT_EQ(parseDuration("1500ms"), Millis(1500));
  EXPECT_EQ(parseDuration("0s"), Millis(0));
  EXPECT_EQ(parseDuration("0ms"), Millis(0));
  EXPECT_EQ(parseDuration("007s"), Millis(7s));
  EXPECT_EQ(parseDuration("2h45m30s500ms"), Millis(2h + 45min + 30s + 500ms));
  // The CRD's regex admits repeated and unordered units; they add up.
  EXPECT_EQ(parseDuration("1m1m"), Millis(2min));
  EXPECT_EQ(parseDuration("5s1h"), Millis(1h + 5s));
  EXPECT_EQ(parseDuration("9223372036854775807ms"), Millis(std::numeric_limits<int64_t>::max()));
}

TEST(ParseDuration, RejectsAnythingElse) {
  for (const char* bad : {"",    "5",    "5 min", "-1s",   "+1s",   "1d",    "1ns", "1us",
                          "1S",  "1H",   "s",     "ms",    "1.5s",  " 1s",   "1s ", "1 s",
                          "1s5", "1ms1", "1mss",  "1m-1s", "1e3ms", "0x10s", "1,5s"}) {
    EXPECT_FALSE(parseDuration(bad)) << '"' << bad << '"';
  }
}

TEST(ParseDuration, RejectsOverflow) {
  for (const char* big :
       {"9223372036854775808ms",  // INT64_MAX + 1
        "9223372036854775807s", "2562047788016h", "99999999999999999999h",
        "9223372036854775807ms1ms", "5000000000000000000ms5000000000000000000ms"}) {
    EXPECT_FALSE(parseDuration(big)) << big;
  }
  // The largest whole number of hours that fits.
  EXPECT_EQ(parseDuration("2562047788015h"), Millis(2562047788015LL * 3'600'000));
}

TEST(DecodeRollout, AbsentOrNullMeansNoCanary) {
  for (const auto& json :
       {Json::null(), Json::parse("{}"), Json::parse(R"({"paused":null,"canary":null})")}) {
    auto r = decodeRollout(json);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r.value().paused);
    EXPECT_FALSE(r.value().canary);
  }
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
                 {"name":"lat","query":"l","min":0,"max":0.5},
                 {"name":"rps","query":"r","min":1,"onNoData":"Pass"}]}}})"));
  ASSERT_TRUE(r) << r.error().message;
  const auto& c = *r.value().canary;
  EXPECT_TRUE(r.value().paused);
  ASSERT_EQ(c.steps.size(), 2u);
  EXPECT_EQ(c.steps[0].weight, 10);
  EXPECT_EQ(c.steps[0].pause, Millis(1min));
  EXPECT_EQ(c.steps[1].weight, 50);
  EXPECT_EQ(c.steps[1].pause, Millis(0));
  EXPECT_EQ(c.progressDeadline, Millis(5min));
  EXPECT_EQ(c.traffic.kind, TrafficSpec::Kind::GatewayAPI);
  EXPECT_EQ(c.traffic.httpRoute, "web");
  EXPECT_EQ(c.analysis.interval, Millis(15s));
  EXPECT_EQ(c.analysis.failureLimit, 3);
  EXPECT_EQ(c.analysis.consecutiveErrorLimit, 5);
  ASSERT_TRUE(c.analysis.prometheus);
  EXPECT_EQ(c.analysis.prometheus->address, "http://p:9090");
  EXPECT_EQ(c.analysis.prometheus->authSecret, "a");
  EXPECT_EQ(c.analysis.prometheus->caSecret, "c");
  EXPECT_EQ(c.analysis.prometheus->timeout, Millis(2s));
  ASSERT_EQ(c.analysis.metrics.size(), 3u);
  const auto& m = c.analysis.metrics;
  EXPECT_EQ(m[0].name, "err");
  EXPECT_EQ(m[0].query, "q");
  EXPECT_FALSE(m[0].min);
  EXPECT_EQ(m[0].max, 0.01);
  EXPECT_EQ(m[0].onNoData, "Fail");
  EXPECT_EQ(m[1].min, 0.0);
  EXPECT_EQ(m[1].max, 0.5);
  EXPECT_EQ(m[1].onNoData, "Inconclusive");
  EXPECT_EQ(m[2].min, 1.0);
  EXPECT_FALSE(m[2].max);
  EXPECT_EQ(m[2].onNoData, "Pass");
}

TEST(DecodeRollout, CanaryDefaults) {
  // Absent and null fields alike take the defaults of rollout.h (and of the CRD).
  for (const char* json : {
           R"({"canary":{"steps":[{"weight":20}]}})",
           R"({"canary":{"steps":[{"weight":20,"pause":null}],"progressDeadline":null,
               "traffic":null,"analysis":null}})",
           R"({"canary":{"steps":[{"weight":20}],"traffic":{"replicas":{}},
               "analysis":{"interval":null,"failureLimit":null,"prometheus":null,"metrics":null}}})",
       }) {
    auto r = decodeRollout(Json::parse(json));
    ASSERT_TRUE(r) << json << ": " << r.error().message;
    ASSERT_TRUE(r.value().canary) << json;
    const auto& c = *r.value().canary;
    ASSERT_EQ(c.steps.size(), 1u);
    EXPECT_EQ(c.steps[0].weight, 20);
    EXPECT_EQ(c.steps[0].pause, Millis(0));
    EXPECT_EQ(c.progressDeadline, Millis(10min));
    EXPECT_EQ(c.traffic.kind, TrafficSpec::Kind::Replicas) << json;
    EXPECT_EQ(c.traffic.httpRoute, "");
    EXPECT_EQ(c.analysis.interval, Millis(30s));
    EXPECT_EQ(c.analysis.failureLimit, 2);
    EXPECT_EQ(c.analysis.consecutiveErrorLimit, 4);
    EXPECT_FALSE(c.analysis.prometheus);
    EXPECT_TRUE(c.analysis.metrics.empty());
  }
}

TEST(DecodeRollout, PrometheusDefaults) {
  auto r = decodeRollout(Json::parse(R"({"canary":{"steps":[{"weight":20}],
    "analysis":{"prometheus":{"address":"http://p","authSecretRef":null},
                "metrics":[{"name":"e","query":"q","max":1}]}}})"));
  ASSERT_TRUE(r) << r.error().message;
  const auto& p = r.value().canary->analysis.prometheus;
  ASSERT_TRUE(p);
  EXPECT_EQ(p->authSecret, "");
  EXPECT_EQ(p->caSecret, "");
  EXPECT_EQ(p->timeout, Millis(10s));
}

std::string badDuration(const std::string& path, const std::string& value) {
  return path + ": invalid duration \"" + value + "\" (write e.g. 30s, 5m or 1h30m)";
}

TEST(DecodeRollout, ErrorsNameTheField) {
  const std::string a = "spec.rollout.canary.analysis";
  const std::pair<std::string, std::string> cases[] = {
      {"[]", "spec.rollout: expected an object, got an array"},
      {R"({"paused":"yes"})", "spec.rollout.paused: expected a boolean, got a string"},
      {R"({"canary":5})", "spec.rollout.canary: expected an object, got an integer"},
      {R"({"canary":{"steps":{}}})", "spec.rollout.canary.steps: expected an array, got an object"},
      {R"({"canary":{"steps":["10"]}})",
       "spec.rollout.canary.steps[0]: expected an object, got a string"},
      {R"({"canary":{"steps":[{"weight":"ten"}]}})",
       "spec.rollout.canary.steps[0].weight: expected an integer, got a string"},
      {R"({"canary":{"steps":[{"weight":12.5}]}})",
       "spec.rollout.canary.steps[0].weight: expected an integer, got a number"},
      {R"({"canary":{"steps":[{"weight":0}]}})",
       "spec.rollout.canary.steps[0].weight: must be within 1..99, got 0"},
      {R"({"canary":{"steps":[{"weight":10},{"weight":100}]}})",
       "spec.rollout.canary.steps[1].weight: must be within 1..99, got 100"},
      {R"({"canary":{"steps":[{"pause":"1m"}]}})", "spec.rollout.canary.steps[0].weight: required"},
      {R"({"canary":{"steps":[{"weight":50},{"weight":20}]}})",
       "spec.rollout.canary.steps[1].weight: weights must increase strictly"},
      {R"({"canary":{"steps":[{"weight":10},{"weight":50},{"weight":50}]}})",
       "spec.rollout.canary.steps[2].weight: weights must increase strictly"},
      {R"({"canary":{"steps":[{"weight":10},{"weight":20,"pause":"5 min"}]}})",
       badDuration("spec.rollout.canary.steps[1].pause", "5 min")},
      {R"({"canary":{"steps":[{"weight":10,"pause":30}]}})",
       "spec.rollout.canary.steps[0].pause: expected a string, got an integer"},
      {R"({"canary":{"steps":[{"weight":10}],"progressDeadline":"10"}})",
       badDuration("spec.rollout.canary.progressDeadline", "10")},
      {R"({"canary":{"steps":[{"weight":10}],"traffic":"replicas"}})",
       "spec.rollout.canary.traffic: expected an object, got a string"},
      {R"({"canary":{"steps":[{"weight":10}],"traffic":{"gatewayAPI":{}}}})",
       "spec.rollout.canary.traffic.gatewayAPI.httpRoute: required"},
      {R"({"canary":{"steps":[{"weight":10}],"traffic":{"gatewayAPI":{"httpRoute":""}}}})",
       "spec.rollout.canary.traffic.gatewayAPI.httpRoute: required"},
      {R"({"canary":{"steps":[{"weight":10}],"traffic":{"gatewayAPI":{"httpRoute":7}}}})",
       "spec.rollout.canary.traffic.gatewayAPI.httpRoute: expected a string, got an integer"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":"none"}})",
       a + ": expected an object, got a string"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"interval":"1d"}}})",
       badDuration(a + ".interval", "1d")},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"failureLimit":0}}})",
       a + ".failureLimit: must be at least 1, got 0"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"consecutiveErrorLimit":-3}}})",
       a + ".consecutiveErrorLimit: must be at least 1, got -3"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"consecutiveErrorLimit":4294967296}}})",
       a + ".consecutiveErrorLimit: must be at most 2147483647, got 4294967296"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":"http://p"}}})",
       a + ".prometheus: expected an object, got a string"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{}}}})",
       a + ".prometheus.address: required"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p",
          "authSecretRef":"prom"}}}})",
       a + ".prometheus.authSecretRef: expected an object, got a string"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p",
          "caSecretRef":{"name":1}}}}})",
       a + ".prometheus.caSecretRef.name: expected a string, got an integer"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p",
          "timeout":"-1s"}}}})",
       badDuration(a + ".prometheus.timeout", "-1s")},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":{"name":"e"}}}})",
       a + ".metrics: expected an array, got an object"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","query":"q","max":1},"f"]}}})",
       a + ".metrics[1]: expected an object, got a string"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"query":"q","max":1}]}}})",
       a + ".metrics[0].name: required"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","max":1}]}}})",
       a + ".metrics[0].query: required"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","query":"q","max":"0.1"}]}}})",
       a + ".metrics[0].max: expected a number, got a string"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","query":"q"}]}}})",
       a + ".metrics[0]: set min, max or both"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","query":"q","min":2,"max":1}]}}})",
       a + ".metrics[0].min: must not exceed max"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","query":"q","max":1,"onNoData":"Ignore"}]}}})",
       a + ".metrics[0].onNoData: \"Ignore\" is not one of Fail, Pass, Inconclusive"},
      {R"({"canary":{"steps":[{"weight":10}],"analysis":{"prometheus":{"address":"http://p"},
          "metrics":[{"name":"e","query":"q","max":1,"onNoData":"fail"}]}}})",
       a + ".metrics[0].onNoData: \"fail\" is not one of Fail, Pass, Inconclusive"},
  };
  for (const auto& [json, want] : cases) {
    auto r = decodeRollout(Json::parse(json));
    ASSERT_FALSE(r) << json;
    EXPECT_EQ(r.error().message, want) << json;
    EXPECT_EQ(r.error().reason, "InvalidSpec") << json;
    EXPECT_EQ(r.error().code, 0) << json;
  }
}

TEST(DecodeMonitoring, AbsentOrNullIsOff) {
  for (const auto& json : {Json::null(), Json::parse("{}"),
                           Json::parse(R"({"enabled":null,"interval":null,"failureLimit":null,
                        "rollbackOnFailure":null,"prometheus":null,"metrics":null})")}) {
    auto m = decodeMonitoring(json);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_FALSE(m.value().enabled);
    EXPECT_EQ(m.value().interval, Millis(1min));
    EXPECT_EQ(m.value().failureLimit, 3);
    EXPECT_FALSE(m.value().rollbackOnFailure);
    EXPECT_FALSE(m.value().prometheus);
    EXPECT_TRUE(m.value().metrics.empty());
  }
}

TEST(DecodeMonitoring, AllFields) {
  auto m = decodeMonitoring(Json::parse(R"({"enabled":true,"interval":"2m","failureLimit":4,
    "rollbackOnFailure":true,
    "prometheus":{"address":"https://p:9090","authSecretRef":{"name":"a"},
                  "caSecretRef":{"name":"c"},"timeout":"1500ms"},
    "metrics":[{"name":"err","query":"q","max":0.1},
               {"name":"lat","query":"l","min":0,"max":2,"onNoData":"Fail"}]})"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m.value().enabled);
  EXPECT_EQ(m.value().interval, Millis(2min));
  EXPECT_EQ(m.value().failureLimit, 4);
  EXPECT_TRUE(m.value().rollbackOnFailure);
  ASSERT_TRUE(m.value().prometheus);
  EXPECT_EQ(m.value().prometheus->address, "https://p:9090");
  EXPECT_EQ(m.value().prometheus->authSecret, "a");
  EXPECT_EQ(m.value().prometheus->caSecret, "c");
  EXPECT_EQ(m.value().prometheus->timeout, Millis(1500));
  ASSERT_EQ(m.value().metrics.size(), 2u);
  EXPECT_EQ(m.value().metrics[0].name, "err");
  EXPECT_EQ(m.value().metrics[0].max, 0.1);
  EXPECT_EQ(m.value().metrics[0].onNoData, "Inconclusive");
  EXPECT_EQ(m.value().metrics[1].min, 0.0);
  EXPECT_EQ(m.value().metrics[1].onNoData, "Fail");
}

TEST(DecodeMonitoring, DisabledMetricsNeedNoPrometheus) {
  auto m = decodeMonitoring(Json::parse(R"({"metrics":[{"name":"e","query":"q","max":1}]})"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m.value().enabled);
  EXPECT_EQ(m.value().metrics.size(), 1u);
}

TEST(DecodeMonitoring, ErrorsNameTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {R"("on")", "spec.monitoring: expected an object, got a string"},
      {R"({"enabled":"true"})", "spec.monitoring.enabled: expected a boolean, got a string"},
      {R"({"interval":"often"})", badDuration("spec.monitoring.interval", "often")},
      {R"({"interval":"1h 30m"})", badDuration("spec.monitoring.interval", "1h 30m")},
      {R"({"failureLimit":0})", "spec.monitoring.failureLimit: must be at least 1, got 0"},
      {R"({"failureLimit":"3"})",
       "spec.monitoring.failureLimit: expected an integer, got a string"},
      {R"({"rollbackOnFailure":1})",
       "spec.monitoring.rollbackOnFailure: expected a boolean, got an integer"},
      {R"({"enabled":true,"prometheus":{"address":""}})",
       "spec.monitoring.prometheus.address: required"},
      {R"({"prometheus":{"address":"http://p","timeout":"10 s"}})",
       badDuration("spec.monitoring.prometheus.timeout", "10 s")},
      {R"({"prometheus":{"address":"http://p","authSecretRef":{"name":false}}})",
       "spec.monitoring.prometheus.authSecretRef.name: expected a string, got a boolean"},
      {R"({"prometheus":{"address":"http://p"},"metrics":[{"name":"e","query":"q","max":1},
          {"name":"f","query":"q","max":1,"onNoData":"Maybe"}]})",
       "spec.monitoring.metrics[1].onNoData: \"Maybe\" is not one of Fail, Pass, Inconclusive"},
      {R"({"prometheus":{"address":"http://p"},"metrics":[{"name":"e","query":"q","min":[0]}]})",
       "spec.monitoring.metrics[0].min: expected a number, got an array"},
  };
  for (const auto& [json, want] : cases) {
    auto m = decodeMonitoring(Json::parse(json));
    ASSERT_FALSE(m) << json;
    EXPECT_EQ(m.error().message, want) << json;
    EXPECT_EQ(m.error().reason, "InvalidSpec") << json;
    EXPECT_EQ(m.error().code, 0) << json;
  }
}

}  // namespace
}  // namespace mlmodel::api
