#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace mlmodel::server {

// The analysis measurement pool, read when scraped:
//   mlmodel_operator_analysis_rounds_queued          rounds waiting for a thread
//   mlmodel_operator_analysis_rounds_running         rounds being measured
//   mlmodel_operator_analysis_rounds_refused_total   rounds refused (queue full: an Error)
// A queue that keeps growing means a Prometheus too slow for the models that use it.
class AnalysisPoolMetrics final : public prometheus::Collectable {
 public:
  struct Source {
    std::function<std::uint64_t()> queued, running, refused;
  };
  explicit AnalysisPoolMetrics(Source source) : source_(std::move(source)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Source source_;
};

}  // namespace mlmodel::server
