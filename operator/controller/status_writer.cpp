#include "controller/status_writer.h"

#include "controller/conditions.h"
#include "core/json_read.h"

namespace mlmodel::controller {
namespace {

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

// The status without what counts progress: replicas, readyReplicas and the conditions'
// messages (which quote the counts).
Json withoutCounts(const Json& status) {
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

}  // namespace

core::Status StatusWriter::write(const api::MLModel& model, const Json& status, bool warnOnStall) {
  if (status == model.status) return core::Ok{};
  const Json noConditions = Json::array();
  const Json* prevConds = core::jsonFind(model.status, {"conditions"});
  if (!prevConds) prevConds = &noConditions;
  const Json* prevReady = findCondition(*prevConds, "Ready");
  const Json* nowReady = findCondition(status.at("conditions"), "Ready");
  // A merge patch of the whole status, with null for every field that is gone (at any
  // depth: a merge patch keeps nested fields it does not mention); the resourceVersion
  // makes it fail (409) if the model changed since the cache showed it.
  Json patch = Json::object();
  patch["metadata"]["resourceVersion"] = Json::string(model.metadata.resourceVersion);
  patch["status"] = mergePatchTo(model.status, status);
  auto r = client_.patch(api::mlmodels, model.metadata.ns, model.metadata.name,
                         kube::PatchType::Merge, patch, "status", kube::Reply::Discard);
  if (!r) return r.error();
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_[model.metadata.ns + "/" + model.metadata.name] = {model.metadata.resourceVersion,
                                                            clock_.steadyNow()};
  }
  const bool wasReady = prevReady && core::jsonString(*prevReady, {"status"}) == "True";
  const bool isReady = nowReady && core::jsonString(*nowReady, {"status"}) == "True";
  if (isReady && !wasReady) {
    events_.emit(model, kube::EventType::kNormal, "ModelReady", "Reconcile",
                 core::jsonString(*nowReady, {"message"}));
  }
  const Json* prevStalled = findCondition(*prevConds, "Stalled");
  const Json* nowStalled = findCondition(status.at("conditions"), "Stalled");
  if (warnOnStall && nowStalled &&
      (!prevStalled ||
       core::jsonString(*prevStalled, {"reason"}) != core::jsonString(*nowStalled, {"reason"}))) {
    events_.emit(model, kube::EventType::kWarning, core::jsonString(*nowStalled, {"reason"}),
                 "Reconcile", core::jsonString(*nowStalled, {"message"}));
  }
  return core::Ok{};
}

bool StatusWriter::ownWritePending(const std::string& key, const std::string& resourceVersion) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_.find(key);
  return it != last_.end() && it->second.from == resourceVersion;
}

std::optional<core::Duration> StatusWriter::progressWait(const std::string& key, const Json& prev,
                                                         const Json& next) {
  if (next == prev || withoutCounts(next) != withoutCounts(prev)) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_.find(key);
  if (it == last_.end()) return std::nullopt;
  const auto since = clock_.steadyNow() - it->second.at;
  if (since >= kProgressEvery) return std::nullopt;
  return std::chrono::duration_cast<core::Duration>(kProgressEvery - since);
}

void StatusWriter::forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  last_.erase(key);
}

}  // namespace mlmodel::controller
