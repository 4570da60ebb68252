#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mlmodel::server {

// The per-model series, kept as one small row per model and turned into metric families
// only when scraped. prometheus-cpp keeps every series with a label map of its own
// (about half a kilobyte); at 5,000 models with nine series each, that was the largest
// thing the operator held. Exported:
//   mlmodel_ready{namespace,name}            1 when Ready is True, else 0
//   mlmodel_ready_replicas{namespace,name}
//   mlmodel_phase{namespace,name,phase}      1, for the current phase only
//   mlmodel_canary_weight{namespace,name}    while a canary runs
//   mlmodel_degraded{namespace,name}         for a model with continuous verification
//   mlmodel_rollouts_total{namespace,name,outcome}   once a rollout ended so
class ModelMetrics final : public prometheus::Collectable {
 public:
  // phase: Pending, Progressing, Ready, Degraded or Failed.
  void model(const std::string& ns, const std::string& name, const std::string& phase,
             int64_t readyReplicas);
  // canaryWeight < 0: no canary runs; degraded: nullopt without continuous verification.
  void rolloutState(const std::string& ns, const std::string& name, int canaryWeight,
                    std::optional<bool> degraded);
  // outcome: Promoted, RolledBack or Aborted.
  void rolloutFinished(const std::string& ns, const std::string& name, const std::string& outcome);
  // Every series of the model goes.
  void forget(const std::string& ns, const std::string& name);

  std::vector<prometheus::MetricFamily> Collect() const override;

  static constexpr const char* kPhases[] = {"Pending", "Progressing", "Ready", "Degraded",
                                            "Failed"};
  static constexpr const char* kOutcomes[] = {"Promoted", "RolledBack", "Aborted"};

 private:
  struct Row {
    int8_t phase = -1;  // index in kPhases; -1 until model() is called
    int8_t degraded = -1;
    int16_t canaryWeight = -1;
    int32_t readyReplicas = 0;
    uint32_t outcomes[3] = {0, 0, 0};  // by kOutcomes
  };
  // Keyed by namespace, then name: sorted output, and the namespace string once per
  // namespace rather than once per model.
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, Row>> rows_;
};

}  // namespace mlmodel::server
