#include "server/analysis_metrics.h"

#include "server/metric_family.h"

namespace mlmodel::server {

std::vector<prometheus::MetricFamily> AnalysisPoolMetrics::Collect() const {
  using prometheus::MetricType;
  return {singleValueFamily("mlmodel_operator_analysis_rounds_queued",
                            "Analysis rounds waiting for a measurement thread", MetricType::Gauge,
                            static_cast<double>(source_.queued())),
          singleValueFamily("mlmodel_operator_analysis_rounds_running",
                            "Analysis rounds being measured", MetricType::Gauge,
                            static_cast<double>(source_.running())),
          singleValueFamily(
              "mlmodel_operator_analysis_rounds_refused_total",
              "Analysis rounds refused because too many were waiting (each counts as an error)",
              MetricType::Counter, static_cast<double>(source_.refused()))};
}

}  // namespace mlmodel::server
