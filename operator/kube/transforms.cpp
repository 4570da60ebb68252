#include "kube/transforms.h"

#include <initializer_list>

namespace mlmodel::kube {
namespace {

// Copies the named fields of `from` that exist into a new object.
Json pick(const Json& from, std::initializer_list<const char*> fields) {
  Json out = Json::object();
  if (!from.is_object()) return out;
  for (const char* f : fields) {
    if (from.has_field(f)) out[f] = from.at(f);
  }
  return out;
}

// Annotations under our own prefix are the only ones a controller of ours reads.
Json ourAnnotations(const Json& meta) {
  Json out = Json::object();
  if (!meta.has_object_field("annotations")) return out;
  for (const auto& [k, v] : meta.at("annotations").as_object()) {
    if (k.rfind("serving.mlops.dev/", 0) == 0) out[k] = v;
  }
  return out;
}

}  // namespace

static Json project(Json d, bool wholeSpec) {
  Json out = Json::object();
  out["apiVersion"] = Json::string("apps/v1");
  out["kind"] = Json::string("Deployment");
  if (d.has_object_field("metadata")) {
    const auto& meta = d.at("metadata");
    auto m = pick(meta, {"name", "namespace", "uid", "resourceVersion", "generation", "labels",
                         "ownerReferences", "deletionTimestamp"});
    auto ann = ourAnnotations(meta);
    if (ann.size() > 0) m["annotations"] = ann;
    out["metadata"] = m;
  }
  if (d.has_object_field("spec")) {
    out["spec"] = wholeSpec ? d.at("spec") : pick(d.at("spec"), {"replicas", "paused"});
  }
  if (d.has_object_field("status")) {
    auto st = pick(d.at("status"), {"observedGeneration", "replicas", "readyReplicas",
                                    "availableReplicas", "updatedReplicas", "unavailableReplicas"});
    if (d.at("status").has_array_field("conditions")) {
      Json conds = Json::array();
      size_t i = 0;
      for (const auto& c : d.at("status").at("conditions").as_array()) {
        conds[i++] = pick(c, {"type", "status", "reason", "message"});
      }
      st["conditions"] = conds;
    }
    out["status"] = st;
  }
  return out;
}

Json projectDeployment(Json d) { return project(std::move(d), false); }

Json projectDeploymentWithSpec(Json d) { return project(std::move(d), true); }

}  // namespace mlmodel::kube
