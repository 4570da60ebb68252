#include "server/controller_metrics.h"

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

void ControllerMetrics::model(const std::string& ns, const std::string& name, bool ready,
                              int64_t readyReplicas) {
  std::lock_guard lock(mu_);
  ready_.Add({{"namespace", ns}, {"name", name}}).Set(ready ? 1 : 0);
  readyReplicas_.Add({{"namespace", ns}, {"name", name}}).Set(static_cast<double>(readyReplicas));
}

void ControllerMetrics::forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  auto& r = ready_.Add({{"namespace", ns}, {"name", name}});
  ready_.Remove(&r);
  auto& rr = readyReplicas_.Add({{"namespace", ns}, {"name", name}});
  readyReplicas_.Remove(&rr);
}

}  // namespace mlmodel::server
