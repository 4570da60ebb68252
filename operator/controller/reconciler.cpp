#include "controller/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "controller/conditions.h"
#include "controller/desired.h"
#include "core/time_format.h"
#include "kube/api_error.h"
#include "rollout/gateway_route.h"

namespace mlmodel::controller {
namespace {

namespace res = kube::resources;

kube::ObjectReference refOf(const api::MLModel& m) {
  kube::ObjectReference r;
  r.apiVersion = api::kApiVersion;
  r.kind = api::kKind;
  r.ns = m.metadata.ns;
  r.name = m.metadata.name;
  r.uid = m.metadata.uid;
  r.resourceVersion = m.metadata.resourceVersion;
  return r;
}

std::string stringAt(const Json& v, std::initializer_list<const char*> path) {
  const Json* cur = &v;
  for (const char* p : path) {
    if (!cur->is_object() || !cur->has_field(p)) return "";
    cur = &cur->at(p);
  }
  return cur->is_string() ? cur->as_string() : "";
}

int64_t intAt(const Json& v, std::initializer_list<const char*> path, int64_t fallback = 0) {
  const Json* cur = &v;
  for (const char* p : path) {
    if (!cur->is_object() || !cur->has_field(p)) return fallback;
    cur = &cur->at(p);
  }
  return cur->is_number() ? cur->as_number().to_int64() : fallback;
}

// Registry answers that only a person can fix (a wrong tag or credentials) stall the
// model; an unreachable registry is retried while the model keeps reconciling.
bool needsUser(const core::Error& e) { return e.reason != "RegistryUnavailable"; }

// How the owned Deployment stands, in kstatus terms.
struct Rollout {
  bool exists = false;
  bool done = false;
  bool deadlineExceeded = false;
  int64_t replicas = 0, ready = 0, available = 0;
  std::string availableStatus = "False";  // until the Deployment says otherwise
};

Rollout rolloutOf(const kube::ObjectPtr& dep) {
  Rollout r;
  if (!dep) return r;
  const Json& d = *dep;
  r.exists = true;
  const int64_t want = intAt(d, {"spec", "replicas"}, 1);
  r.replicas = intAt(d, {"status", "replicas"});
  r.ready = intAt(d, {"status", "readyReplicas"});
  r.available = intAt(d, {"status", "availableReplicas"});
  const int64_t updated = intAt(d, {"status", "updatedReplicas"});
  const bool observed =
      intAt(d, {"status", "observedGeneration"}) >= intAt(d, {"metadata", "generation"});
  r.done = observed && updated == want && r.available == want && r.replicas == want;
  if (d.has_object_field("status")) {
    const Json conds = d.at("status").has_array_field("conditions")
                           ? d.at("status").at("conditions")
                           : Json::array();
    if (const Json* p = findCondition(conds, "Progressing")) {
      r.deadlineExceeded = stringAt(*p, {"reason"}) == "ProgressDeadlineExceeded";
    }
    if (const Json* a = findCondition(conds, "Available")) {
      r.availableStatus = stringAt(*a, {"status"});
    }
  }
  return r;
}

// `to`, with null for each field of `from` that `to` lacks, so that a JSON merge patch
// of `from` yields exactly `to`.
Json mergePatchTo(const Json& from, const Json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  Json out = to;
  for (const auto& [k, v] : from.as_object()) {
    if (!to.has_field(k)) {
      out[k] = Json::null();
    } else if (v.is_object() && to.at(k).is_object()) {
      out[k] = mergePatchTo(v, to.at(k));
    }
  }
  return out;
}

}  // namespace

// The status without what counts progress: replicas, readyReplicas and the conditions'
// messages (which quote the counts).
static Json withoutCounts(const Json& status) {
  if (!status.is_object()) return status;
  Json s = status;
  for (const char* f : {"replicas", "readyReplicas"}) {
    if (s.has_field(f)) s.erase(f);  // cpprest's erase throws for a missing key
  }
  if (s.has_array_field("conditions")) {
    for (auto& c : s.at("conditions").as_array()) {
      if (c.has_field("message")) c.erase("message");
    }
  }
  return s;
}

std::optional<core::Duration> Reconciler::progressWait(const std::string& key, const Json& prev,
                                                       const Json& next) {
  if (next == prev || withoutCounts(next) != withoutCounts(prev)) return std::nullopt;
  std::lock_guard<std::mutex> lock(writesMu_);
  auto it = writtenFrom_.find(key);
  if (it == writtenFrom_.end()) return std::nullopt;
  const auto since = deps_.clock->steadyNow() - it->second.at;
  if (since >= kProgressEvery) return std::nullopt;
  return std::chrono::duration_cast<core::Duration>(kProgressEvery - since);
}

// A model with no stable revision in status yet (its first reconcile) gets one Event for its
// first deployment, ModelReady, rather than one for each step on the way (the image
// resolved, the Deployment and the Service created): at thousands of models applied at
// once, those were half of all writes. Should it never become Ready, the Stalled condition
// comes with a Warning Event (writeStatus).
static bool deployedBefore(const api::MLModel& model) {
  return model.status.is_object() && model.status.has_object_field("stable");
}

void Reconciler::event(const api::MLModel& model, kube::EventType type, const char* reason,
                       const char* action, const std::string& note) {
  if (deps_.events) deps_.events->emit(refOf(model), type, reason, action, note);
}

kube::WorkResult Reconciler::reconcile(const std::string& key) {
  auto obj = deps_.models->get(key);
  if (!obj) {
    {
      std::lock_guard<std::mutex> lock(writesMu_);
      writtenFrom_.erase(key);
    }
    std::lock_guard<std::mutex> lock(podsMu_);
    podWatch_.erase(key);
    return kube::WorkResult::success();  // deleted: owned objects go with it (GC)
  }
  auto decoded = api::decodeMLModel(*obj);
  if (!decoded) return invalid(*obj, decoded.error());
  api::MLModel model = std::move(decoded.value());
  if (model.metadata.deleting) return kube::WorkResult::success();
  api::applyDefaults(model);
  if (auto v = api::validate(model); !v) return invalid(*obj, v.error());
  auto ro = api::decodeRollout(model.spec.rollout);
  if (!ro) return invalid(*obj, ro.error());
  auto mon = api::decodeMonitoring(model.spec.monitoring);
  if (!mon) return invalid(*obj, mon.error());
  static const TrustPolicy kOpen;
  if (auto a = admit(deps_.policy ? *deps_.policy : kOpen, model.spec, ro.value(), mon.value());
      !a) {
    return invalid(*obj, a.error());
  }
  {
    std::lock_guard<std::mutex> lock(writesMu_);
    auto it = writtenFrom_.find(key);
    if (it != writtenFrom_.end() && it->second.from == model.metadata.resourceVersion) {
      // Our last status write has not reached the cache yet: wait for it.
      return kube::WorkResult::requeueAfter(std::chrono::milliseconds(250));
    }
  }

  const auto rs = rollout::decodeRolloutStatus(model.status);
  const Image image = resolveImage(model, rs);
  std::optional<rollout::Plan> plan;
  Applied applied;
  if (image.error) {
    // Leave whatever runs untouched: a registry outage must not take a model down.
    event(model, kube::EventType::kWarning, "ImageResolutionFailed", "Resolve",
          image.error->message);
  } else {
    if (image.fresh && !image.digest.empty() && deployedBefore(model)) {
      event(model, kube::EventType::kNormal, "ImageResolved", "Resolve",
            model.spec.image + " resolved to " + image.digest);
    }
    const auto in = planInput(model, ro.value(), mon.value(), image, rs);
    plan = deps_.rounds ? rollout::planRollout(in, *deps_.rounds)
                        : rollout::planRollout(in, *deps_.providers);
    applied = applyPlan(model, ro.value(), image, *plan);
    if (!applied.error) report(model, *plan, mon.value().enabled);
  }

  // A plan that could not be applied is not stored: the next attempt plans again.
  const rollout::Plan* stored = plan && !applied.error ? &*plan : nullptr;
  const PodCheck pods =
      image.error || applied.error ? PodCheck{} : checkPods(model, applied.stable);
  const auto status = buildStatus(model, image, stored, applied, pods.problem);
  bool warned = image.error.has_value() || applied.error.has_value();
  if (plan) {
    for (const auto& e : plan->events) warned = warned || e.warning;
  }
  // Failures keep their own retry backoff (their messages change between attempts and are
  // written as they come); a plan's own revisit (a pause ending, an analysis round) is never
  // put off by a held progress write.
  const bool failed = image.error || applied.error;
  std::optional<core::Duration> revisit = stored ? stored->requeueAfter : std::nullopt;
  if (pods.recheck) revisit = std::min(revisit.value_or(*pods.recheck), *pods.recheck);
  if (auto wait = failed ? std::nullopt : progressWait(key, model.status, status)) {
    if (revisit) wait = std::min<core::Duration>(*wait, *revisit);
    return kube::WorkResult::requeueAfter(*wait);
  }
  if (auto w = writeStatus(model, status, !warned); !w) {
    spdlog::warn("mlmodel {}: status update failed: {}", key, w.error().message);
    return kube::WorkResult::retry();
  }
  if (pods.problem) {
    const Json prevConds =
        model.status.has_array_field("conditions") ? model.status.at("conditions") : Json::array();
    const Json* before = findCondition(prevConds, "Reconciling");
    if (!before || stringAt(*before, {"reason"}) != pods.problem->reason) {
      event(model, kube::EventType::kWarning, pods.problem->reason.c_str(), "Reconcile",
            describe(*pods.problem));
    }
  }
  if (failed) return kube::WorkResult::retry();
  if (revisit) return kube::WorkResult::requeueAfter(*revisit);
  return kube::WorkResult::success();
}

kube::WorkResult Reconciler::invalid(const Json& object, const core::Error& error) {
  // Whatever slipped past the schema: say so in status and an Event, and wait for a new
  // spec rather than retrying (the next edit enqueues the model again).
  // A refusal by the administrator's policy keeps its own reason (RegistryNotAllowed, ...).
  const std::string reason = error.reason.empty() ? "InvalidSpec" : error.reason;
  api::MLModel model;
  model.metadata.name = stringAt(object, {"metadata", "name"});
  model.metadata.ns = stringAt(object, {"metadata", "namespace"});
  model.metadata.uid = stringAt(object, {"metadata", "uid"});
  // The status patch is conditional on it (an empty one is refused as "must be specified").
  model.metadata.resourceVersion = stringAt(object, {"metadata", "resourceVersion"});
  model.metadata.generation = intAt(object, {"metadata", "generation"});
  if (object.has_object_field("status")) model.status = object.at("status");
  const auto now = core::rfc3339(deps_.clock->wallNow());
  Json status = model.status.is_object() ? model.status : Json::object();
  status["observedGeneration"] = Json::number(model.metadata.generation);
  status["phase"] = Json::string("Failed");
  const Json prev = status.has_array_field("conditions") ? status.at("conditions") : Json::array();
  status["conditions"] = buildConditions(
      prev, {{"Ready", "False", reason, error.message}, {"Stalled", "True", reason, error.message}},
      model.metadata.generation, now);
  if (status != model.status) {
    event(model, kube::EventType::kWarning, reason.c_str(), "Validate", error.message);
    if (auto w = writeStatus(model, status); !w) {
      spdlog::warn("mlmodel {}/{}: status update failed: {}", model.metadata.ns,
                   model.metadata.name, w.error().message);
      return kube::WorkResult::retry();
    }
  }
  return kube::WorkResult::success();
}

Reconciler::Image Reconciler::resolveImage(const api::MLModel& model,
                                           const rollout::RolloutStatus& rs) {
  Image img;
  const auto& spec = model.spec;
  if (const auto at = spec.image.find("@sha256:"); at != std::string::npos) {
    // Pinned by its author: nothing to resolve, and status still records which digest ran.
    img.run = spec.image;
    img.digest = spec.image.substr(at + 1);
    return img;
  }
  if (!spec.pinDigest) {
    img.run = spec.image;
    return img;
  }
  // Resolve once per image reference; the digest in status (stable, or the canary being
  // rolled out) keeps deployments reproducible without asking the registry again.
  const rollout::Revision* known = nullptr;
  if (rs.stable.revision.image == spec.image && !rs.stable.revision.digest.empty()) {
    known = &rs.stable.revision;
    img.resolvedAt = rs.stable.resolvedAt;
  } else if (rs.canary && rs.canary->revision.image == spec.image &&
             !rs.canary->revision.digest.empty()) {
    known = &rs.canary->revision;
    img.resolvedAt = core::rfc3339(rs.canary->startedAt);
  }
  if (known) {
    img.digest = known->digest;
  } else {
    auto r = deps_.resolver->resolve(spec.image, model.metadata.ns, spec.imagePullSecrets);
    if (!r) {
      img.error = r.error();
      return img;
    }
    img.digest = r.value();
    img.resolvedAt = core::rfc3339(deps_.clock->wallNow());
    img.fresh = true;
  }
  img.run = api::imageRepository(spec.image) + "@" + img.digest;
  return img;
}

namespace {

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

Json ownedPart(Json desired) {
  desired.erase("apiVersion");
  desired.erase("kind");
  return desired;
}

rollout::DeploymentView viewOf(const kube::ObjectPtr& dep, const Json& desired) {
  rollout::DeploymentView v;
  if (!dep) return v;
  const Rollout r = rolloutOf(dep);
  Json owned = ownedPart(desired);
  // Replicas are the Deployment's own when the model leaves them unset (an HPA, kubectl
  // scale): then desired has none, and cpprest's erase throws for a missing key.
  if (owned.has_object_field("spec") && owned.at("spec").has_field("replicas")) {
    owned["spec"].erase("replicas");
  }
  v.exists = true;
  v.current = containsDesired(*dep, owned);
  v.done = r.done;
  v.desired = static_cast<int>(intAt(*dep, {"spec", "replicas"}, 1));
  v.ready = static_cast<int>(r.ready);
  v.available = static_cast<int>(r.available);
  return v;
}

std::string annotation(const api::MLModel& m, const char* name) {
  const Json& a = m.metadata.annotations;
  return a.is_object() && a.has_string_field(name) ? a.at(name).as_string() : "";
}

bool gatewayTraffic(const api::RolloutSpec& ro) {
  return ro.canary && ro.canary->traffic.kind == api::TrafficSpec::Kind::GatewayAPI;
}

}  // namespace

rollout::PlanInput Reconciler::planInput(const api::MLModel& model, const api::RolloutSpec& ro,
                                         const api::MonitoringSpec& mon, const Image& image,
                                         const rollout::RolloutStatus& rs) const {
  const std::string key = model.metadata.ns + "/" + model.metadata.name;
  const Json stableDesired = desiredDeployment(model, image.run);
  rollout::PlanInput in;
  in.name = model.metadata.name;
  in.ns = model.metadata.ns;
  in.rollout = &ro;
  in.monitoring = &mon;
  in.target = {model.spec.version, model.spec.image, image.digest, templateHash(stableDesired)};
  in.targetResolvedAt = image.resolvedAt;
  in.gates.paused = ro.paused;
  in.gates.promote = annotation(model, api::kPromoteAnnotation);
  in.gates.abort = annotation(model, api::kAbortAnnotation);
  in.gates.retry = annotation(model, api::kRetryAnnotation);
  in.status = rs;
  in.stable = viewOf(deps_.deployments->get(key), stableDesired);
  in.canary =
      viewOf(deps_.deployments->get(key + "-canary"), desiredCanaryDeployment(model, image.run, 1));
  in.replicas = model.spec.replicas.value_or(in.stable.exists ? in.stable.desired : 1);
  in.historyLimit = model.spec.revisionHistoryLimit;
  in.now = deps_.clock->wallNow();
  return in;
}

Reconciler::Applied Reconciler::applyPlan(const api::MLModel& model, const api::RolloutSpec& ro,
                                          const Image& image, const rollout::Plan& plan) {
  Applied out;
  const std::string& name = model.metadata.name;
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
    out.stable =
        note(ensure(model, res::deployments, *deps_.deployments, name, desired, "Deployment"));
  }
  const std::string canaryName = name + "-canary";
  if (plan.canaryReplicas) {
    note(ensure(model, res::deployments, *deps_.deployments, canaryName,
                desiredCanaryDeployment(model, image.run, *plan.canaryReplicas), "Deployment"));
  } else if (deps_.deployments->get(model.metadata.ns + "/" + canaryName)) {
    kube::DeleteOptions opts;
    opts.propagationPolicy = "Background";
    auto r = deps_.client->remove(res::deployments, model.metadata.ns, canaryName, opts);
    if (!r && r.error().code != 404) {
      if (!out.error) out.error = r.error();
    } else if (r) {
      event(model, kube::EventType::kNormal, "CanaryDeleted", "Delete",
            "deleted Deployment " + canaryName);
    }
  }
  note(ensure(model, res::services, *deps_.services, name, desiredService(model), "Service"));
  if (gatewayTraffic(ro)) {
    for (const char* track : {"stable", "canary"}) {
      note(ensure(model, res::services, *deps_.services, name + "-" + track,
                  desiredTrackService(model, track), "Service"));
    }
    if (plan.routeCanaryWeight) {
      auto r = setRouteWeight(model, ro.canary->traffic.httpRoute, *plan.routeCanaryWeight);
      if (!r && !out.error) out.error = r.error();
    }
  }
  return out;
}

core::Status Reconciler::setRouteWeight(const api::MLModel& model, const std::string& route,
                                        int canary) {
  const std::string& ns = model.metadata.ns;
  const std::string stableSvc = model.metadata.name + "-stable";
  const std::string canarySvc = model.metadata.name + "-canary";
  auto current = deps_.client->get(rollout::httpRoutes, ns, route);
  if (!current) {
    core::Error e = current.error();
    e.message = "HTTPRoute " + ns + "/" + route + ": " + e.message;
    event(model, kube::EventType::kWarning, "RouteUpdateFailed", "Route", e.message);
    return e;
  }
  const auto w = rollout::currentWeights(current.value(), stableSvc, canarySvc);
  if (w.canary == canary && w.stable == 100 - canary) return core::Ok{};
  auto body = rollout::routeWeightsApply(current.value(), stableSvc, canarySvc, canary);
  if (!body) {
    event(model, kube::EventType::kWarning, "RouteInvalid", "Route", body.error().message);
    return body.error();
  }
  auto r = deps_.client->apply(rollout::httpRoutes, ns, route, body.value(),
                               kube::ApplyOptions{kFieldManager, true});
  if (!r) {
    event(model, kube::EventType::kWarning, "RouteUpdateFailed", "Route",
          "HTTPRoute " + ns + "/" + route + ": " + r.error().message);
    return r.error();
  }
  event(model, kube::EventType::kNormal, "TrafficShifted", "Route",
        "HTTPRoute " + route + ": " + stableSvc + " " + std::to_string(100 - canary) + "%, " +
            canarySvc + " " + std::to_string(canary) + "%");
  return core::Ok{};
}

void Reconciler::report(const api::MLModel& model, const rollout::Plan& plan, bool monitored) {
  for (const auto& e : plan.events) {
    event(model, e.warning ? kube::EventType::kWarning : kube::EventType::kNormal, e.reason.c_str(),
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

core::Result<bool> Reconciler::ensure(const api::MLModel& model, const kube::ResourceType& type,
                                      const kube::ObjectReader& cache, const std::string& name,
                                      const Json& desired, const char* kind) {
  const std::string key = model.metadata.ns + "/" + name;
  auto actual = cache.get(key);
  // Items of a LIST carry no apiVersion and kind: compare what lies below them.
  const Json owned = ownedPart(desired);
  if (actual) {
    const auto diff = firstDifference(*actual, owned);
    if (diff.empty()) return false;
    spdlog::debug("mlmodel {}: {} {} differs at {}", key, kind, name, diff);
  }
  kube::ApplyOptions opts{kFieldManager, true};
  auto r = deps_.client->apply(type, model.metadata.ns, name, desired, opts);
  const std::string what = std::string(kind) + " " + name;
  if (!r) {
    event(model, kube::EventType::kWarning, "ApplyFailed", "Apply",
          what + ": " + r.error().message);
    return r.error();
  }
  if (!actual) {
    if (deployedBefore(model))
      event(model, kube::EventType::kNormal, (std::string(kind) + "Created").c_str(), "Apply",
            "created " + what);
  } else {
    event(model, kube::EventType::kNormal, (std::string(kind) + "Updated").c_str(), "Apply",
          "updated " + what + " to match the MLModel");
  }
  return true;
}

Reconciler::PodCheck Reconciler::checkPods(const api::MLModel& model, bool justApplied) {
  const std::string key = model.metadata.ns + "/" + model.metadata.name;
  const Rollout ro = rolloutOf(deps_.deployments->get(key));
  const auto now = deps_.clock->steadyNow();
  {
    std::lock_guard<std::mutex> lock(podsMu_);
    if (!deps_.pods || !ro.exists || ro.done || justApplied) {
      podWatch_.erase(key);
      return {};
    }
    auto [it, added] = podWatch_.try_emplace(key);
    PodWatch& w = it->second;
    if (added) w.notReadySince = now;
    if (now - w.notReadySince < kPodCheckAfter) {
      return {w.last,
              std::chrono::duration_cast<core::Duration>(kPodCheckAfter - (now - w.notReadySince))};
    }
    if (w.checkedAt && now - *w.checkedAt < kPodCheckEvery) {
      return {w.last,
              std::chrono::duration_cast<core::Duration>(kPodCheckEvery - (now - *w.checkedAt))};
    }
  }
  auto listed =
      deps_.pods->list(model.metadata.ns, std::string(kModelLabel) + "=" + model.metadata.name);
  std::lock_guard<std::mutex> lock(podsMu_);
  PodWatch& w = podWatch_[key];
  w.checkedAt = now;
  if (listed) {
    w.last = findPodProblem(listed.value());
  } else {
    spdlog::debug("mlmodel {}: listing its pods failed: {}", key, listed.error().message);
  }
  return {w.last, kPodCheckEvery};
}

Json Reconciler::buildStatus(const api::MLModel& model, const Image& image,
                             const rollout::Plan* plan, const Applied& applied,
                             const std::optional<PodProblem>& pods) const {
  const auto now = core::rfc3339(deps_.clock->wallNow());
  const std::string key = model.metadata.ns + "/" + model.metadata.name;
  const Json& prev = model.status;
  Rollout ro = rolloutOf(deps_.deployments->get(key));
  const Rollout canary = rolloutOf(deps_.deployments->get(key + "-canary"));
  if (applied.stable) {
    // The change has yet to roll out; a Deployment created just now exists, though the
    // cache has not seen it (saying "missing" would be stale at once, and the next pass,
    // finding it with no status yet, would have to write again).
    ro.done = false;
    ro.exists = true;
  }
  Json st = Json::object();
  st["observedGeneration"] = Json::number(model.metadata.generation);
  st["url"] = Json::string(serviceUrl(model));
  st["replicas"] = Json::number(ro.replicas + canary.replicas);
  st["readyReplicas"] = Json::number(ro.ready + canary.ready);
  st["selector"] = Json::string(std::string(kModelLabel) + "=" + model.metadata.name);
  if (plan) {
    rollout::encodeRolloutStatus(plan->status, st);
  } else {
    for (const char* f : {"stable", "canary", "history", "lastRetry", "monitoring"}) {
      if (prev.is_object() && prev.has_field(f)) st[f] = prev.at(f);
    }
  }

  std::vector<Condition> conds;
  if (image.error) {
    const auto& e = *image.error;
    conds.push_back(
        {"ImageResolved", "False", e.reason.empty() ? "ResolveFailed" : e.reason, e.message});
  } else if (model.spec.pinDigest) {
    conds.push_back(
        {"ImageResolved", "True", "Resolved",
         model.spec.image + " is " + (image.digest.empty() ? model.spec.image : image.digest)});
  }
  conds.push_back({"Available", ro.exists ? ro.availableStatus : "False",
                   ro.exists ? "Deployment" : "DeploymentMissing",
                   std::to_string(ro.available) + " of " + std::to_string(ro.replicas) +
                       " replicas available"});
  std::optional<Condition> stalled;
  std::optional<Condition> reconciling;
  std::optional<Condition> degraded;
  if (plan && plan->degraded) {
    degraded = Condition{"Degraded", "True", plan->degraded->reason, plan->degraded->message};
  }
  if (image.error && needsUser(*image.error)) {
    stalled = Condition{"Stalled", "True", image.error->reason, image.error->message};
  } else if (image.error) {
    reconciling =
        Condition{"Reconciling", "True", image.error->reason, image.error->message + " (retrying)"};
  } else if (applied.error) {
    reconciling = Condition{"Reconciling", "True", "ApplyFailed", applied.error->message};
  } else if (plan && plan->stalled) {
    stalled = Condition{"Stalled", "True", plan->stalled->reason, plan->stalled->message};
  } else if (plan && plan->reconciling) {
    reconciling =
        Condition{"Reconciling", "True", plan->reconciling->reason, plan->reconciling->message};
  } else if (ro.deadlineExceeded) {
    stalled = Condition{"Stalled", "True", "ProgressDeadlineExceeded",
                        "Deployment " + model.metadata.name +
                            " did not become available within its progress deadline"};
  } else if (!ro.done && pods) {
    reconciling = Condition{"Reconciling", "True", pods->reason, describe(*pods)};
  } else if (!ro.done) {
    reconciling =
        Condition{"Reconciling", "True", ro.exists ? "RollingOut" : "Creating",
                  std::to_string(ro.ready) + " of " +
                      std::to_string(model.spec.replicas.value_or(static_cast<int>(ro.replicas))) +
                      " replicas ready"};
  }
  std::string phase;
  if (!stalled && !reconciling && !degraded && ro.done) {
    conds.insert(conds.begin(),
                 {"Ready", "True", "Available",
                  "version " + model.spec.version + " is serving at " + serviceUrl(model)});
    phase = "Ready";
  } else {
    const auto& why = stalled       ? *stalled
                      : reconciling ? *reconciling
                      : degraded
                          ? *degraded
                          : Condition{"Ready", "False", "RollingOut", "waiting for the Deployment"};
    conds.insert(conds.begin(), {"Ready", "False", why.reason, why.message});
    phase = stalled                    ? "Failed"
            : degraded && !reconciling ? "Degraded"
                                       : (ro.exists ? "Progressing" : "Pending");
  }
  if (reconciling) conds.push_back(*reconciling);
  if (stalled) conds.push_back(*stalled);
  if (degraded) conds.push_back(*degraded);
  st["phase"] = Json::string(phase);
  const Json prevConds = prev.has_array_field("conditions") ? prev.at("conditions") : Json::array();
  st["conditions"] = buildConditions(prevConds, conds, model.metadata.generation, now);
  return st;
}

core::Status Reconciler::writeStatus(const api::MLModel& model, const Json& status,
                                     bool warnOnStall) {
  if (status == model.status) return core::Ok{};
  const Json prevConds =
      model.status.has_array_field("conditions") ? model.status.at("conditions") : Json::array();
  const Json* prevReady = findCondition(prevConds, "Ready");
  const Json* nowReady = findCondition(status.at("conditions"), "Ready");
  // A merge patch of the whole status, with null for every field that is gone (at any
  // depth: a merge patch keeps nested fields it does not mention); the resourceVersion
  // makes it fail (409) if the model changed since the cache showed it.
  Json patch = Json::object();
  patch["metadata"]["resourceVersion"] = Json::string(model.metadata.resourceVersion);
  patch["status"] = mergePatchTo(model.status, status);
  auto r = deps_.client->patch(api::mlmodels, model.metadata.ns, model.metadata.name,
                               kube::PatchType::Merge, patch, "status");
  if (!r) return r.error();
  {
    std::lock_guard<std::mutex> lock(writesMu_);
    writtenFrom_[model.metadata.ns + "/" + model.metadata.name] = {model.metadata.resourceVersion,
                                                                   deps_.clock->steadyNow()};
  }
  const bool wasReady = prevReady && stringAt(*prevReady, {"status"}) == "True";
  const bool isReady = nowReady && stringAt(*nowReady, {"status"}) == "True";
  if (isReady && !wasReady) {
    event(model, kube::EventType::kNormal, "ModelReady", "Reconcile",
          stringAt(*nowReady, {"message"}));
  }
  const Json* prevStalled = findCondition(prevConds, "Stalled");
  const Json* nowStalled = findCondition(status.at("conditions"), "Stalled");
  if (warnOnStall && nowStalled &&
      (!prevStalled || stringAt(*prevStalled, {"reason"}) != stringAt(*nowStalled, {"reason"}))) {
    const auto reason = stringAt(*nowStalled, {"reason"});
    event(model, kube::EventType::kWarning, reason.c_str(), "Reconcile",
          stringAt(*nowStalled, {"message"}));
  }
  return core::Ok{};
}

}  // namespace mlmodel::controller
