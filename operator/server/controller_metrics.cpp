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
      ready_(prometheus::BuildGauge()
                 .Name("mlmodel_ready")
                 .Help("1 when the MLModel's Ready condition is True, else 0")
                 .Register(registry)),
      readyReplicas_(prometheus::BuildGauge()
                         .Name("mlmodel_ready_replicas")
                         .Help("Ready model-server replicas of the MLModel")
                         .Register(registry)),
      phase_(prometheus::BuildGauge()
                 .Name("mlmodel_phase")
                 .Help("1 for the MLModel's current phase (Pending, Progressing, Ready, Degraded, "
                       "Failed), 0 for the others")
                 .Register(registry)),
      analysisValue_(prometheus::BuildGauge()
                         .Name("mlmodel_analysis_value")
                         .Help("The latest value an analysis or monitoring metric measured")
                         .Register(registry)),
      measurements_(prometheus::BuildCounter()
                        .Name("mlmodel_analysis_measurements_total")
                        .Help("Analysis and monitoring measurements by verdict")
                        .Register(registry)),
      canaryWeight_(prometheus::BuildGauge()
                        .Name("mlmodel_canary_weight")
                        .Help("Traffic percent the running canary is asked to get")
                        .Register(registry)),
      degraded_(prometheus::BuildGauge()
                    .Name("mlmodel_degraded")
                    .Help("1 while continuous verification finds the stable version failing")
                    .Register(registry)),
      rollouts_(prometheus::BuildCounter()
                    .Name("mlmodel_rollouts_total")
                    .Help("Finished rollouts by outcome (Promoted, RolledBack, Aborted)")
                    .Register(registry)) {
  for (const char* r : {"success", "error", "requeue", "requeue_after"}) {
    total_.Add({{"controller", controller_}, {"result", r}});
  }
}

void ControllerMetrics::reconciled(const std::string& result, core::Duration took) {
  total_.Add({{"controller", controller_}, {"result", result}}).Increment();
  if (result == "error") errors_.Increment();
  time_.Observe(std::chrono::duration<double>(took).count());
}

namespace {
constexpr const char* kPhases[] = {"Pending", "Progressing", "Ready", "Degraded", "Failed"};
}  // namespace

void ControllerMetrics::model(const std::string& ns, const std::string& name,
                              const std::string& phase, int64_t readyReplicas) {
  std::lock_guard lock(mu_);
  ready_.Add({{"namespace", ns}, {"name", name}}).Set(phase == "Ready" ? 1 : 0);
  readyReplicas_.Add({{"namespace", ns}, {"name", name}}).Set(static_cast<double>(readyReplicas));
  for (const char* p : kPhases) {
    phase_.Add({{"namespace", ns}, {"name", name}, {"phase", p}}).Set(phase == p ? 1 : 0);
  }
}

void ControllerMetrics::forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  auto& r = ready_.Add({{"namespace", ns}, {"name", name}});
  ready_.Remove(&r);
  auto& rr = readyReplicas_.Add({{"namespace", ns}, {"name", name}});
  readyReplicas_.Remove(&rr);
  for (const char* p : kPhases) {
    phase_.Remove(&phase_.Add({{"namespace", ns}, {"name", name}, {"phase", p}}));
  }
  const std::string key = ns + "/" + name;
  for (const auto& l : values_[key]) analysisValue_.Remove(&analysisValue_.Add(l));
  for (const auto& l : counts_[key]) measurements_.Remove(&measurements_.Add(l));
  values_.erase(key);
  counts_.erase(key);
  canaryWeight_.Remove(&canaryWeight_.Add({{"namespace", ns}, {"name", name}}));
  degraded_.Remove(&degraded_.Add({{"namespace", ns}, {"name", name}}));
  for (const char* o : {"Promoted", "RolledBack", "Aborted"}) {
    rollouts_.Remove(&rollouts_.Add({{"namespace", ns}, {"name", name}, {"outcome", o}}));
  }
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
                                     int canaryWeight, bool degraded) {
  std::lock_guard lock(mu_);
  const prometheus::Labels l{{"namespace", ns}, {"name", name}};
  auto& w = canaryWeight_.Add(l);
  if (canaryWeight >= 0) {
    w.Set(canaryWeight);
  } else {
    canaryWeight_.Remove(&w);
  }
  degraded_.Add(l).Set(degraded ? 1 : 0);
}

void ControllerMetrics::rolloutFinished(const std::string& ns, const std::string& name,
                                        const std::string& outcome) {
  std::lock_guard lock(mu_);
  rollouts_.Add({{"namespace", ns}, {"name", name}, {"outcome", outcome}}).Increment();
}

}  // namespace mlmodel::server
