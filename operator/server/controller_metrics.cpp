#include "server/controller_metrics.h"

#include <algorithm>

namespace mlmodel::server {

ControllerMetrics::ControllerMetrics(prometheus::Registry& registry, std::string controller)
    : controller_(std::move(controller)),
      total_(prometheus::BuildCounter()
                 .Name("controller_runtime_reconcile_total")
                 .Help("Total number of reconciliations per controller")
                 .Register(registry)),
      errors_(prometheus::BuildCounter()
                  .Name("controller_runtime_reconcile_errors_total")
                  .Help("Total number of reconciliation errors per controller")
                  .Register(registry)
                  .Add({{"controller", controller_}})),
      time_(prometheus::BuildHistogram()
                .Name("controller_runtime_reconcile_time_seconds")
                .Help("Length of time per reconciliation per controller")
                .Register(registry)
                .Add({{"controller", controller_}},
                     prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5, 1, 2.5, 5, 10, 30, 60})),
      analysisValue_(prometheus::BuildGauge()
                         .Name("mlmodel_analysis_value")
                         .Help("The latest value an analysis or monitoring metric measured")
                         .Register(registry)),
      measurements_(prometheus::BuildCounter()
                        .Name("mlmodel_analysis_measurements_total")
                        .Help("Analysis and monitoring measurements by verdict")
                        .Register(registry)),
      models_(std::make_shared<ModelMetrics>()) {
  for (const char* r : {"success", "error", "requeue", "requeue_after"}) {
    total_.Add({{"controller", controller_}, {"result", r}});
  }
}

void ControllerMetrics::reconciled(const std::string& result, core::Duration took) {
  total_.Add({{"controller", controller_}, {"result", result}}).Increment();
  if (result == "error") errors_.Increment();
  time_.Observe(std::chrono::duration<double>(took).count());
}

void ControllerMetrics::model(const std::string& ns, const std::string& name,
                              const std::string& phase, int64_t readyReplicas) {
  models_->model(ns, name, phase, readyReplicas);
}

void ControllerMetrics::forget(const std::string& ns, const std::string& name) {
  models_->forget(ns, name);
  std::lock_guard lock(mu_);
  const std::string key = ns + "/" + name;
  for (const auto& l : values_[key]) analysisValue_.Remove(&analysisValue_.Add(l));
  for (const auto& l : counts_[key]) measurements_.Remove(&measurements_.Add(l));
  values_.erase(key);
  counts_.erase(key);
}

void ControllerMetrics::measured(const std::string& ns, const std::string& name,
                                 const std::string& track, const analysis::Measurement& m) {
  std::lock_guard lock(mu_);
  const std::string key = ns + "/" + name;
  prometheus::Labels v{{"namespace", ns}, {"name", name}, {"metric", m.metric}, {"track", track}};
  auto remember = [](std::vector<prometheus::Labels>& seen, const prometheus::Labels& l) {
    if (std::find(seen.begin(), seen.end(), l) == seen.end()) seen.push_back(l);
  };
  if (m.value) {
    analysisValue_.Add(v).Set(*m.value);
    remember(values_[key], v);
  }
  v["verdict"] = analysis::toString(m.verdict);
  measurements_.Add(v).Increment();
  remember(counts_[key], v);
}

void ControllerMetrics::rolloutState(const std::string& ns, const std::string& name,
                                     int canaryWeight, std::optional<bool> degraded) {
  models_->rolloutState(ns, name, canaryWeight, degraded);
}

void ControllerMetrics::rolloutFinished(const std::string& ns, const std::string& name,
                                        const std::string& outcome) {
  models_->rolloutFinished(ns, name, outcome);
}

}  // namespace mlmodel::server
