#include "controller/reconciler.h"

#include <spdlog/spdlog.h>

#include "controller/conditions.h"
#include "controller/desired.h"
#include "core/time_format.h"
#include "kube/api_error.h"

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
  std::string availableStatus = "Unknown";
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

}  // namespace

void Reconciler::event(const api::MLModel& model, kube::EventType type, const char* reason,
                       const char* action, const std::string& note) {
  if (deps_.events) deps_.events->emit(refOf(model), type, reason, action, note);
}

kube::WorkResult Reconciler::reconcile(const std::string& key) {
  auto obj = deps_.models->get(key);
  if (!obj) return kube::WorkResult::success();  // deleted: owned objects go with it (GC)
  auto decoded = api::decodeMLModel(*obj);
  if (!decoded) return invalid(*obj, decoded.error());
  api::MLModel model = std::move(decoded.value());
  if (model.metadata.deleting) return kube::WorkResult::success();
  api::applyDefaults(model);
  if (auto v = api::validate(model); !v) return invalid(*obj, v.error());

  const Image image = resolveImage(model);
  std::optional<core::Error> applyError;
  bool applied = false;
  if (image.error) {
    // Leave whatever runs untouched: a registry outage must not take a model down.
    event(model, kube::EventType::kWarning, "ImageResolutionFailed", "Resolve",
          image.error->message);
  } else {
    if (image.fresh && !image.digest.empty()) {
      event(model, kube::EventType::kNormal, "ImageResolved", "Resolve",
            model.spec.image + " resolved to " + image.digest);
    }
    auto dep = ensure(model, res::deployments, *deps_.deployments,
                      desiredDeployment(model, image.run), "Deployment");
    if (!dep) {
      applyError = dep.error();
    } else {
      applied = dep.value();
      auto svc = ensure(model, res::services, *deps_.services, desiredService(model), "Service");
      if (!svc) applyError = svc.error();
    }
  }

  const auto status = buildStatus(model, image, deps_.deployments->get(key), applied, applyError);
  if (auto w = writeStatus(model, status); !w) {
    spdlog::warn("mlmodel {}: status update failed: {}", key, w.error().message);
    return kube::WorkResult::retry();
  }
  if (image.error || applyError) return kube::WorkResult::retry();
  return kube::WorkResult::success();
}

kube::WorkResult Reconciler::invalid(const Json& object, const core::Error& error) {
  // Whatever slipped past the schema: say so in status and an Event, and wait for a new
  // spec rather than retrying (the next edit enqueues the model again).
  api::MLModel model;
  model.metadata.name = stringAt(object, {"metadata", "name"});
  model.metadata.ns = stringAt(object, {"metadata", "namespace"});
  model.metadata.uid = stringAt(object, {"metadata", "uid"});
  model.metadata.generation = intAt(object, {"metadata", "generation"});
  if (object.has_object_field("status")) model.status = object.at("status");
  const auto now = core::rfc3339(deps_.clock->wallNow());
  Json status = model.status.is_object() ? model.status : Json::object();
  status["observedGeneration"] = Json::number(model.metadata.generation);
  status["phase"] = Json::string("Failed");
  const Json prev = status.has_array_field("conditions") ? status.at("conditions") : Json::array();
  status["conditions"] = buildConditions(prev,
                                         {{"Ready", "False", "InvalidSpec", error.message},
                                          {"Stalled", "True", "InvalidSpec", error.message}},
                                         model.metadata.generation, now);
  if (status != model.status) {
    event(model, kube::EventType::kWarning, "InvalidSpec", "Validate", error.message);
    if (auto w = writeStatus(model, status); !w) return kube::WorkResult::retry();
  }
  return kube::WorkResult::success();
}

Reconciler::Image Reconciler::resolveImage(const api::MLModel& model) {
  Image img;
  const auto& spec = model.spec;
  if (!spec.pinDigest || spec.image.find("@sha256:") != std::string::npos) {
    img.run = spec.image;
    return img;
  }
  // Resolve once per image reference; the digest in status keeps deployments
  // reproducible across restarts without asking the registry again.
  const Json& stable =
      model.status.has_object_field("stable") ? model.status.at("stable") : Json::object();
  if (stringAt(stable, {"image"}) == spec.image && !stringAt(stable, {"digest"}).empty()) {
    img.digest = stringAt(stable, {"digest"});
    img.resolvedAt = stringAt(stable, {"resolvedAt"});
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

core::Result<bool> Reconciler::ensure(const api::MLModel& model, const kube::ResourceType& type,
                                      const kube::ObjectReader& cache, const Json& desired,
                                      const char* kind) {
  const std::string key = model.metadata.ns + "/" + model.metadata.name;
  auto actual = cache.get(key);
  // Items of a LIST carry no apiVersion and kind: compare what lies below them.
  Json owned = desired;
  owned.erase("apiVersion");
  owned.erase("kind");
  if (actual) {
    const auto diff = firstDifference(*actual, owned);
    if (diff.empty()) return false;
    spdlog::debug("mlmodel {}: {} differs at {}", key, kind, diff);
  }
  kube::ApplyOptions opts{kFieldManager, true};
  auto r = deps_.client->apply(type, model.metadata.ns, model.metadata.name, desired, opts);
  if (!r) {
    event(model, kube::EventType::kWarning, "ApplyFailed", "Apply",
          std::string(kind) + " " + model.metadata.name + ": " + r.error().message);
    return r.error();
  }
  const std::string what = std::string(kind) + " " + model.metadata.name;
  if (!actual) {
    event(model, kube::EventType::kNormal, (std::string(kind) + "Created").c_str(), "Apply",
          "created " + what);
  } else {
    event(model, kube::EventType::kNormal, (std::string(kind) + "Updated").c_str(), "Apply",
          "updated " + what + " to match the MLModel (fields it owns had changed)");
  }
  return true;
}

Json Reconciler::buildStatus(const api::MLModel& model, const Image& image,
                             const kube::ObjectPtr& dep, bool applied,
                             const std::optional<core::Error>& applyError) const {
  const auto now = core::rfc3339(deps_.clock->wallNow());
  const Json& prev = model.status;
  Rollout ro = rolloutOf(dep);
  if (applied) ro.done = false;  // the change has yet to roll out
  Json st = Json::object();
  st["observedGeneration"] = Json::number(model.metadata.generation);
  st["url"] = Json::string(serviceUrl(model));
  st["replicas"] = Json::number(ro.replicas);
  st["readyReplicas"] = Json::number(ro.ready);
  st["selector"] = Json::string(std::string(kModelLabel) + "=" + model.metadata.name);

  // What runs: kept from before while a new image cannot be resolved.
  Json stable = prev.has_object_field("stable") ? prev.at("stable") : Json::object();
  if (!image.error) {
    const bool changed = stringAt(stable, {"image"}) != model.spec.image ||
                         stringAt(stable, {"digest"}) != image.digest ||
                         stringAt(stable, {"version"}) != model.spec.version;
    stable["version"] = Json::string(model.spec.version);
    stable["image"] = Json::string(model.spec.image);
    if (!image.digest.empty()) {
      stable["digest"] = Json::string(image.digest);
      stable["resolvedAt"] = Json::string(image.resolvedAt);
    } else if (stable.has_field("digest")) {
      stable.erase("digest");
      stable.erase("resolvedAt");
    }
    if (changed || !stable.has_field("since")) stable["since"] = Json::string(now);
  }
  if (stable.size() > 0) st["stable"] = stable;

  std::vector<Condition> conds;
  std::string phase;
  const bool pinned = model.spec.pinDigest;
  if (image.error) {
    const auto& e = *image.error;
    conds.push_back(
        {"ImageResolved", "False", e.reason.empty() ? "ResolveFailed" : e.reason, e.message});
  } else if (pinned) {
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
  if (image.error && needsUser(*image.error)) {
    stalled = Condition{"Stalled", "True", image.error->reason, image.error->message};
  } else if (image.error) {
    reconciling =
        Condition{"Reconciling", "True", image.error->reason, image.error->message + " (retrying)"};
  } else if (applyError) {
    reconciling = Condition{"Reconciling", "True", "ApplyFailed", applyError->message};
  } else if (ro.deadlineExceeded) {
    stalled = Condition{"Stalled", "True", "ProgressDeadlineExceeded",
                        "Deployment " + model.metadata.name +
                            " did not become available within its progress deadline"};
  } else if (!ro.done) {
    reconciling =
        Condition{"Reconciling", "True", ro.exists ? "RollingOut" : "Creating",
                  std::to_string(ro.ready) + " of " +
                      std::to_string(model.spec.replicas.value_or(static_cast<int>(ro.replicas))) +
                      " replicas ready"};
  }
  const bool ready = !stalled && !reconciling && ro.done;
  if (ready) {
    conds.insert(conds.begin(),
                 {"Ready", "True", "Available",
                  "version " + model.spec.version + " is serving at " + serviceUrl(model)});
    phase = "Ready";
  } else {
    const auto& why = stalled ? *stalled : *reconciling;
    conds.insert(conds.begin(), {"Ready", "False", why.reason, why.message});
    phase = stalled ? "Failed" : (ro.exists ? "Progressing" : "Pending");
  }
  if (reconciling) conds.push_back(*reconciling);
  if (stalled) conds.push_back(*stalled);
  st["phase"] = Json::string(phase);
  const Json prevConds = prev.has_array_field("conditions") ? prev.at("conditions") : Json::array();
  st["conditions"] = buildConditions(prevConds, conds, model.metadata.generation, now);
  return st;
}

core::Status Reconciler::writeStatus(const api::MLModel& model, const Json& status) {
  if (status == model.status) return core::Ok{};
  const Json prevConds =
      model.status.has_array_field("conditions") ? model.status.at("conditions") : Json::array();
  const Json* prevReady = findCondition(prevConds, "Ready");
  const Json* nowReady = findCondition(status.at("conditions"), "Ready");
  // A merge patch of the whole status, with null for what is gone.
  Json patch = Json::object();
  Json st = status;
  if (model.status.is_object()) {
    for (const auto& [k, _] : model.status.as_object()) {
      if (!status.has_field(k)) st[k] = Json::null();
    }
  }
  patch["status"] = st;
  auto r = deps_.client->patch(api::mlmodels, model.metadata.ns, model.metadata.name,
                               kube::PatchType::Merge, patch, "status");
  if (!r) return r.error();
  const bool wasReady = prevReady && stringAt(*prevReady, {"status"}) == "True";
  const bool isReady = nowReady && stringAt(*nowReady, {"status"}) == "True";
  if (isReady && !wasReady) {
    event(model, kube::EventType::kNormal, "ModelReady", "Reconcile",
          stringAt(*nowReady, {"message"}));
  }
  return core::Ok{};
}

}  // namespace mlmodel::controller
