#include "controller/trust_policy.h"

#include "core/encoding.h"

namespace mlmodel::controller {
namespace {

core::Status admitImage(const TrustPolicy& policy, const std::string& image) {
  if (!policy.registries.restricts()) return core::Ok{};
  const auto ref = registry::parseImageReference(image);
  if (!ref) return core::Error{"spec.image: " + ref.error().message, 0, "InvalidSpec"};
  if (policy.registries.allows(ref.value())) return core::Ok{};
  return core::Error{"spec.image: " + ref.value().name() +
                         " is not in a registry this operator may pull from (allowed: " +
                         policy.registries.describe() + "); ask your cluster administrator",
                     0, kReasonRegistryNotAllowed};
}

// `ref` is where the metrics of `path` are read: nullopt with metrics takes the default.
core::Status admitPrometheus(const TrustPolicy& policy, const std::string& path, bool hasMetrics,
                             std::optional<api::PrometheusRef>& ref) {
  if (!ref) {
    if (!hasMetrics) return core::Ok{};
    if (policy.defaultPrometheus.empty()) {
      return core::Error{path +
                             ": required when metrics are given (this operator has no default "
                             "Prometheus: --prometheus-default-address)",
                         0, kReasonPrometheusMissing};
    }
    ref = api::PrometheusRef{};
    ref->address = policy.defaultPrometheus;
    return core::Ok{};
  }
  if (ref->address.empty()) ref->address = policy.defaultPrometheus;
  if (ref->address.empty()) {
    return core::Error{path + ".address: required (this operator has no default Prometheus)", 0,
                       kReasonPrometheusMissing};
  }
  if (ref->address != policy.defaultPrometheus && !policy.prometheus.allows(ref->address)) {
    return core::Error{path + ".address: " + ref->address +
                           " is not a Prometheus this operator may query (allowed: " +
                           policy.prometheus.describe() +
                           (policy.defaultPrometheus.empty()
                                ? ""
                                : "; leave the address out for " + policy.defaultPrometheus) +
                           "); ask your cluster administrator",
                       0, kReasonPrometheusNotAllowed};
  }
  if (!ref->authSecret.empty() && core::toLower(ref->address).rfind("https://", 0) != 0) {
    return core::Error{path + ".authSecretRef: credentials are only sent over https, and " +
                           ref->address + " is plain http",
                       0, kReasonInsecureCredentials};
  }
  return core::Ok{};
}

}  // namespace

core::Status admitMlflow(const TrustPolicy& policy, api::MlflowSpec& mlflow) {
  if (mlflow.address.empty()) mlflow.address = policy.defaultMlflow;
  if (mlflow.address.empty()) {
    return core::Error{
        "spec.mlflow.address: required (this operator has no default MLflow: "
        "--mlflow-default-address)",
        0, kReasonMlflowMissing};
  }
  if (mlflow.address != policy.defaultMlflow && !policy.mlflow.allows(mlflow.address)) {
    return core::Error{
        "spec.mlflow.address: " + mlflow.address +
            " is not an MLflow this operator may read (allowed: " + policy.mlflow.describe() +
            (policy.defaultMlflow.empty() ? ""
                                          : "; leave the address out for " + policy.defaultMlflow) +
            "); ask your cluster administrator",
        0, kReasonMlflowNotAllowed};
  }
  if (!mlflow.authSecret.empty() && core::toLower(mlflow.address).rfind("https://", 0) != 0) {
    return core::Error{"spec.mlflow.authSecretRef: credentials are only sent over https, and " +
                           mlflow.address + " is plain http",
                       0, kReasonInsecureCredentials};
  }
  return core::Ok{};
}

core::Status admit(const TrustPolicy& policy, const api::MLModelSpec& spec,
                   api::RolloutSpec& rollout, api::MonitoringSpec& monitoring) {
  if (auto s = admitImage(policy, spec.image); !s) return s;
  if (rollout.canary) {
    auto& an = rollout.canary->analysis;
    if (auto s = admitPrometheus(policy, "spec.rollout.canary.analysis.prometheus",
                                 !an.metrics.empty(), an.prometheus);
        !s) {
      return s;
    }
  }
  return admitPrometheus(policy, "spec.monitoring.prometheus",
                         monitoring.enabled && !monitoring.metrics.empty(), monitoring.prometheus);
}

}  // namespace mlmodel::controller
