#pragma once

#include <string>

#include "api/mlmodel.h"
#include "api/rollout.h"
#include "core/allowed_urls.h"
#include "core/result.h"
#include "registry/allowed_registries.h"

namespace mlmodel::controller {

// Reasons a model is refused by the administrator's policy (its Ready and Stalled
// conditions and the Warning Event carry them).
inline constexpr const char* kReasonPrometheusNotAllowed = "PrometheusNotAllowed";
inline constexpr const char* kReasonPrometheusMissing = "PrometheusMissing";
inline constexpr const char* kReasonInsecureCredentials = "InsecureCredentials";
inline constexpr const char* kReasonRegistryNotAllowed = "RegistryNotAllowed";
inline constexpr const char* kReasonMlflowNotAllowed = "ModelRegistryNotAllowed";
inline constexpr const char* kReasonMlflowMissing = "ModelRegistryMissing";

// What an administrator decides, through the operator's flags, about the requests a tenant
// can make the operator send: whoever creates an MLModel chooses its image and its
// Prometheus, and the operator reaches them from its own network position, with credentials
// from the model's namespace.
struct TrustPolicy {
  // Prometheus servers models may name (--prometheus-allowed-prefixes); empty: any.
  core::AllowedUrls prometheus{};
  // The Prometheus of every model that names none (--prometheus-default-address); always
  // allowed. "": models with metrics must name one.
  std::string defaultPrometheus{};
  // Registries images may come from (--allowed-registries); empty: any.
  registry::AllowedRegistries registries{};
  // MLflow servers models may name (--mlflow-allowed-prefixes); empty: any.
  core::AllowedUrls mlflow{};
  // The MLflow of every model whose spec.mlflow names no address (--mlflow-default-address).
  std::string defaultMlflow{};
};

// Checks a decoded model against the policy before anything is applied, and fills in the
// default Prometheus where the spec names none. Errors name the field and carry one of the
// reasons above:
//   - an image from a registry not allowed (RegistryNotAllowed);
//   - metrics without a Prometheus and no default (PrometheusMissing);
//   - a Prometheus outside the allowed prefixes (PrometheusNotAllowed);
//   - credentials (authSecretRef) for a plain-http Prometheus (InsecureCredentials):
//     a token or password must never cross the network in clear.
core::Status admit(const TrustPolicy& policy, const api::MLModelSpec& spec,
                   api::RolloutSpec& rollout, api::MonitoringSpec& monitoring);

// Checks spec.mlflow before the operator sends MLflow anything, and fills in the default
// address: an address outside the allowed prefixes (ModelRegistryNotAllowed), none and no
// default (ModelRegistryMissing), credentials for plain http (InsecureCredentials).
core::Status admitMlflow(const TrustPolicy& policy, api::MlflowSpec& mlflow);

}  // namespace mlmodel::controller
