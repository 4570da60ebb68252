#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "controller/rollout_metrics.h"
#include "core/clock.h"
#include "server/model_metrics.h"

namespace mlmodel::server {

// The reconcile metrics controller-runtime operators export, so existing dashboards work:
// controller_runtime_reconcile_total{controller,result},
// controller_runtime_reconcile_errors_total{controller},
// controller_runtime_reconcile_time_seconds{controller}; the analysis figures
// mlmodel_analysis_value{namespace,name,metric,track} and
// mlmodel_analysis_measurements_total{namespace,name,metric,track,verdict}; and the
// per-model series of ModelMetrics (perModel(), registered with the metrics server).
class ControllerMetrics final : public controller::RolloutMetrics {
 public:
  ControllerMetrics(prometheus::Registry& registry, std::string controller);

  // result: success, error, requeue, requeue_after
  void reconciled(const std::string& result, core::Duration took);
  // phase: Pending, Progressing, Ready, Degraded or Failed.
  void model(const std::string& ns, const std::string& name, const std::string& phase,
             int64_t readyReplicas);
  void forget(const std::string& ns, const std::string& name);

  void measured(const std::string& ns, const std::string& name, const std::string& track,
                const analysis::Measurement& m) override;
  void rolloutState(const std::string& ns, const std::string& name, int canaryWeight,
                    std::optional<bool> degraded) override;
  void rolloutFinished(const std::string& ns, const std::string& name,
                       const std::string& outcome) override;
  const std::shared_ptr<ModelMetrics>& perModel() const { return models_; }

 private:
  const std::string controller_;
  prometheus::Family<prometheus::Counter>& total_;
  prometheus::Counter& errors_;
  prometheus::Histogram& time_;
  prometheus::Family<prometheus::Gauge>& analysisValue_;
  prometheus::Family<prometheus::Counter>& measurements_;
  std::shared_ptr<ModelMetrics> models_;
  // Label sets per model, so forget() removes every series of a deleted model.
  std::map<std::string, std::vector<prometheus::Labels>> values_, counts_;
  std::mutex mu_;
};

}  // namespace mlmodel::server
