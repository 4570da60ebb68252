#pragma once

#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "controller/deployment_state.h"
#include "controller/image_pinning.h"
#include "controller/model_source.h"
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
  const SourcedVersion* sourced = nullptr;  // with spec.mlflow
  std::string now{};                        // RFC 3339
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

// The status of a model whose spec.mlflow never resolved to anything that can run (MLflow
// unreachable, no such alias, a version without an image): nothing is applied. Ready False;
// Reconciling True while MLflow is unreachable, Stalled True for what a person must fix.
Json unresolvedStatus(const Json& previous, int64_t generation, const core::Error& error,
                      const std::string& now);

// True once the model has a stable revision in status: it was deployed before.
bool deployedBefore(const api::MLModel& model);

// The reason a failed apply is reported with, in its Event and its condition:
// ApplyRejected (Stalled) when the API server refused the object itself, which only a
// change to the MLModel can mend; ApplyFailed (Reconciling, retried) otherwise.
const char* applyFailureReason(const core::Error& error);

}  // namespace mlmodel::controller
