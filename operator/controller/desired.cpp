#include "controller/desired.h"

#include <openssl/evp.h>

#include <optional>

namespace mlmodel::controller {
namespace {

Json str(const std::string& s) { return Json::string(s); }

Json selectorLabels(const api::MLModel& model) {
  Json l = Json::object();
  l[kModelLabel] = str(model.metadata.name);
  l[kTrackLabel] = str("stable");
  return l;
}

Json probe(const api::Probe& p) {
  Json out = Json::object();
  out["httpGet"]["path"] = str(p.path);
  out["httpGet"]["port"] = str("http");
  out["initialDelaySeconds"] = Json::number(p.initialDelaySeconds);
  out["periodSeconds"] = Json::number(p.periodSeconds);
  out["timeoutSeconds"] = Json::number(p.timeoutSeconds);
  out["failureThreshold"] = Json::number(p.failureThreshold);
  return out;
}

// Secure defaults that the user's spec.securityContext may override field by field.
Json containerSecurity(const api::MLModelSpec& spec) {
  Json sc = secureContainerDefaults();
  if (spec.securityContext.is_object()) {
    for (const auto& [k, v] : spec.securityContext.as_object()) sc[k] = v;
  }
  return sc;
}

Json container(const api::MLModel& model, const std::string& runImage) {
  const auto& spec = model.spec;
  Json c = Json::object();
  c["name"] = str(kContainerName);
  c["image"] = str(runImage);
  if (spec.command.is_array()) c["command"] = spec.command;
  if (spec.args.is_array()) c["args"] = spec.args;
  Json env = spec.env.is_array() ? spec.env : Json::array();
  // The server learns its own name and version without the user repeating them.
  Json name = Json::object();
  name["name"] = str("MODEL_NAME");
  name["value"] = str(model.metadata.name);
  Json version = Json::object();
  version["name"] = str("MODEL_VERSION");
  version["value"] = str(spec.version);
  env[env.size()] = name;
  env[env.size()] = version;
  c["env"] = env;
  Json port = Json::object();
  port["name"] = str("http");
  port["containerPort"] = Json::number(spec.port);
  port["protocol"] = str("TCP");
  c["ports"][0] = port;
  if (spec.resources.is_object()) c["resources"] = spec.resources;
  if (spec.readiness.enabled) c["readinessProbe"] = probe(spec.readiness);
  if (spec.liveness.enabled) c["livenessProbe"] = probe(spec.liveness);
  c["securityContext"] = containerSecurity(spec);
  return c;
}

}  // namespace

Json secureContainerDefaults() {
  return Json::parse(
      R"({"allowPrivilegeEscalation":false,"runAsNonRoot":true,
          "capabilities":{"drop":["ALL"]},"seccompProfile":{"type":"RuntimeDefault"}})");
}

Json standardLabels(const api::MLModel& model) {
  Json l = Json::object();
  l["app.kubernetes.io/name"] = str(model.metadata.name);
  l["app.kubernetes.io/instance"] = str(model.metadata.name);
  l["app.kubernetes.io/version"] = str(model.spec.version);
  l["app.kubernetes.io/component"] = str("model-server");
  l[kManagedBy] = str("mlmodel-operator");
  l[kModelLabel] = str(model.metadata.name);
  return l;
}

Json ownerReference(const api::MLModel& model) {
  Json o = Json::object();
  o["apiVersion"] = str(api::kApiVersion);
  o["kind"] = str(api::kKind);
  o["name"] = str(model.metadata.name);
  o["uid"] = str(model.metadata.uid);
  o["controller"] = Json::boolean(true);
  o["blockOwnerDeletion"] = Json::boolean(true);
  return o;
}

std::string serviceUrl(const api::MLModel& model) {
  return "http://" + model.metadata.name + "." + model.metadata.ns + ".svc.cluster.local";
}

static Json metadataFor(const api::MLModel& model, const std::string& name) {
  Json m = Json::object();
  m["name"] = str(name);
  m["namespace"] = str(model.metadata.ns);
  m["labels"] = standardLabels(model);
  m["ownerReferences"][0] = ownerReference(model);
  return m;
}

Json desiredDeployment(const api::MLModel& model, const std::string& runImage) {
  const auto& spec = model.spec;
  Json d = Json::object();
  d["apiVersion"] = str("apps/v1");
  d["kind"] = str("Deployment");
  d["metadata"] = metadataFor(model, model.metadata.name);
  Json s = Json::object();
  if (spec.replicas) s["replicas"] = Json::number(*spec.replicas);
  s["selector"]["matchLabels"] = selectorLabels(model);
  Json podLabels = standardLabels(model);
  podLabels[kTrackLabel] = str("stable");
  s["template"]["metadata"]["labels"] = podLabels;
  Json pod = Json::object();
  if (!spec.serviceAccountName.empty()) pod["serviceAccountName"] = str(spec.serviceAccountName);
  if (spec.imagePullSecrets.is_array()) pod["imagePullSecrets"] = spec.imagePullSecrets;
  if (spec.nodeSelector.is_object()) pod["nodeSelector"] = spec.nodeSelector;
  if (spec.tolerations.is_array()) pod["tolerations"] = spec.tolerations;
  if (spec.podSecurityContext.is_object()) pod["securityContext"] = spec.podSecurityContext;
  pod["containers"][0] = container(model, runImage);
  s["template"]["spec"] = pod;
  d["spec"] = s;
  return d;
}

Json desiredCanaryDeployment(const api::MLModel& model, const std::string& runImage, int replicas) {
  Json d = desiredDeployment(model, runImage);
  d["metadata"]["name"] = str(model.metadata.name + "-canary");
  d["spec"]["replicas"] = Json::number(replicas);
  d["spec"]["selector"]["matchLabels"][kTrackLabel] = str("canary");
  d["spec"]["template"]["metadata"]["labels"][kTrackLabel] = str("canary");
  return d;
}

std::string templateHash(const Json& deployment) {
  Json tmpl = deployment.at("spec").at("template");
  tmpl["metadata"]["labels"].erase(kTrackLabel);
  const std::string text = tmpl.serialize();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

Json desiredTrackService(const api::MLModel& model, const std::string& track) {
  Json svc = desiredService(model);
  svc["metadata"]["name"] = str(model.metadata.name + "-" + track);
  svc["spec"]["selector"][kTrackLabel] = str(track);
  return svc;
}

Json desiredService(const api::MLModel& model) {
  Json svc = Json::object();
  svc["apiVersion"] = str("v1");
  svc["kind"] = str("Service");
  svc["metadata"] = metadataFor(model, model.metadata.name);
  // A Service fronts every version (stable and canary): no version label to flip.
  svc["metadata"]["labels"].erase("app.kubernetes.io/version");
  Json port = Json::object();
  port["name"] = str("http");
  port["port"] = Json::number(80);
  port["targetPort"] = str("http");
  port["protocol"] = str("TCP");
  svc["spec"]["type"] = str("ClusterIP");
  svc["spec"]["ports"][0] = port;
  svc["spec"]["selector"][kModelLabel] = str(model.metadata.name);
  return svc;
}

static bool isZero(const Json& v) {
  return (v.is_number() && v.as_double() == 0) || (v.is_boolean() && !v.as_bool()) ||
         (v.is_string() && v.as_string().empty());
}

// nullopt when `actual` holds `desired`; otherwise the path below this level ("" when the
// difference is right here).
static std::optional<std::string> differenceAt(const Json& actual, const Json& desired) {
  auto join = [](std::string head, const std::string& tail) {
    if (!tail.empty() && tail[0] != '[') head.push_back('.');
    head.append(tail);
    return head;
  };
  if (desired.is_object()) {
    if (!actual.is_object()) return "";
    for (const auto& [k, v] : desired.as_object()) {
      // The API server drops zero values of omitempty fields (initialDelaySeconds: 0).
      if (!actual.has_field(k)) {
        if (isZero(v)) continue;
        return k;
      }
      if (auto sub = differenceAt(actual.at(k), v)) return join(k, *sub);
    }
    return std::nullopt;
  }
  if (desired.is_array()) {
    if (!actual.is_array() || actual.size() != desired.size()) return "";
    for (size_t i = 0; i < desired.size(); ++i) {
      if (auto sub = differenceAt(actual.at(i), desired.at(i))) {
        std::string index = "[";
        index.append(std::to_string(i)).push_back(']');
        return join(std::move(index), *sub);
      }
    }
    return std::nullopt;
  }
  if (actual == desired) return std::nullopt;
  return "";
}

std::string firstDifference(const Json& actual, const Json& desired) {
  auto d = differenceAt(actual, desired);
  if (!d) return "";
  return d->empty() ? "(the whole object)" : *d;
}

bool containsDesired(const Json& actual, const Json& desired) {
  return !differenceAt(actual, desired).has_value();
}

}  // namespace mlmodel::controller
