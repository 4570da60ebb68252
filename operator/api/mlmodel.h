#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>

#include "api/mlflow_spec.h"
#include "core/result.h"
#include "kube/resource.h"

namespace mlmodel::api {

using Json = web::json::value;

inline constexpr const char* kGroup = "serving.mlops.dev";
inline constexpr const char* kVersion = "v1alpha1";
inline constexpr const char* kApiVersion = "serving.mlops.dev/v1alpha1";
inline constexpr const char* kKind = "MLModel";
inline const kube::ResourceType mlmodels{kGroup, kVersion, "mlmodels", true};

// One HTTP probe of the model server.
struct Probe {
  std::string path;
  int initialDelaySeconds = 0;
  int periodSeconds = 10;
  int timeoutSeconds = 1;
  int failureThreshold = 3;
  bool enabled = true;
};

// spec of an MLModel (crds/serving.mlops.dev_mlmodels.yaml documents every field).
// Pod-level pass-through fields stay JSON: the API server validated their shape and the
// operator copies them into the pod template as they are.
struct MLModelSpec {
  std::string image;    // exactly one of image and mlflow
  std::string version;  // defaulted from the image tag; with mlflow, MLflow's version
  std::optional<MlflowSpec> mlflow;
  std::optional<int> replicas;
  int port = 8080;
  bool pinDigest = true;
  Json resources = Json::null();
  Json env = Json::null();
  Json args = Json::null();
  Json command = Json::null();
  Json nodeSelector = Json::null();
  Json tolerations = Json::null();
  Json imagePullSecrets = Json::null();
  std::string serviceAccountName;
  Probe readiness{"/v2/health/ready"};
  Probe liveness{"/v2/health/live", 10};
  Json securityContext = Json::null();
  Json podSecurityContext = Json::null();
  int revisionHistoryLimit = 10;
  Json rollout = Json::null();     // typed by the canary work
  Json monitoring = Json::null();  // typed by the canary work
};

struct ObjectMeta {
  std::string name;
  std::string ns;
  std::string uid;
  std::string resourceVersion;
  int64_t generation = 0;
  bool deleting = false;
  Json labels = Json::object();
  Json annotations = Json::object();
};

struct MLModel {
  ObjectMeta metadata;
  MLModelSpec spec;
  Json status = Json::object();  // as stored; the controller rebuilds it
};

// Decodes an MLModel. Unknown fields are ignored; a field of the wrong type is an Error
// naming it ("spec.port: expected an integer, got a string"), with reason InvalidSpec.
core::Result<MLModel> decodeMLModel(const Json& object);

// Fills what the schema cannot default: version from the image tag (or digest). A model
// from MLflow gets both once its version is resolved (controller/model_source.h).
void applyDefaults(MLModel& model);

// What the API server's schema cannot check. Errors name the field, reason InvalidSpec.
core::Status validate(const MLModel& model);

// The tag of an image reference ("" when it has none), and the reference without tag or
// digest ("registry:5000/models/fraud").
std::string imageTag(const std::string& image);
std::string imageRepository(const std::string& image);

}  // namespace mlmodel::api
