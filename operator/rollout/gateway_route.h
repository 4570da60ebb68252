#pragma once

#include <cpprest/json.h>

#include <string>

#include "core/result.h"
#include "kube/resource.h"

namespace mlmodel::rollout {

using Json = web::json::value;

inline const kube::ResourceType httpRoutes{"gateway.networking.k8s.io", "v1", "httproutes", true};

// The weights of the stable and canary backends in the first rule that has both
// (-1 when no rule has both). An absent weight is 1, as the Gateway API defines it.
struct RouteWeights {
  int stable = -1;
  int canary = -1;
};
RouteWeights currentWeights(const Json& route, const std::string& stableService,
                            const std::string& canaryService);

// The server-side apply body that gives `canaryService` `canaryWeight` percent and
// `stableService` the rest, in every rule of `route` (as read) that references both.
// Gateway API declares spec.rules and backendRefs atomic lists, so the body carries the
// whole rules list as read with only those weights changed: the operator's field manager
// becomes a co-owner of spec.rules. Whoever else applies the route (kubectl, Argo CD, Flux)
// should leave the weights to the operator (in Argo CD: ignoreDifferences on
// .spec.rules[].backendRefs[].weight). An Error (reason RouteInvalid) names the route when
// no rule references both Services.
core::Result<Json> routeWeightsApply(const Json& route, const std::string& stableService,
                                     const std::string& canaryService, int canaryWeight);

}  // namespace mlmodel::rollout
