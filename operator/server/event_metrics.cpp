#include "server/event_metrics.h"

#include "server/metric_family.h"

namespace mlmodel::server {

std::vector<prometheus::MetricFamily> EventMetrics::Collect() const {
  return {singleValueFamily("mlmodel_operator_events_queued",
                            "Kubernetes Events the operator has queued and not yet sent",
                            prometheus::MetricType::Gauge, static_cast<double>(queued_())),
          singleValueFamily(
              "mlmodel_operator_events_dropped_total",
              "Kubernetes Events the operator dropped (queue full, or still queued at exit)",
              prometheus::MetricType::Counter, static_cast<double>(dropped_()))};
}

}  // namespace mlmodel::server
