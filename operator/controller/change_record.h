#pragma once

#include <optional>

#include "api/mlmodel.h"
#include "controller/model_source.h"
#include "kube/rest_client.h"
#include "rollout/status.h"

namespace mlmodel::controller {

// What history records about the rollout a reconcile starts: who changed the model (its
// spec's latest field manager, and the GitOps source it carries, or "mlflow" when an alias
// moved), what changed (the spec fields that differ from what the stable Deployment runs),
// and why (kubernetes.io/change-cause, or the MLflow version and its run).
//
// `object` is the MLModel as the API server returns it: informer caches drop managedFields,
// so the caller reads it once, when a rollout starts (null: who is left unknown).
// `stable` is the stable Deployment from the cache, if any, with the revision it runs.
rollout::Change changeRecord(const Json* object, const api::MLModel& model, const Json* stable,
                             const rollout::Revision& stableRevision,
                             const SourcedVersion* sourced);

}  // namespace mlmodel::controller
