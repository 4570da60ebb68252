#include "server/event_filters.h"

#include "api/mlmodel.h"

namespace mlmodel::server {
namespace {

const kube::Json* metadataField(const kube::Json& o, const char* field) {
  if (!o.is_object() || !o.has_object_field("metadata")) return nullptr;
  const auto& m = o.at("metadata");
  return m.has_field(field) ? &m.at(field) : nullptr;
}

}  // namespace

std::optional<std::string> ownerKey(const kube::Json& o) {
  const auto* refs = metadataField(o, "ownerReferences");
  const auto* ns = metadataField(o, "namespace");
  if (!refs || !refs->is_array()) return std::nullopt;
  for (const auto& ref : refs->as_array()) {
    if (ref.has_string_field("kind") && ref.at("kind").as_string() == api::kKind &&
        ref.has_string_field("apiVersion") &&
        ref.at("apiVersion").as_string().rfind(std::string(api::kGroup) + "/", 0) == 0 &&
        ref.has_string_field("name")) {
      return (ns && ns->is_string() ? ns->as_string() : std::string()) + "/" +
             ref.at("name").as_string();
    }
  }
  return std::nullopt;
}

bool specOrMetaChanged(const kube::Json& a, const kube::Json& b) {
  for (const char* f : {"generation", "annotations", "labels", "deletionTimestamp"}) {
    const auto* x = metadataField(a, f);
    const auto* y = metadataField(b, f);
    if ((x == nullptr) != (y == nullptr) || (x && *x != *y)) return true;
  }
  return false;
}

}  // namespace mlmodel::server
