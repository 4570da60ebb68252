#include "controller/model_status.h"

#include "controller/conditions.h"
#include "controller/desired.h"
#include "core/json_read.h"
#include "kube/api_error.h"

namespace mlmodel::controller {
namespace {

// Registry answers that only a person can fix (a wrong tag or credentials) stall the
// model; an unreachable registry is retried while the model keeps reconciling.
bool needsUser(const core::Error& e) { return e.reason != "RegistryUnavailable"; }

const Json& conditionsOf(const Json& status) {
  static const Json kNone = Json::array();
  const Json* c = core::jsonFind(status, {"conditions"});
  return c && c->is_array() ? *c : kNone;
}

// Stalled, Reconciling or Degraded as the reconcile found the model, most urgent first.
struct Trouble {
  std::optional<Condition> stalled, reconciling, degraded;
};

Trouble troubleOf(const StatusInput& in, const DeploymentState& stable) {
  const api::MLModel& model = *in.model;
  const PinnedImage& image = *in.image;
  const rollout::Plan* plan = in.plan;
  Trouble t;
  if (plan && plan->degraded) {
    t.degraded = Condition{"Degraded", "True", plan->degraded->reason, plan->degraded->message};
  }
  if (image.error && needsUser(*image.error)) {
    t.stalled = Condition{"Stalled", "True", image.error->reason, image.error->message};
  } else if (image.error) {
    t.reconciling =
        Condition{"Reconciling", "True", image.error->reason, image.error->message + " (retrying)"};
  } else if (in.applyError && kube::isRejectedObject(*in.applyError)) {
    t.stalled =
        Condition{"Stalled", "True", applyFailureReason(*in.applyError), in.applyError->message};
  } else if (in.applyError) {
    t.reconciling = Condition{"Reconciling", "True", applyFailureReason(*in.applyError),
                              in.applyError->message};
  } else if (plan && plan->stalled) {
    t.stalled = Condition{"Stalled", "True", plan->stalled->reason, plan->stalled->message};
  } else if (plan && plan->reconciling) {
    t.reconciling =
        Condition{"Reconciling", "True", plan->reconciling->reason, plan->reconciling->message};
  } else if (stable.deadlineExceeded) {
    t.stalled = Condition{"Stalled", "True", "ProgressDeadlineExceeded",
                          "Deployment " + model.metadata.name +
                              " did not become available within its progress deadline"};
  } else if (!stable.done && in.pods) {
    t.reconciling = Condition{"Reconciling", "True", in.pods->reason, describe(*in.pods)};
  } else if (!stable.done) {
    t.reconciling = Condition{
        "Reconciling", "True", stable.exists ? "RollingOut" : "Creating",
        std::to_string(stable.ready) + " of " +
            std::to_string(model.spec.replicas.value_or(static_cast<int>(stable.replicas))) +
            " replicas ready"};
  }
  return t;
}

}  // namespace

Json unresolvedStatus(const Json& previous, int64_t generation, const core::Error& error,
                      const std::string& now) {
  Json status = previous.is_object() ? previous : Json::object();
  status["observedGeneration"] = Json::number(generation);
  const bool retrying = error.reason == mlflow::kReasonUnavailable;
  status["phase"] = Json::string(retrying ? "Pending" : "Failed");
  std::vector<Condition> conds{{"Ready", "False", error.reason, error.message},
                               {"VersionResolved", "False", error.reason, error.message}};
  conds.push_back(
      retrying ? Condition{"Reconciling", "True", error.reason, error.message + " (retrying)"}
               : Condition{"Stalled", "True", error.reason, error.message});
  status["conditions"] = buildConditions(conditionsOf(previous), conds, generation, now);
  return status;
}

const char* applyFailureReason(const core::Error& error) {
  return kube::isRejectedObject(error) ? "ApplyRejected" : "ApplyFailed";
}

bool deployedBefore(const api::MLModel& model) {
  return model.status.is_object() && model.status.has_object_field("stable");
}

Json buildModelStatus(const StatusInput& in) {
  const api::MLModel& model = *in.model;
  const PinnedImage& image = *in.image;
  const Json& prev = model.status;
  DeploymentState stable = in.stable;
  if (in.stableApplied) {
    // The change has yet to roll out; a Deployment created just now exists, though the
    // cache has not seen it (saying "missing" would be stale at once, and the next pass,
    // finding it with no status yet, would have to write again).
    stable.done = false;
    stable.exists = true;
  }
  Json st = Json::object();
  st["observedGeneration"] = Json::number(model.metadata.generation);
  st["url"] = Json::string(serviceUrl(model));
  st["replicas"] = Json::number(stable.replicas + in.canary.replicas);
  st["readyReplicas"] = Json::number(stable.ready + in.canary.ready);
  st["selector"] = Json::string(std::string(kModelLabel) + "=" + model.metadata.name);
  if (in.plan) {
    rollout::encodeRolloutStatus(in.plan->status, st);
  } else {
    for (const char* f : {"stable", "canary", "history", "lastRetry", "monitoring"}) {
      if (prev.is_object() && prev.has_field(f)) st[f] = prev.at(f);
    }
  }

  std::vector<Condition> conds;
  if (const SourcedVersion* src = in.sourced) {
    if (src->status.is_object()) st["mlflow"] = src->status;
    if (src->error) {
      const auto& e = *src->error;
      conds.push_back({"VersionResolved", "False", e.reason,
                       e.message + "; version " + src->version + " keeps running (retrying)"});
    } else {
      conds.push_back({"VersionResolved", "True", "Resolved", src->describe(*model.spec.mlflow)});
    }
  }
  if (image.error) {
    const auto& e = *image.error;
    conds.push_back(
        {"ImageResolved", "False", e.reason.empty() ? "ResolveFailed" : e.reason, e.message});
  } else if (model.spec.pinDigest) {
    conds.push_back(
        {"ImageResolved", "True", "Resolved",
         model.spec.image + " is " + (image.digest.empty() ? model.spec.image : image.digest)});
  }
  conds.push_back({"Available", stable.exists ? stable.availableStatus : "False",
                   stable.exists ? "Deployment" : "DeploymentMissing",
                   std::to_string(stable.available) + " of " + std::to_string(stable.replicas) +
                       " replicas available"});
  const Trouble t = troubleOf(in, stable);
  std::string phase;
  if (!t.stalled && !t.reconciling && !t.degraded && stable.done) {
    conds.insert(conds.begin(),
                 {"Ready", "True", "Available",
                  "version " + model.spec.version + " is serving at " + serviceUrl(model)});
    phase = "Ready";
  } else {
    const auto& why = t.stalled       ? *t.stalled
                      : t.reconciling ? *t.reconciling
                      : t.degraded
                          ? *t.degraded
                          : Condition{"Ready", "False", "RollingOut", "waiting for the Deployment"};
    conds.insert(conds.begin(), {"Ready", "False", why.reason, why.message});
    phase = t.stalled                      ? "Failed"
            : t.degraded && !t.reconciling ? "Degraded"
                                           : (stable.exists ? "Progressing" : "Pending");
  }
  for (const auto* c : {&t.reconciling, &t.stalled, &t.degraded}) {
    if (*c) conds.push_back(**c);
  }
  st["phase"] = Json::string(phase);
  st["conditions"] = buildConditions(conditionsOf(prev), conds, model.metadata.generation, in.now);
  return st;
}

Json refusedStatus(const Json& previous, int64_t generation, const std::string& reason,
                   const std::string& message, const std::string& now) {
  Json status = previous.is_object() ? previous : Json::object();
  status["observedGeneration"] = Json::number(generation);
  status["phase"] = Json::string("Failed");
  status["conditions"] = buildConditions(
      conditionsOf(previous),
      {{"Ready", "False", reason, message}, {"Stalled", "True", reason, message}}, generation, now);
  return status;
}

}  // namespace mlmodel::controller
