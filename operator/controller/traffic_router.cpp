#include "controller/traffic_router.h"

#include "controller/desired.h"
#include "rollout/gateway_route.h"

namespace mlmodel::controller {

core::Status TrafficRouter::route(const api::MLModel& model, const std::string& httpRoute,
                                  int canaryWeight) const {
  const std::string& ns = model.metadata.ns;
  const std::string stableSvc = model.metadata.name + "-stable";
  const std::string canarySvc = model.metadata.name + "-canary";
  auto current = client_.get(rollout::httpRoutes, ns, httpRoute);
  if (!current) {
    core::Error e = current.error();
    e.message = "HTTPRoute " + ns + "/" + httpRoute + ": " + e.message;
    events_.emit(model, kube::EventType::kWarning, "RouteUpdateFailed", "Route", e.message);
    return e;
  }
  const auto w = rollout::currentWeights(current.value(), stableSvc, canarySvc);
  if (w.canary == canaryWeight && w.stable == 100 - canaryWeight) return core::Ok{};
  auto body = rollout::routeWeightsApply(current.value(), stableSvc, canarySvc, canaryWeight);
  if (!body) {
    events_.emit(model, kube::EventType::kWarning, "RouteInvalid", "Route", body.error().message);
    return body.error();
  }
  auto r = client_.apply(rollout::httpRoutes, ns, httpRoute, body.value(),
                         kube::ApplyOptions{kFieldManager, true, kube::Reply::Discard});
  if (!r) {
    events_.emit(model, kube::EventType::kWarning, "RouteUpdateFailed", "Route",
                 "HTTPRoute " + ns + "/" + httpRoute + ": " + r.error().message);
    return r.error();
  }
  events_.emit(model, kube::EventType::kNormal, "TrafficShifted", "Route",
               "HTTPRoute " + httpRoute + ": " + stableSvc + " " +
                   std::to_string(100 - canaryWeight) + "%, " + canarySvc + " " +
                   std::to_string(canaryWeight) + "%");
  return core::Ok{};
}

}  // namespace mlmodel::controller
