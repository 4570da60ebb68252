// HTTPRoutes are read from the API server; their owners write rules and backends.
#include "fuzz_input.h"
#include "rollout/gateway_route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  auto route = fuzz::json(data, size);
  if (!route) return 0;
  (void)rollout::currentWeights(*route, "fraud-stable", "fraud-canary");
  for (int weight : {0, 10, 100}) {
    auto apply = rollout::routeWeightsApply(*route, "fraud-stable", "fraud-canary", weight);
    if (!apply) continue;
    // The route as applied says the weights asked for.
    auto now = rollout::currentWeights(apply.value(), "fraud-stable", "fraud-canary");
    fuzz::check(now.canary == weight && now.stable == 100 - weight, "applied weights differ");
  }
  return 0;
}
