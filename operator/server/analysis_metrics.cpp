#include "server/analysis_metrics.h"

namespace mlmodel::server {

std::vector<prometheus::MetricFamily> AnalysisPoolMetrics::Collect() const {
  std::vector<prometheus::MetricFamily> out(3);
  out[0].name = "mlmodel_operator_analysis_rounds_queued";
  out[0].help = "Analysis rounds waiting for a measurement thread";
  out[0].type = prometheus::MetricType::Gauge;
  out[0].metric.emplace_back().gauge.value = static_cast<double>(source_.queued());
  out[1].name = "mlmodel_operator_analysis_rounds_running";
  out[1].help = "Analysis rounds being measured";
  out[1].type = prometheus::MetricType::Gauge;
  out[1].metric.emplace_back().gauge.value = static_cast<double>(source_.running());
  out[2].name = "mlmodel_operator_analysis_rounds_refused_total";
  out[2].help = "Analysis rounds refused because too many were waiting (each counts as an error)";
  out[2].type = prometheus::MetricType::Counter;
  out[2].metric.emplace_back().counter.value = static_cast<double>(source_.refused());
  return out;
}

}  // namespace mlmodel::server
