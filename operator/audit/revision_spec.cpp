#include "audit/revision_spec.h"

#include "controller/desired.h"
#include "core/json_read.h"

namespace mlmodel::audit {
namespace {

void putString(Json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = Json::string(value);
}

void putArray(Json& out, const char* key, const Json* value) {
  if (value && value->is_array() && value->size() > 0) out[key] = *value;
}

void putObject(Json& out, const char* key, const Json* value) {
  if (value && value->is_object() && value->size() > 0) out[key] = *value;
}

const Json* modelServer(const Json& pod) {
  const Json* containers = core::jsonFind(pod, {"containers"});
  if (!containers || !containers->is_array()) return nullptr;
  for (const Json& c : containers->as_array()) {
    if (core::jsonString(c, {"name"}) == controller::kContainerName) return &c;
  }
  return nullptr;
}

// The user's env: desiredDeployment appends MODEL_NAME and MODEL_VERSION after it.
Json userEnv(const Json* env) {
  if (!env || !env->is_array()) return Json::null();
  size_t n = env->size();
  if (n >= 2 && core::jsonString(env->at(n - 2), {"name"}) == "MODEL_NAME" &&
      core::jsonString(env->at(n - 1), {"name"}) == "MODEL_VERSION") {
    n -= 2;
  }
  Json out = Json::array();
  for (size_t i = 0; i < n; ++i) {
    Json e = env->at(i);
    // The API server fills in fieldRef.apiVersion "v1" where the spec left it out: the
    // spec's own form has none, so a revision read back must not either.
    if (e.is_object() && e.has_object_field("valueFrom") &&
        e.at("valueFrom").has_object_field("fieldRef")) {
      auto& ref = e["valueFrom"]["fieldRef"];
      if (core::jsonString(ref, {"apiVersion"}) == "v1") ref.erase("apiVersion");
    }
    out[i] = e;
  }
  return out;
}

// The user's securityContext: desiredDeployment lays it over the secure defaults.
Json userContainerSecurity(const Json* sc) {
  if (!sc || !sc->is_object()) return Json::null();
  const Json defaults = controller::secureContainerDefaults();
  Json out = Json::object();
  for (const auto& [k, v] : sc->as_object()) {
    if (!defaults.has_field(k) || defaults.at(k) != v) out[k] = v;
  }
  return out;
}

// `wanted` as a merge patch over `current`: keys only `current`'s objects hold are nulled.
Json replacing(const Json& current, const Json& wanted) {
  if (!current.is_object() || !wanted.is_object()) return wanted;
  Json out = wanted;
  for (const auto& [k, v] : current.as_object()) {
    out[k] = wanted.has_field(k) ? replacing(v, wanted.at(k)) : Json::null();
  }
  return out;
}

}  // namespace

Json revisionSpec(const api::MLModelSpec& spec) {
  Json out = Json::object();
  putString(out, "image", spec.image);
  putString(out, "version", spec.version);
  putArray(out, "env", &spec.env);
  putObject(out, "resources", &spec.resources);
  putArray(out, "args", &spec.args);
  putArray(out, "command", &spec.command);
  putObject(out, "nodeSelector", &spec.nodeSelector);
  putArray(out, "tolerations", &spec.tolerations);
  putArray(out, "imagePullSecrets", &spec.imagePullSecrets);
  putString(out, "serviceAccountName", spec.serviceAccountName);
  putObject(out, "securityContext", &spec.securityContext);
  putObject(out, "podSecurityContext", &spec.podSecurityContext);
  return out;
}

Json revisionSpecOfDeployment(const Json& deployment, const std::string& image,
                              const std::string& version) {
  Json out = Json::object();
  putString(out, "image", image);
  putString(out, "version", version);
  const Json* pod = core::jsonFind(deployment, {"spec", "template", "spec"});
  if (!pod) return out;
  if (const Json* c = modelServer(*pod)) {
    const Json env = userEnv(core::jsonFind(*c, {"env"}));
    putArray(out, "env", &env);
    putObject(out, "resources", core::jsonFind(*c, {"resources"}));
    putArray(out, "args", core::jsonFind(*c, {"args"}));
    putArray(out, "command", core::jsonFind(*c, {"command"}));
    const Json sc = userContainerSecurity(core::jsonFind(*c, {"securityContext"}));
    putObject(out, "securityContext", &sc);
  }
  putObject(out, "nodeSelector", core::jsonFind(*pod, {"nodeSelector"}));
  putArray(out, "tolerations", core::jsonFind(*pod, {"tolerations"}));
  putArray(out, "imagePullSecrets", core::jsonFind(*pod, {"imagePullSecrets"}));
  putString(out, "serviceAccountName", core::jsonString(*pod, {"serviceAccountName"}));
  putObject(out, "podSecurityContext", core::jsonFind(*pod, {"securityContext"}));
  return out;
}

Json rollbackSpecPatch(const Json& revision, const Json& currentSpec) {
  Json spec = Json::object();
  for (const char* key : kRevisionFields) {
    const Json* wanted = core::jsonFind(revision, {key});
    const Json* current = core::jsonFind(currentSpec, {key});
    if (!wanted || wanted->is_null()) {
      spec[key] = Json::null();
    } else {
      spec[key] = current ? replacing(*current, *wanted) : *wanted;
    }
  }
  Json patch = Json::object();
  patch["spec"] = spec;
  return patch;
}

}  // namespace mlmodel::audit
