#pragma once

#include <cpprest/json.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace mlmodel::api {

using Json = web::json::value;
using Millis = std::chrono::milliseconds;

// Annotations that drive a rollout by hand (kubectl annotate, or committed to Git). Each
// names what it applies to, so one left in Git does nothing to a later rollout.
// Skip the remaining steps and promote the canary whose version is the value.
inline constexpr const char* kPromoteAnnotation = "serving.mlops.dev/promote";
// Roll back the canary whose version is the value, as if its analysis had failed.
inline constexpr const char* kAbortAnnotation = "serving.mlops.dev/abort";
// Any new value starts the rolled-back (or aborted) version again as a fresh canary.
inline constexpr const char* kRetryAnnotation = "serving.mlops.dev/retry";

// spec.rollout.canary.analysis.prometheus and spec.monitoring.prometheus. Absent, the
// operator's default Prometheus is used (controller/trust_policy.h).
struct PrometheusRef {
  std::string address;
  std::string authSecret;  // Secret name in the model's namespace; "" for none
  std::string caSecret;    // Secret name with key ca.crt; "" for the system's roots
  Millis timeout{std::chrono::seconds(10)};
};

// One metric check as declared; rollout/ turns it into an analysis::MetricCheck.
struct MetricSpec {
  std::string name;
  std::string query;
  std::optional<double> min;
  std::optional<double> max;
  std::string onNoData = "Inconclusive";  // Fail | Pass | Inconclusive
};

struct AnalysisSpec {
  Millis interval{std::chrono::seconds(30)};
  int failureLimit = 2;
  int consecutiveErrorLimit = 4;
  std::optional<PrometheusRef> prometheus;
  std::vector<MetricSpec> metrics;
};

struct CanaryStep {
  int weight = 0;   // percent, 1..99
  Millis pause{0};  // how long the step holds once the canary is ready at its weight
};

struct TrafficSpec {
  enum class Kind { Replicas, GatewayAPI };
  Kind kind = Kind::Replicas;
  std::string httpRoute;  // Kind::GatewayAPI: the HTTPRoute's name, same namespace
};

struct CanarySpec {
  std::vector<CanaryStep> steps;
  Millis progressDeadline{std::chrono::minutes(10)};
  TrafficSpec traffic;
  AnalysisSpec analysis;
};

// spec.rollout. Without `canary` a new version replaces the stable one in place.
struct RolloutSpec {
  bool paused = false;
  std::optional<CanarySpec> canary;
};

// spec.monitoring: the checks keep running on the stable version.
struct MonitoringSpec {
  bool enabled = false;
  Millis interval{std::chrono::minutes(1)};
  int failureLimit = 3;  // failed rounds in a row that make the model Degraded
  bool rollbackOnFailure = false;
  std::optional<PrometheusRef> prometheus;
  std::vector<MetricSpec> metrics;
};

// Decoders of the raw JSON kept in MLModelSpec. Absent or null is the default above.
// A wrong type or an unparsable duration is an Error naming the field (reason
// InvalidSpec), e.g. "spec.rollout.canary.steps[1].pause: invalid duration \"5 min\"".
core::Result<RolloutSpec> decodeRollout(const Json& rollout);
core::Result<MonitoringSpec> decodeMonitoring(const Json& monitoring);

// A Go-style duration as the CRD admits it: one or more <integer><unit> with units ms, s,
// m, h ("30s", "1h30m", "1500ms"). nullopt for anything else.
std::optional<Millis> parseDuration(const std::string& s);

}  // namespace mlmodel::api
