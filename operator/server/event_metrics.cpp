#include "server/event_metrics.h"

namespace mlmodel::server {

std::vector<prometheus::MetricFamily> EventMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out(2);
  out[0].name = "mlmodel_operator_events_queued";
  out[0].help = "Kubernetes Events the operator has queued and not yet sent";
  out[0].type = prometheus::MetricType::Gauge;
  out[0].metric.emplace_back().gauge.value = static_cast<double>(queued_());
  out[1].name = "mlmodel_operator_events_dropped_total";
  out[1].help = "Kubernetes Events the operator dropped (queue full, or still queued at exit)";
  out[1].type = prometheus::MetricType::Counter;
  out[1].metric.emplace_back().counter.value = static_cast<double>(dropped_());
  return out;
}

}  // namespace mlmodel::server
