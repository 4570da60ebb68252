#pragma once

#include <string>

#include "api/mlmodel.h"
#include "controller/model_events.h"
#include "core/result.h"
#include "kube/rest_client.h"

namespace mlmodel::controller {

// Gateway API traffic: sets an HTTPRoute's backendRefs to <model>-stable and
// <model>-canary with the weights a plan asks for, by server-side apply of only those
// (whatever else the route holds is its owner's). Reads the route each time: it is not
// cached, and changes only during a rollout.
class TrafficRouter {
 public:
  TrafficRouter(kube::Client& client, const ModelEvents& events)
      : client_(client), events_(events) {}

  // The canary's weight in percent; the stable gets the rest. Nothing is written when the
  // route already says so. Events: TrafficShifted, RouteInvalid, RouteUpdateFailed.
  core::Status route(const api::MLModel& model, const std::string& httpRoute,
                     int canaryWeight) const;

 private:
  kube::Client& client_;
  const ModelEvents& events_;
};

}  // namespace mlmodel::controller
