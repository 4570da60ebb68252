#include "kube/transforms.h"

#include <initializer_list>

namespace mlmodel::kube {
namespace {

// Moves the named fields of `from` that exist into a new object (moved, not copied: a
// transform owns the object it is given, and copying a tree costs an allocation a node).
// Move-assigned: cpprest's move assignment swaps, leaving `from` valid.
Json pick(Json& from, std::initializer_list<const char*> fields) {
  Json out = Json::object();
  if (!from.is_object()) return out;
  for (const char* f : fields) {
    if (from.has_field(f)) out[f] = std::move(from.at(f));
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
    auto& meta = d.at("metadata");
    auto ann = ourAnnotations(meta);
    auto m = pick(meta, {"name", "namespace", "uid", "resourceVersion", "generation", "labels",
                         "ownerReferences", "deletionTimestamp"});
    if (ann.size() > 0) m["annotations"] = ann;
    out["metadata"] = std::move(m);
  }
  if (d.has_object_field("spec")) {
    // Move-assigned (cpprest swaps), never move-constructed: that would leave a value
    // inside `d` whose every later use crashes.
    if (wholeSpec) {
      out["spec"] = std::move(d.at("spec"));
    } else {
      out["spec"] = pick(d.at("spec"), {"replicas", "paused"});
    }
  }
  if (d.has_object_field("status")) {
    auto& status = d.at("status");
    auto st = pick(status, {"observedGeneration", "replicas", "readyReplicas", "availableReplicas",
                            "updatedReplicas", "unavailableReplicas"});
    if (status.has_array_field("conditions")) {
      Json conds = Json::array();
      size_t i = 0;
      for (auto& c : status.at("conditions").as_array()) {
        conds[i++] = pick(c, {"type", "status", "reason", "message"});
      }
      st["conditions"] = std::move(conds);
    }
    out["status"] = std::move(st);
  }
  return out;
}

Json projectDeployment(Json d) { return project(std::move(d), false); }

Json projectDeploymentWithSpec(Json d) { return project(std::move(d), true); }

Json summarizeManagedFields(Json object) {
  if (!object.has_object_field("metadata")) return object;
  auto& meta = object.at("metadata");
  if (meta.has_object_field("annotations")) {
    auto& ann = meta.at("annotations");
    const char* lastApplied = "kubectl.kubernetes.io/last-applied-configuration";
    if (ann.has_field(lastApplied)) ann.erase(lastApplied);
  }
  if (!meta.has_field("managedFields")) return object;
  Json kept = Json::array();
  size_t n = 0;
  if (meta.at("managedFields").is_array()) {
    for (auto& e : meta.at("managedFields").as_array()) {
      if (!e.is_object() || e.has_field("subresource") || !e.has_object_field("fieldsV1") ||
          !e.at("fieldsV1").has_field("f:spec")) {
        continue;
      }
      Json entry = pick(e, {"manager", "operation", "time"});
      entry["fieldsV1"] = Json::object();
      entry["fieldsV1"]["f:spec"] = Json::object();
      kept[n++] = std::move(entry);
    }
  }
  if (n == 0) {
    meta.erase("managedFields");
  } else {
    meta["managedFields"] = std::move(kept);
  }
  return object;
}

}  // namespace mlmodel::kube
