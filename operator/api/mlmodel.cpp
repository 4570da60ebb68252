#include "api/mlmodel.h"

#include "api/json_fields.h"

namespace mlmodel::api {
namespace {

using core::Error;

// Sets `out` from an optional field when present; returns the error otherwise.
#define MLMODEL_READ(expr, out)          \
  do {                                   \
    auto r_ = (expr);                    \
    if (!r_) return r_.error();          \
    if (r_.value()) (out) = *r_.value(); \
  } while (0)

core::Status decodeProbe(const Json& spec, const char* field, const std::string& path,
                         Probe& probe) {
  JsonFields f(spec, path);
  auto obj = f.object(field);
  if (!obj) return obj.error();
  if (!obj.value()) return core::Ok{};
  JsonFields p(*obj.value(), f.pathOf(field));
  MLMODEL_READ(p.string("path"), probe.path);
  MLMODEL_READ(p.integer("initialDelaySeconds"), probe.initialDelaySeconds);
  MLMODEL_READ(p.integer("periodSeconds"), probe.periodSeconds);
  MLMODEL_READ(p.integer("timeoutSeconds"), probe.timeoutSeconds);
  MLMODEL_READ(p.integer("failureThreshold"), probe.failureThreshold);
  MLMODEL_READ(p.boolean("enabled"), probe.enabled);
  return core::Ok{};
}

core::Status decodeMeta(const Json& object, ObjectMeta& meta) {
  JsonFields top(object, "");
  auto m = top.object("metadata");
  if (!m) return m.error();
  if (!m.value()) return Error{"metadata: missing", 0, "InvalidSpec"};
  JsonFields f(*m.value(), "metadata");
  MLMODEL_READ(f.string("name"), meta.name);
  MLMODEL_READ(f.string("namespace"), meta.ns);
  MLMODEL_READ(f.string("uid"), meta.uid);
  MLMODEL_READ(f.string("resourceVersion"), meta.resourceVersion);
  MLMODEL_READ(f.integer("generation"), meta.generation);
  MLMODEL_READ(f.object("labels"), meta.labels);
  MLMODEL_READ(f.object("annotations"), meta.annotations);
  std::string deletion;
  MLMODEL_READ(f.string("deletionTimestamp"), deletion);
  meta.deleting = !deletion.empty();
  return core::Ok{};
}

core::Status decodeSpec(const Json& specJson, MLModelSpec& spec) {
  JsonFields f(specJson, "spec");
  MLMODEL_READ(f.string("image"), spec.image);
  MLMODEL_READ(f.string("version"), spec.version);
  auto replicas = f.integer("replicas");
  if (!replicas) return replicas.error();
  if (replicas.value()) spec.replicas = static_cast<int>(*replicas.value());
  MLMODEL_READ(f.integer("port"), spec.port);
  MLMODEL_READ(f.boolean("pinDigest"), spec.pinDigest);
  MLMODEL_READ(f.object("resources"), spec.resources);
  MLMODEL_READ(f.array("env"), spec.env);
  MLMODEL_READ(f.array("args"), spec.args);
  MLMODEL_READ(f.array("command"), spec.command);
  MLMODEL_READ(f.object("nodeSelector"), spec.nodeSelector);
  MLMODEL_READ(f.array("tolerations"), spec.tolerations);
  MLMODEL_READ(f.array("imagePullSecrets"), spec.imagePullSecrets);
  MLMODEL_READ(f.string("serviceAccountName"), spec.serviceAccountName);
  MLMODEL_READ(f.object("securityContext"), spec.securityContext);
  MLMODEL_READ(f.object("podSecurityContext"), spec.podSecurityContext);
  MLMODEL_READ(f.integer("revisionHistoryLimit"), spec.revisionHistoryLimit);
  MLMODEL_READ(f.object("rollout"), spec.rollout);
  MLMODEL_READ(f.object("monitoring"), spec.monitoring);
  MLMODEL_READ(decodeMlflow(f), spec.mlflow);
  if (spec.mlflow && !spec.image.empty()) {
    return Error{"spec: set exactly one of image and mlflow", 0, "InvalidSpec"};
  }
  if (spec.mlflow && !spec.version.empty()) {
    return Error{"spec.version: leave it out with spec.mlflow (the version is MLflow's)", 0,
                 "InvalidSpec"};
  }
  auto probes = f.object("probes");
  if (!probes) return probes.error();
  if (probes.value()) {
    if (auto s = decodeProbe(*probes.value(), "readiness", "spec.probes", spec.readiness); !s) {
      return s;
    }
    if (auto s = decodeProbe(*probes.value(), "liveness", "spec.probes", spec.liveness); !s) {
      return s;
    }
  }
  return core::Ok{};
}

#undef MLMODEL_READ

}  // namespace

core::Result<MLModel> decodeMLModel(const Json& object) {
  MLModel model;
  if (!object.is_object()) return Error{"MLModel: expected an object", 0, "InvalidSpec"};
  if (auto s = decodeMeta(object, model.metadata); !s) return s.error();
  if (object.has_field("spec")) {
    if (!object.at("spec").is_object()) {
      return Error{"spec: expected an object, got " + describeType(object.at("spec")), 0,
                   "InvalidSpec"};
    }
    if (auto s = decodeSpec(object.at("spec"), model.spec); !s) return s.error();
  }
  if (object.has_object_field("status")) model.status = object.at("status");
  return model;
}

std::string imageRepository(const std::string& image) {
  std::string ref = image.substr(0, image.find('@'));
  const auto slash = ref.rfind('/');
  const auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref = ref.substr(0, colon);
  }
  return ref;
}

std::string imageTag(const std::string& image) {
  const std::string ref = image.substr(0, image.find('@'));
  const auto slash = ref.rfind('/');
  const auto colon = ref.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "";
  return ref.substr(colon + 1);
}

void applyDefaults(MLModel& model) {
  auto& spec = model.spec;
  if (spec.version.empty() && !spec.image.empty()) {
    spec.version = imageTag(spec.image);
    const auto at = spec.image.find("@sha256:");
    if (spec.version.empty() && at != std::string::npos) {
      spec.version = spec.image.substr(at + 8, 12);  // a short digest names the version
    }
    if (spec.version.empty()) spec.version = "latest";
  }
}

core::Status validate(const MLModel& model) {
  const auto& spec = model.spec;
  if (spec.image.empty()) {
    return Error{spec.mlflow ? "spec.mlflow: no image resolved" : "spec.image: required", 0,
                 "InvalidSpec"};
  }
  if (spec.port < 1 || spec.port > 65535) {
    return Error{"spec.port: must be within 1..65535, got " + std::to_string(spec.port), 0,
                 "InvalidSpec"};
  }
  if (spec.replicas && *spec.replicas < 0) {
    return Error{"spec.replicas: must not be negative", 0, "InvalidSpec"};
  }
  // A version becomes a label value: at most 63 characters of [A-Za-z0-9._-].
  if (spec.version.size() > 63) {
    return Error{"spec.version: at most 63 characters (it becomes a label value)", 0,
                 "InvalidSpec"};
  }
  for (char c : spec.version) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return Error{"spec.version: \"" + spec.version +
                       "\" may contain only letters, digits, '.', '-' and '_' (it becomes a "
                       "label value)",
                   0, "InvalidSpec"};
    }
  }
  return core::Ok{};
}

}  // namespace mlmodel::api
