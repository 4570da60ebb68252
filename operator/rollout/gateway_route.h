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

// The server-side apply body that gives `canaryService` `canaryWeight` percent (0..100)
// and `stableService` the rest, in every rule of `route` (as read) that references both.
// A backendRef counts when it names the Service with kind Service and group "" (or leaves
// them out) and no namespace other than the route's; in each such rule the first ref to
// each Service gets the weight. Send it with ApplyOptions{kFieldManager, force = true}.
//
// Ownership, honestly: Gateway API declares spec.rules (and backendRefs) atomic lists, so
// server-side apply cannot own just the weights. The body carries the whole rules list as
// read, with only those weights changed (server-defaulted values such as kind: Service,
// group: "" or weight: 1 are copied back unchanged, which is harmless), and the operator's
// field manager becomes an owner of all of spec.rules, not only of the weights. While the
// applied rules equal the live ones it co-owns them with the route's author; once a
// weight changes, the forced apply takes spec.rules away from the other appliers
// (managedFields then list only mlmodel-operator for f:rules; the author keeps
// parentRefs, hostnames and the rest of the route). Consequences for the route's author:
//   - `kubectl apply --server-side` of a manifest whose rules differ from the live ones
//     (e.g. the original weights 100/0) fails with a conflict on .spec.rules naming
//     mlmodel-operator; --force-conflicts takes the rules back and resets the weights
//     (a running canary's weights are set again at the operator's next reconcile,
//     taking spec.rules back in turn). Client-side `kubectl apply`
//     and `kubectl edit` overwrite silently. Mid-rollout, edit the route from its live
//     copy, or leave the weights to the operator.
//   - Argo CD / Flux: ignore .spec.rules[].backendRefs[].weight (Argo CD ignoreDifferences,
//     with RespectIgnoreDifferences=true) so a sync does not fight the operator.
//   - The operator rewrites the rules list from what it just read; the body carries the
//     resourceVersion read, so a concurrent edit between its GET and its apply makes the
//     apply fail with 409 Conflict (retried) instead of being lost.
//   - The operator never removes its ownership; it stays listed in managedFields after
//     the rollout (a later apply by the route's author with --force-conflicts takes
//     spec.rules back).
// Errors: reason RouteInvalid (naming the route and both Services) when no rule
// references both Services; InvalidWeight when canaryWeight is outside 0..100.
core::Result<Json> routeWeightsApply(const Json& route, const std::string& stableService,
                                     const std::string& canaryService, int canaryWeight);

}  // namespace mlmodel::rollout
