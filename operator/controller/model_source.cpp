#include "controller/model_source.h"

#include <algorithm>
#include <functional>

#include "core/json_read.h"
#include "core/time_format.h"
#include "registry/reference.h"

namespace mlmodel::controller {
namespace {

Json str(const std::string& s) { return Json::string(s); }

// status.mlflow as the last reconcile wrote it, if it is for the same model and selector.
struct Previous {
  std::string version, image, runId, source, resolvedAt, reported;
};

std::optional<Previous> previousFor(const api::MLModel& model) {
  const Json* p = core::jsonFind(model.status, {"mlflow"});
  if (!p || !p->is_object()) return std::nullopt;
  const auto& spec = *model.spec.mlflow;
  if (core::jsonString(*p, {"model"}) != spec.model ||
      core::jsonString(*p, {"alias"}) != spec.alias) {
    return std::nullopt;
  }
  Previous prev{core::jsonString(*p, {"version"}),    core::jsonString(*p, {"image"}),
                core::jsonString(*p, {"runId"}),      core::jsonString(*p, {"source"}),
                core::jsonString(*p, {"resolvedAt"}), core::jsonString(*p, {"reported"})};
  if (prev.image.empty() || (spec.alias.empty() && prev.version != spec.version)) {
    return std::nullopt;
  }
  return prev;
}

core::Result<std::string> imageOf(const api::MlflowSpec& spec, const mlflow::ModelVersion& v) {
  const std::string what = "version " + v.version + " of registered model " + spec.model;
  if (v.status != "READY") {
    // MLflow's own words only: a reply's text is never quoted.
    const bool known = v.status == "PENDING_REGISTRATION" || v.status == "FAILED_REGISTRATION";
    return core::Error{what + " is " + (known ? v.status + ", not READY" : "not READY") +
                           ": it cannot be deployed yet",
                       0, kReasonVersionNotReady};
  }
  const std::string image =
      spec.imageTemplate.empty() ? v.tag(spec.imageTag) : spec.templateImage(v.version);
  if (image.empty()) {
    return core::Error{what + " has no tag `" + spec.imageTag +
                           "` naming its image (set it in MLflow, or give spec.mlflow."
                           "imageTemplate)",
                       0, kReasonNoImage};
  }
  if (auto ref = registry::parseImageReference(image); !ref) {
    return core::Error{what + ": its " +
                           (spec.imageTemplate.empty() ? "tag `" + spec.imageTag + "`"
                                                       : std::string("imageTemplate")) +
                           " does not give an image reference such as "
                           "registry.example/models/fraud:7",
                       0, kReasonNoImage};
  }
  return image;
}

}  // namespace

std::string SourcedVersion::describe(const api::MlflowSpec& spec) const {
  if (!spec.alias.empty()) {
    return "alias " + spec.alias + " of " + spec.model + " is version " + version + " (" + image +
           ")";
  }
  return "version " + version + " of " + spec.model + " is " + image;
}

SourcedVersion resolveSource(const api::MLModel& model, VersionSource& source,
                             const std::string& now) {
  const auto& spec = *model.spec.mlflow;
  const auto prev = previousFor(model);
  SourcedVersion out;
  auto fallBack = [&](core::Error e) {
    out.error = std::move(e);
    if (!prev) return out;
    out.image = prev->image;
    out.version = prev->version;
    out.ref = {spec.model, spec.alias, prev->version, prev->runId, prev->source};
    out.status = model.status.at("mlflow");
    return out;
  };
  auto v = source.lookup(model.metadata.ns, spec);
  if (!v) return fallBack(v.error());
  auto image = imageOf(spec, v.value());
  if (!image) return fallBack(image.error());
  out.image = image.value();
  out.version = v->version;
  out.ref = {spec.model, spec.alias, v->version, v->runId, v->source};
  const bool same = prev && prev->version == v->version && prev->image == out.image;
  if (prev && !spec.alias.empty() && prev->version != v->version) out.movedFrom = prev->version;
  Json st = Json::object();
  st["model"] = str(spec.model);
  if (!spec.alias.empty()) st["alias"] = str(spec.alias);
  st["version"] = str(v->version);
  st["image"] = str(out.image);
  if (!v->runId.empty()) st["runId"] = str(v->runId);
  if (!v->source.empty()) st["source"] = str(v->source);
  // Only a change of version moves resolvedAt: re-reading the same answer writes nothing.
  st["resolvedAt"] = str(same && !prev->resolvedAt.empty() ? prev->resolvedAt : now);
  if (prev && !prev->reported.empty()) st["reported"] = str(prev->reported);
  out.status = st;
  return out;
}

core::Duration nextRead(const api::MlflowSpec& spec, const std::string& key) {
  const auto interval = std::chrono::duration_cast<core::Duration>(spec.interval);
  const auto spread = interval / 10;
  if (spread.count() <= 0) return interval;
  return interval +
         core::Duration(std::hash<std::string>{}(key) % static_cast<size_t>(spread.count()));
}

core::Duration retryRead(const api::MlflowSpec& spec) {
  return std::min<core::Duration>(std::chrono::duration_cast<core::Duration>(spec.interval),
                                  std::chrono::seconds(30));
}

std::string writeBackKey(const api::MLModel& model) {
  return "serving.mlops.dev/" + model.metadata.ns + "/" + model.metadata.name;
}

std::string writeBackValue(const rollout::HistoryEntry& e) {
  std::string v = e.outcome + " at " + core::rfc3339(e.finishedAt);
  if (!e.reason.empty() && e.reason != e.outcome) v += " (" + e.reason + ")";
  if (!e.message.empty()) v += ": " + e.message;
  // MLflow keeps tag values up to 5000 characters (8000 in newer stores).
  size_t n = 4000;
  if (v.size() > n) {
    while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;  // UTF-8 boundary
    v.resize(n);
  }
  return v;
}

std::string reportedMark(const rollout::HistoryEntry& e) {
  return e.revision.version + "/" + e.outcome + "/" + core::rfc3339(e.finishedAt);
}

}  // namespace mlmodel::controller
