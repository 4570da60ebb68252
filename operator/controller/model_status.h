#pragma once

#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "controller/deployment_state.h"
#include "controller/image_pinning.h"
#include "controller/pod_problems.h"
#include "rollout/planner.h"

namespace mlmodel::controller {

using Json = web::json::value;

// What a reconcile saw and did, for the status it reports.
struct StatusInput {
  const api::MLModel* model = nullptr;
  const PinnedImage* image = nullptr;
  const rollout::Plan* plan = nullptr;  // null: none applied, status keeps what it held
  bool stableApplied = false;           // the stable Deployment was just changed
  std::optional<core::Error> applyError{};
  DeploymentState stable{};
  DeploymentState canary{};
  std::optional<PodProblem> pods{};
  std::string now{};  // RFC 3339
};

// The model's status, in kstatus terms (observedGeneration, Ready, Reconciling, Stalled)
// plus Available, ImageResolved, Degraded, the phase and the rollout's own record. A pure
// function: the same input gives the same status, so an unchanged model writes nothing.
Json buildModelStatus(const StatusInput& in);

// The status of a model refused before anything was applied (a spec the schema let
// through, or outside the administrator's policy): what it held, with Ready False and
// Stalled True for `reason`, phase Failed.
Json refusedStatus(const Json& previous, int64_t generation, const std::string& reason,
                   const std::string& message, const std::string& now);

// True once the model has a stable revision in status: it was deployed before.
bool deployedBefore(const api::MLModel& model);

}  // namespace mlmodel::controller
