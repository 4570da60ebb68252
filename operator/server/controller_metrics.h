#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controller/rollout_metrics.h"
#include "core/clock.h"

namespace mlmodel::server {

// The reconcile metrics controller-runtime operators export, so existing dashboards work:
// controller_runtime_reconcile_total{controller,result},
// controller_runtime_reconcile_errors_total{controller},
// controller_runtime_reconcile_time_seconds{controller}; and per-model gauges
// mlmodel_ready{namespace,name}, mlmodel_ready_replicas{namespace,name} and
// mlmodel_phase{namespace,name,phase}; and the
// rollout figures: mlmodel_analysis_value{namespace,name,metric,track},
// mlmodel_analysis_measurements_total{namespace,name,metric,track,verdict},
// mlmodel_canary_weight{namespace,name} (absent when no canary runs),
// mlmodel_degraded{namespace,name}, mlmodel_rollouts_total{namespace,name,outcome}.
class ControllerMetrics final : public controller::RolloutMetrics {
 public:
  ControllerMetrics(prometheus::Registry& registry, std::string controller);

  // result: success, error, requeue, requeue_after
  void reconciled(const std::string& result, core::Duration took);
  // phase: Pending, Progressing, Ready, Degraded or Failed (mlmodel_phase{phase} is 1 for
  // it and 0 for the others, as kube-state-metrics does for pods).
  void model(const std::string& ns, const std::string& name, const std::string& phase,
             int64_t readyReplicas);
  void forget(const std::string& ns, const std::string& name);

  void measured(const std::string& ns, const std::string& name, const std::string& track,
                const analysis::Measurement& m) override;
  void rolloutState(const std::string& ns, const std::string& name, int canaryWeight,
                    bool degraded) override;
  void rolloutFinished(const std::string& ns, const std::string& name,
                       const std::string& outcome) override;

 private:
  const std::string controller_;
  prometheus::Family<prometheus::Counter>& total_;
  prometheus::Counter& errors_;
  prometheus::Histogram& time_;
  prometheus::Family<prometheus::Gauge>& ready_;
  prometheus::Family<prometheus::Gauge>& readyReplicas_;
  prometheus::Family<prometheus::Gauge>& phase_;
  prometheus::Family<prometheus::Gauge>& analysisValue_;
  prometheus::Family<prometheus::Counter>& measurements_;
  prometheus::Family<prometheus::Gauge>& canaryWeight_;
  prometheus::Family<prometheus::Gauge>& degraded_;
  prometheus::Family<prometheus::Counter>& rollouts_;
  // Label sets per model, so forget() removes every series of a deleted model.
  std::map<std::string, std::vector<prometheus::Labels>> values_, counts_;
  std::mutex mu_;
};

}  // namespace mlmodel::server
