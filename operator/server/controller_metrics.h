#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <mutex>
#include <string>

#include "core/clock.h"

namespace mlmodel::server {

// The reconcile metrics controller-runtime operators export, so existing dashboards work:
// controller_runtime_reconcile_total{controller,result},
// controller_runtime_reconcile_errors_total{controller},
// controller_runtime_reconcile_time_seconds{controller}; and per-model gauges
// mlmodel_ready{namespace,name} and mlmodel_ready_replicas{namespace,name}.
class ControllerMetrics {
 public:
  ControllerMetrics(prometheus::Registry& registry, std::string controller);

  // result: success, error, requeue, requeue_after
  void reconciled(const std::string& result, core::Duration took);
  void model(const std::string& ns, const std::string& name, bool ready, int64_t readyReplicas);
  void forget(const std::string& ns, const std::string& name);

 private:
  const std::string controller_;
  prometheus::Family<prometheus::Counter>& total_;
  prometheus::Counter& errors_;
  prometheus::Histogram& time_;
  prometheus::Family<prometheus::Gauge>& ready_;
  prometheus::Family<prometheus::Gauge>& readyReplicas_;
  std::mutex mu_;
};

}  // namespace mlmodel::server
