#include <gtest/gtest.h>

#include "core/json_read.h"
#include "kube/leader_election.h"
#include "rollout/gateway_route.h"
#include "rollout/status.h"

namespace mlmodel::core {
namespace {

using Json = web::json::value;

TEST(JsonIntTest, ReadsNumbersWithinIntAndNothingElse) {
  const auto int32 = [](const char* json) { return jsonInt32(Json::parse(json), {}, -1); };
  EXPECT_EQ(int32("42"), 42);
  EXPECT_EQ(int32("-7"), -7);
  EXPECT_EQ(int32("3.9"), 3);
  EXPECT_EQ(int32("2147483647"), 2147483647);
  EXPECT_EQ(int32("2147483648"), -1);
  EXPECT_EQ(int32("18446744073709551615"), -1);
  EXPECT_EQ(int32("1.01111e+51"), -1);
  EXPECT_EQ(int32("-1e300"), -1);
  EXPECT_EQ(int32(R"("5")"), -1);
  EXPECT_EQ(jsonInteger(Json::parse("9007199254740993")), 9007199254740993);
  EXPECT_EQ(jsonInteger(Json::parse("-9223372036854775808")), INT64_MIN);
  EXPECT_FALSE(jsonInteger(Json::parse("9223372036854775808")));
  EXPECT_FALSE(jsonInteger(Json::parse("9.3e18")));
  EXPECT_FALSE(jsonInteger(Json::parse("1e51")));
  EXPECT_EQ(jsonInt(Json::parse(R"({"a":{"b":1e51}})"), {"a", "b"}, 7), 7);
}

// Found by tests/fuzz/rollout_status_fuzz: a count of 1.01111e+51 in status.rollout was
// cast to int (undefined behaviour); it now reads as absent (0).
TEST(JsonIntTest, HugeNumbersInAStatusALeaseOrARouteReadAsAbsent) {
  const auto status = rollout::decodeRolloutStatus(Json::parse(
      R"({"canary":{"version":"2","templateHash":"h","step":1.01111e+51,"weight":10}})"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 0);
  EXPECT_EQ(status.canary->weight, 10);

  const auto lease = kube::leaseRecordFromJson(
      Json::parse(R"({"spec":{"leaseDurationSeconds":1e51,"leaseTransitions":3}})"));
  EXPECT_EQ(lease.leaseDurationSeconds, 0);
  EXPECT_EQ(lease.leaseTransitions, 3);

  const auto weights = rollout::currentWeights(Json::parse(R"({"spec":{"rules":[{"backendRefs":[
      {"name":"s","weight":1e51},{"name":"c","weight":25}]}]}})"),
                                               "s", "c");
  EXPECT_EQ(weights.stable, 1);  // as a weight that is not a number: the default
  EXPECT_EQ(weights.canary, 25);
}

}  // namespace
}  // namespace mlmodel::core
