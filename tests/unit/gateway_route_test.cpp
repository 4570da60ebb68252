#include "rollout/gateway_route.h"

#include <gtest/gtest.h>

namespace mlmodel::rollout {
namespace {

const char* kRoute = R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
  "metadata":{"name":"web","namespace":"ml","resourceVersion":"7"},
  "spec":{"parentRefs":[{"name":"gw"}],"hostnames":["fraud.example"],
    "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/other"}}],
              "backendRefs":[{"name":"other","port":80}]},
             {"matches":[{"path":{"type":"PathPrefix","value":"/"}}],
              "backendRefs":[{"name":"m-stable","port":80,"weight":100},
                             {"kind":"Service","name":"m-canary","port":80}]}]}})";

TEST(GatewayRoute, ReadsCurrentWeightsWithTheDefaultOfOne) {
  const auto w = currentWeights(Json::parse(kRoute), "m-stable", "m-canary");
  EXPECT_EQ(w.stable, 100);
  EXPECT_EQ(w.canary, 1);
  const auto none = currentWeights(Json::parse(kRoute), "x-stable", "x-canary");
  EXPECT_EQ(none.stable, -1);
}

TEST(GatewayRoute, ApplyBodyChangesOnlyTheWeights) {
  const Json route = Json::parse(kRoute);
  auto body = routeWeightsApply(route, "m-stable", "m-canary", 25);
  ASSERT_TRUE(body) << body.error().message;
  const Json& b = body.value();
  EXPECT_EQ(b.at("kind").as_string(), "HTTPRoute");
  EXPECT_EQ(b.at("metadata").at("name").as_string(), "web");
  EXPECT_EQ(b.at("metadata").at("resourceVersion").as_string(), "7")
      << "the version read is a precondition: a concurrent edit of the rules is not lost";
  EXPECT_FALSE(b.at("spec").has_field("hostnames")) << "only rules are applied";
  const auto& rules = b.at("spec").at("rules");
  EXPECT_EQ(rules.at(0), route.at("spec").at("rules").at(0)) << "other rules unchanged";
  const auto& refs = rules.at(1).at("backendRefs");
  EXPECT_EQ(refs.at(0).at("weight").as_integer(), 75);
  EXPECT_EQ(refs.at(1).at("weight").as_integer(), 25);
  EXPECT_EQ(refs.at(1).at("port").as_integer(), 80);
  EXPECT_EQ(currentWeights(b, "m-stable", "m-canary").canary, 25);
}

TEST(GatewayRoute, ARouteWithoutBothServicesIsAnError) {
  auto body = routeWeightsApply(Json::parse(kRoute), "x-stable", "x-canary", 10);
  ASSERT_FALSE(body);
  EXPECT_EQ(body.error().reason, "RouteInvalid");
  EXPECT_NE(body.error().message.find("ml/web"), std::string::npos);
  EXPECT_NE(body.error().message.find("x-canary"), std::string::npos);
}

TEST(GatewayRoute, EveryRuleWithBothServicesGetsTheWeightsAndOtherFieldsStay) {
  const Json route = Json::parse(R"({"apiVersion":"gateway.networking.k8s.io/v1",
    "kind":"HTTPRoute","metadata":{"name":"web","namespace":"ml","uid":"u","generation":3,
      "managedFields":[{"manager":"kubectl","operation":"Apply"}]},
    "spec":{"parentRefs":[{"name":"gw"}],"rules":[
      {"name":"api","matches":[{"path":{"type":"PathPrefix","value":"/v2"}}],
       "filters":[{"type":"RequestHeaderModifier","requestHeaderModifier":{"set":[{"name":"x","value":"1"}]}}],
       "backendRefs":[{"group":"","kind":"Service","name":"m-canary","port":80,"weight":0},
                      {"group":"","kind":"Service","name":"m-stable","port":80,"weight":100}]},
      {"matches":[{"headers":[{"name":"beta","value":"1"}]}],
       "backendRefs":[{"name":"m-stable","port":80},{"name":"m-canary","port":80}]}]},
    "status":{"parents":[]}})");
  auto body = routeWeightsApply(route, "m-stable", "m-canary", 10);
  ASSERT_TRUE(body) << body.error().message;
  const Json& b = body.value();
  EXPECT_EQ(b.at("apiVersion").as_string(), "gateway.networking.k8s.io/v1");
  EXPECT_EQ(b.at("metadata").size(), 2u)
      << "only name and namespace (the route read had no resourceVersion): " << b.serialize();
  EXPECT_EQ(b.at("metadata").at("namespace").as_string(), "ml");
  EXPECT_FALSE(b.has_field("status"));
  EXPECT_EQ(b.at("spec").size(), 1u) << "parentRefs stay with the route's author";
  const auto& rules = b.at("spec").at("rules");
  ASSERT_EQ(rules.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    // Everything but the weights is as read: compare with the weights put back.
    Json rule = rules.at(i);
    const Json& orig = route.at("spec").at("rules").at(i);
    for (size_t j = 0; j < rule.at("backendRefs").size(); ++j) {
      if (orig.at("backendRefs").at(j).has_field("weight")) {
        rule["backendRefs"][j]["weight"] = orig.at("backendRefs").at(j).at("weight");
      } else {
        rule["backendRefs"][j].erase("weight");
      }
    }
    EXPECT_EQ(rule, orig) << "rule " << i;
  }
  EXPECT_EQ(rules.at(0).at("backendRefs").at(0).at("weight").as_integer(), 10);  // canary
  EXPECT_EQ(rules.at(0).at("backendRefs").at(1).at("weight").as_integer(), 90);  // stable
  EXPECT_EQ(rules.at(1).at("backendRefs").at(0).at("weight").as_integer(), 90);
  EXPECT_EQ(rules.at(1).at("backendRefs").at(1).at("weight").as_integer(), 10);
  const auto w = currentWeights(b, "m-stable", "m-canary");
  EXPECT_EQ(w.stable, 90);
  EXPECT_EQ(w.canary, 10);
}

TEST(GatewayRoute, TheEndsOfARolloutAreZeroAndAHundred) {
  for (int canary : {0, 100}) {
    auto body = routeWeightsApply(Json::parse(kRoute), "m-stable", "m-canary", canary);
    ASSERT_TRUE(body) << body.error().message;
    const auto w = currentWeights(body.value(), "m-stable", "m-canary");
    EXPECT_EQ(w.canary, canary);
    EXPECT_EQ(w.stable, 100 - canary);
  }
}

TEST(GatewayRoute, AWeightOutsideZeroToAHundredIsRefused) {
  for (int canary : {-1, 101}) {
    auto body = routeWeightsApply(Json::parse(kRoute), "m-stable", "m-canary", canary);
    ASSERT_FALSE(body) << canary;
    EXPECT_EQ(body.error().reason, "InvalidWeight");
    EXPECT_NE(body.error().message.find(std::to_string(canary)), std::string::npos);
  }
}

TEST(GatewayRoute, OnlyCoreServicesInTheRoutesNamespaceCount) {
  // Same names, but another kind, another group or another namespace: not our Services.
  for (const char* canaryRef :
       {R"({"kind":"ServiceImport","group":"multicluster.x-k8s.io","name":"m-canary"})",
        R"({"kind":"Service","group":"example.com","name":"m-canary"})",
        R"({"name":"m-canary","namespace":"elsewhere"})"}) {
    Json route = Json::parse(R"({"metadata":{"name":"web","namespace":"ml"},
      "spec":{"rules":[{"backendRefs":[{"name":"m-stable","weight":100}]}]}})");
    route["spec"]["rules"][0]["backendRefs"][1] = Json::parse(canaryRef);
    EXPECT_EQ(currentWeights(route, "m-stable", "m-canary").canary, -1) << canaryRef;
    auto body = routeWeightsApply(route, "m-stable", "m-canary", 10);
    ASSERT_FALSE(body) << canaryRef;
    EXPECT_EQ(body.error().reason, "RouteInvalid");
  }
  Json same = Json::parse(R"({"metadata":{"name":"web","namespace":"ml"},
    "spec":{"rules":[{"backendRefs":[{"name":"m-stable","namespace":"ml"},
                                     {"name":"m-canary","kind":"Service","weight":5}]}]}})");
  const auto w = currentWeights(same, "m-stable", "m-canary");
  EXPECT_EQ(w.stable, 1);
  EXPECT_EQ(w.canary, 5);
}

TEST(GatewayRoute, ARouteWithoutRulesIsInvalid) {
  for (const char* text : {R"({"metadata":{"name":"web","namespace":"ml"}})",
                           R"({"metadata":{"name":"web","namespace":"ml"},"spec":{}})",
                           R"({"metadata":{"name":"web","namespace":"ml"},
                               "spec":{"rules":[{"matches":[]}]}})"}) {
    const Json route = Json::parse(text);
    EXPECT_EQ(currentWeights(route, "m-stable", "m-canary").stable, -1) << text;
    auto body = routeWeightsApply(route, "m-stable", "m-canary", 10);
    ASSERT_FALSE(body) << text;
    EXPECT_EQ(body.error().reason, "RouteInvalid");
    EXPECT_NE(body.error().message.find("ml/web"), std::string::npos);
    EXPECT_NE(body.error().message.find("m-stable"), std::string::npos);
  }
}

}  // namespace
}  // namespace mlmodel::rollout
