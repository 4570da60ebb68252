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
  EXPECT_FALSE(b.at("metadata").has_field("resourceVersion"));
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

}  // namespace
}  // namespace mlmodel::rollout
