#include "controller/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "audit/revision_spec.h"
#include "controller/change_record.h"
#include "controller/conditions.h"
#include "controller/desired.h"
#include "controller/model_status.h"
#include "controller/revision_store.h"
#include "core/json_read.h"
#include "core/time_format.h"

namespace mlmodel::controller {
namespace {

namespace res = kube::resources;

// What a revision other than the spec's runs: its image and version with the rest of
// the current spec (a rollback restores the digest, not every old setting).
api::MLModel modelAt(const api::MLModel& model, const rollout::Revision& r) {
  api::MLModel m = model;
  m.spec.image = r.image;
  m.spec.version = r.version;
  return m;
}

std::string runImageOf(const rollout::Revision& r) {
  // An image written with its digest runs as written, so its template does not change.
  if (r.digest.empty() || r.image.find("@sha256:") != std::string::npos) return r.image;
  return api::imageRepository(r.image) + "@" + r.digest;
}

rollout::DeploymentView viewOf(const DeploymentState& dep, const Json& desired) {
  rollout::DeploymentView v;
  if (!dep.exists) return v;
  Json owned = desired;
  owned.erase("apiVersion");
  owned.erase("kind");
  // Replicas are the Deployment's own when the model leaves them unset (an HPA, kubectl
  // scale): then desired has none, and cpprest's erase throws for a missing key.
  if (owned.has_object_field("spec") && owned.at("spec").has_field("replicas")) {
    owned["spec"].erase("replicas");
  }
  v.exists = true;
  v.current = containsDesired(*dep.object, owned);
  v.done = dep.done;
  v.desired = static_cast<int>(dep.wanted);
  v.ready = static_cast<int>(dep.ready);
  v.available = static_cast<int>(dep.available);
  return v;
}

std::string annotation(const api::MLModel& m, const char* name) {
  return core::jsonString(m.metadata.annotations, {name});
}

bool gatewayTraffic(const api::RolloutSpec& ro) {
  return ro.canary && ro.canary->traffic.kind == api::TrafficSpec::Kind::GatewayAPI;
}

}  // namespace

Reconciler::Reconciler(ReconcilerDeps deps)
    : deps_(deps),
      events_(deps.events),
      status_(*deps.client, events_, *deps.clock),
      applier_(*deps.client, events_),
      router_(*deps.client, events_),
      pods_(deps.pods, *deps.clock) {}

kube::WorkResult Reconciler::reconcile(const std::string& key) {
  auto obj = deps_.models->get(key);
  if (!obj) {
    status_.forget(key);
    pods_.forget(key);
    return kube::WorkResult::success();  // deleted: owned objects go with it (GC)
  }
  // The spec: decoded, validated, admitted by the administrator's policy.
  auto decoded = api::decodeMLModel(*obj);
  if (!decoded) return refuse(*obj, decoded.error());
  api::MLModel model = std::move(decoded.value());
  if (model.metadata.deleting) return kube::WorkResult::success();
  api::applyDefaults(model);
  auto ro = api::decodeRollout(model.spec.rollout);
  if (!ro) return refuse(*obj, ro.error());
  auto mon = api::decodeMonitoring(model.spec.monitoring);
  if (!mon) return refuse(*obj, mon.error());
  static const TrustPolicy kOpen;
  const TrustPolicy& policy = deps_.policy ? *deps_.policy : kOpen;
  if (status_.ownWritePending(key, model.metadata.resourceVersion)) {
    // Our last status write has not reached the cache yet: wait for it (and read MLflow,
    // and say what it answered, once that write is seen).
    return kube::WorkResult::requeueAfter(std::chrono::milliseconds(250));
  }
  std::optional<SourcedVersion> sourced;
  if (model.spec.mlflow) {
    if (!deps_.versions) {
      return refuse(*obj, core::Error{"spec.mlflow: this operator was started without MLflow "
                                      "support",
                                      0, "InvalidSpec"});
    }
    if (auto a = admitMlflow(policy, *model.spec.mlflow); !a) return refuse(*obj, a.error());
    sourced = source(model);
    if (sourced->image.empty()) return unresolved(model, *sourced->error);
  }
  if (auto v = api::validate(model); !v) return refuseSourced(*obj, model, sourced, v.error());
  if (auto a = admit(policy, model.spec, ro.value(), mon.value()); !a) {
    return refuseSourced(*obj, model, sourced, a.error());
  }

  const Observed seen{readDeployment(deps_.deployments->get(key)),
                      readDeployment(deps_.deployments->get(key + "-canary"))};
  const auto rs = rollout::decodeRolloutStatus(model.status);
  const PinnedImage image = pinImage(model, rs, *deps_.resolver, *deps_.clock);
  std::optional<rollout::Plan> plan;
  Applied applied;
  if (image.error) {
    // Leave whatever runs untouched: a registry outage must not take a model down.
    events_.emit(model, kube::EventType::kWarning, "ImageResolutionFailed", "Resolve",
                 image.error->message);
  } else {
    if (image.fresh && !image.digest.empty() && deployedBefore(model)) {
      events_.emit(model, kube::EventType::kNormal, "ImageResolved", "Resolve",
                   model.spec.image + " resolved to " + image.digest);
    }
    const auto in = planInput(*obj, model, ro.value(), mon.value(), image, rs, seen,
                              sourced ? &*sourced : nullptr);
    plan = deps_.rounds ? rollout::planRollout(in, *deps_.rounds)
                        : rollout::planRollout(in, *deps_.providers);
    applied = applyPlan(model, ro.value(), image, *plan, seen);
    if (!applied.error) report(model, *plan, mon.value().enabled);
    if (!applied.error && plan->rolloutStarted && !rs.stable.revision.empty()) {
      recordRevisions(model, rs, *plan, in.target, seen);
    }
  }

  // A plan that could not be applied is not stored: the next attempt plans again.
  const bool failed = image.error || applied.error;
  const rollout::Plan* stored = plan && !applied.error ? &*plan : nullptr;
  if (sourced && !sourced->error && stored && model.spec.mlflow->writeBack) {
    writeBack(model, stored->status, *sourced);
  }
  const PodWatch::Check pods =
      failed ? PodWatch::Check{} : pods_.check(model, seen.stable, applied.stable);
  const Json status = buildModelStatus({.model = &model,
                                        .image = &image,
                                        .plan = stored,
                                        .stableApplied = applied.stable,
                                        .applyError = applied.error,
                                        .stable = seen.stable,
                                        .canary = seen.canary,
                                        .pods = pods.problem,
                                        .sourced = sourced ? &*sourced : nullptr,
                                        .now = core::rfc3339(deps_.clock->wallNow())});
  bool warned = failed;
  if (plan) {
    for (const auto& e : plan->events) warned = warned || e.warning;
  }
  // Failures keep their own retry backoff (their messages change between attempts and are
  // written as they come); a plan's own revisit (a pause ending, an analysis round) is never
  // put off by a held progress write.
  std::optional<core::Duration> revisit = stored ? stored->requeueAfter : std::nullopt;
  if (pods.recheck) revisit = std::min(revisit.value_or(*pods.recheck), *pods.recheck);
  if (sourced) {
    // The alias is read again on its interval: MLflow has no watch to tell us it moved.
    const core::Duration read = nextRead(*model.spec.mlflow, key);
    revisit = std::min(revisit.value_or(read), read);
  }
  if (auto wait = failed ? std::nullopt : status_.progressWait(key, model.status, status)) {
    if (revisit) wait = std::min<core::Duration>(*wait, *revisit);
    return kube::WorkResult::requeueAfter(*wait);
  }
  if (auto w = status_.write(model, status, !warned); !w) {
    spdlog::warn("mlmodel {}: status update failed: {}", key, w.error().message);
    return kube::WorkResult::retry();
  }
  if (pods.problem) {
    const Json* conds = core::jsonFind(model.status, {"conditions"});
    const Json* before = conds ? findCondition(*conds, "Reconciling") : nullptr;
    if (!before || core::jsonString(*before, {"reason"}) != pods.problem->reason) {
      events_.emit(model, kube::EventType::kWarning, pods.problem->reason, "Reconcile",
                   describe(*pods.problem));
    }
  }
  if (failed) return kube::WorkResult::retry();
  if (sourced && sourced->error) {
    // What runs is the last version resolved: MLflow is asked again soon, but the plan's
    // own pace (a pause, an analysis round) is kept, not a growing backoff's.
    const core::Duration again = retryRead(*model.spec.mlflow);
    return kube::WorkResult::requeueAfter(revisit ? std::min<core::Duration>(*revisit, again)
                                                  : again);
  }
  if (revisit) return kube::WorkResult::requeueAfter(*revisit);
  return kube::WorkResult::success();
}

kube::WorkResult Reconciler::refuse(const Json& object, const core::Error& error) {
  // A refusal by the administrator's policy keeps its own reason (RegistryNotAllowed, ...).
  const std::string reason = error.reason.empty() ? "InvalidSpec" : error.reason;
  api::MLModel model;
  model.metadata.name = core::jsonString(object, {"metadata", "name"});
  model.metadata.ns = core::jsonString(object, {"metadata", "namespace"});
  model.metadata.uid = core::jsonString(object, {"metadata", "uid"});
  // The status patch is conditional on it (an empty one is refused as "must be specified").
  model.metadata.resourceVersion = core::jsonString(object, {"metadata", "resourceVersion"});
  model.metadata.generation = core::jsonInt(object, {"metadata", "generation"});
  if (const Json* s = core::jsonFind(object, {"status"}); s && s->is_object()) model.status = *s;
  const Json status = refusedStatus(model.status, model.metadata.generation, reason, error.message,
                                    core::rfc3339(deps_.clock->wallNow()));
  if (status != model.status) {
    events_.emit(model, kube::EventType::kWarning, reason, "Validate", error.message);
    if (auto w = status_.write(model, status, false); !w) {
      spdlog::warn("mlmodel {}/{}: status update failed: {}", model.metadata.ns,
                   model.metadata.name, w.error().message);
      return kube::WorkResult::retry();
    }
  }
  return kube::WorkResult::success();
}

kube::WorkResult Reconciler::refuseSourced(const Json& object, const api::MLModel& model,
                                           const std::optional<SourcedVersion>& sourced,
                                           core::Error error) {
  if (!sourced) return refuse(object, error);
  // The spec names no image: say whose image was refused. And MLflow may move on to a
  // version that can run, with no edit of the model to tell us: read it again.
  const std::string prefix = "spec.image: ";
  if (error.message.rfind(prefix, 0) == 0) error.message.erase(0, prefix.size());
  error.message = "spec.mlflow: the image of MLflow version " + sourced->version + " (" +
                  sourced->image + "): " + error.message;
  refuse(object, error);
  return kube::WorkResult::requeueAfter(
      nextRead(*model.spec.mlflow, model.metadata.ns + "/" + model.metadata.name));
}

kube::WorkResult Reconciler::unresolved(const api::MLModel& model, const core::Error& error) {
  const Json status = unresolvedStatus(model.status, model.metadata.generation, error,
                                       core::rfc3339(deps_.clock->wallNow()));
  if (status != model.status) {
    events_.emit(model, kube::EventType::kWarning, error.reason, "Resolve", error.message);
    if (auto w = status_.write(model, status, false); !w) {
      spdlog::warn("mlmodel {}/{}: status update failed: {}", model.metadata.ns,
                   model.metadata.name, w.error().message);
    }
  }
  return kube::WorkResult::retry();
}

SourcedVersion Reconciler::source(api::MLModel& model) {
  const auto& spec = *model.spec.mlflow;
  SourcedVersion s = resolveSource(model, *deps_.versions, core::rfc3339(deps_.clock->wallNow()));
  if (s.image.empty()) return s;
  model.spec.image = s.image;
  model.spec.version = s.version;
  if (!s.movedFrom.empty()) {
    events_.emit(model, kube::EventType::kNormal, "AliasMoved", "Resolve",
                 "alias " + spec.alias + " of " + spec.model + " moved from version " +
                     s.movedFrom + " to " + s.version + " (" + s.image + ")");
  }
  if (s.error) {
    // Once per cause: the condition carries it until MLflow answers again.
    const Json* conds = core::jsonFind(model.status, {"conditions"});
    const Json* before = conds ? findCondition(*conds, "VersionResolved") : nullptr;
    if (!before || core::jsonString(*before, {"reason"}) != s.error->reason) {
      events_.emit(model, kube::EventType::kWarning, s.error->reason, "Resolve",
                   s.error->message + "; version " + s.version + " keeps running");
    }
  }
  return s;
}

void Reconciler::recordRevisions(const api::MLModel& model, const rollout::RolloutStatus& rs,
                                 const rollout::Plan& plan, const rollout::Revision& target,
                                 const Observed& seen) {
  std::vector<RevisionRecord> records;
  // The outgoing stable's spec is read back from its Deployment: the first deployment of a
  // model stores no revision (it stays within five writes), so this is where it is kept.
  if (seen.stable.exists) {
    records.push_back(
        {rs.stable.revision.templateHash,
         audit::revisionSpecOfDeployment(*seen.stable.object, rs.stable.revision.image,
                                         rs.stable.revision.version)});
  }
  records.push_back({target.templateHash, audit::revisionSpec(model.spec)});
  std::set<std::string> keep{target.templateHash, plan.status.stable.revision.templateHash};
  if (plan.status.canary) keep.insert(plan.status.canary->revision.templateHash);
  for (const auto& e : plan.status.history) keep.insert(e.revision.templateHash);
  if (auto s = storeRevisions(*deps_.client, model, records, keep); !s) {
    // diff and rollback --to-revision fall back to the image and version history keeps.
    events_.emit(model, kube::EventType::kWarning, "RevisionNotRecorded", "Rollout",
                 "could not store the revision's spec: " + s.error().message);
  }
}

void Reconciler::writeBack(const api::MLModel& model, const rollout::RolloutStatus& rs,
                           SourcedVersion& sourced) {
  // Only outcomes of versions of the model the spec names now: a version number means
  // nothing in another registered model.
  const std::string& registered = model.spec.mlflow->model;
  auto newest = std::find_if(
      rs.history.rbegin(), rs.history.rend(),
      [&](const rollout::HistoryEntry& e) { return e.revision.mlflow.model == registered; });
  if (newest == rs.history.rend() || !sourced.status.is_object()) return;
  const std::string mark = reportedMark(*newest);
  if (core::jsonString(sourced.status, {"reported"}) == mark) return;
  auto r =
      deps_.versions->tag(model.metadata.ns, *model.spec.mlflow, newest->revision.mlflow.version,
                          writeBackKey(model), writeBackValue(*newest));
  if (!r) {
    // Not marked: the next reconcile tries again.
    events_.emit(model, kube::EventType::kWarning, "WriteBackFailed", "Resolve",
                 "could not tag MLflow version " + newest->revision.mlflow.version + ": " +
                     r.error().message);
    return;
  }
  sourced.status["reported"] = Json::string(mark);
}

rollout::PlanInput Reconciler::planInput(const Json& object, const api::MLModel& model,
                                         const api::RolloutSpec& ro, const api::MonitoringSpec& mon,
                                         const PinnedImage& image, const rollout::RolloutStatus& rs,
                                         const Observed& seen,
                                         const SourcedVersion* sourced) const {
  const Json stableDesired = desiredDeployment(model, image.run);
  rollout::PlanInput in;
  in.name = model.metadata.name;
  in.ns = model.metadata.ns;
  in.rollout = &ro;
  in.monitoring = &mon;
  in.target = {model.spec.version, model.spec.image, image.digest, templateHash(stableDesired)};
  if (sourced) in.target.mlflow = sourced->ref;
  // Worked out only when a rollout starts (the models' cache keeps a summary of
  // managedFields for it: kube::summarizeManagedFields).
  in.change = [&object, &model, &seen, &rs, sourced] {
    return changeRecord(&object, model, seen.stable.exists ? seen.stable.object.get() : nullptr,
                        rs.stable.revision, sourced);
  };
  in.targetResolvedAt = image.resolvedAt;
  in.gates.paused = ro.paused;
  in.gates.promote = annotation(model, api::kPromoteAnnotation);
  in.gates.abort = annotation(model, api::kAbortAnnotation);
  in.gates.retry = annotation(model, api::kRetryAnnotation);
  in.status = rs;
  in.stable = viewOf(seen.stable, stableDesired);
  in.canary = viewOf(seen.canary, desiredCanaryDeployment(model, image.run, 1));
  in.replicas = model.spec.replicas.value_or(in.stable.exists ? in.stable.desired : 1);
  in.historyLimit = model.spec.revisionHistoryLimit;
  in.now = deps_.clock->wallNow();
  return in;
}

Reconciler::Applied Reconciler::applyPlan(const api::MLModel& model, const api::RolloutSpec& ro,
                                          const PinnedImage& image, const rollout::Plan& plan,
                                          const Observed& seen) {
  Applied out;
  const std::string& name = model.metadata.name;
  const std::string& ns = model.metadata.ns;
  auto note = [&](const core::Result<bool>& r) {
    if (!r && !out.error) out.error = r.error();
    return r && r.value();
  };
  if (plan.stable) {
    const bool target =
        plan.stable->image == model.spec.image && plan.stable->version == model.spec.version;
    const Json desired =
        target ? desiredDeployment(model, image.run)
               : desiredDeployment(modelAt(model, *plan.stable), runImageOf(*plan.stable));
    out.stable = note(
        applier_.ensure(model, res::deployments, seen.stable.object, name, desired, "Deployment"));
  }
  const std::string canaryName = name + "-canary";
  if (plan.canaryReplicas) {
    note(applier_.ensure(model, res::deployments, seen.canary.object, canaryName,
                         desiredCanaryDeployment(model, image.run, *plan.canaryReplicas),
                         "Deployment"));
  } else if (seen.canary.exists) {
    if (auto r = applier_.removeDeployment(model, canaryName); !r && !out.error) {
      out.error = r.error();
    }
  }
  note(applier_.ensure(model, res::services, deps_.services->get(ns + "/" + name), name,
                       desiredService(model), "Service"));
  if (gatewayTraffic(ro)) {
    for (const char* track : {"stable", "canary"}) {
      const std::string svc = name + "-" + track;
      note(applier_.ensure(model, res::services, deps_.services->get(ns + "/" + svc), svc,
                           desiredTrackService(model, track), "Service"));
    }
    if (plan.routeCanaryWeight) {
      auto r = router_.route(model, ro.canary->traffic.httpRoute, *plan.routeCanaryWeight);
      if (!r && !out.error) out.error = r.error();
    }
  }
  return out;
}

void Reconciler::report(const api::MLModel& model, const rollout::Plan& plan, bool monitored) {
  for (const auto& e : plan.events) {
    events_.emit(model, e.warning ? kube::EventType::kWarning : kube::EventType::kNormal, e.reason,
                 "Rollout", e.message);
  }
  if (!deps_.metrics) return;
  const auto& ns = model.metadata.ns;
  const auto& name = model.metadata.name;
  for (const auto& m : plan.measured) deps_.metrics->measured(ns, name, plan.measuredTrack, m);
  deps_.metrics->rolloutState(
      ns, name, plan.status.canary ? plan.status.canary->weight : -1,
      monitored ? std::optional<bool>(plan.degraded.has_value()) : std::nullopt);
  for (const auto& outcome : plan.finished) deps_.metrics->rolloutFinished(ns, name, outcome);
}

}  // namespace mlmodel::controller
