#pragma once
// What the iris server exports on /metrics (Prometheus text format). Every series carries
// namespace, model and version labels, so the operator's analysis queries can select one
// version of one model:
//   model_requests_total{code}                 inference requests answered, by HTTP status
//   model_request_duration_seconds             histogram of inference request latency
//   model_predictions_total{class}             predictions made, by predicted class
//   model_prediction_confidence                histogram of the predicted class's probability
//   model_info{profile,algorithm}              1
//
//   iris::Metrics m({"default", "iris", "1.0.0"}, "v1", "logistic_regression");
//   m.observeRequest(200, 0.004);
//   m.observePrediction("setosa", 0.97);
//   std::string text = m.exposition();

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

namespace iris {

struct Identity {
  std::string ns, model, version;
};

class Metrics {
 public:
  Metrics(Identity id, const std::string& profile, const std::string& algorithm,
          const std::vector<std::string>& classes);
  void observeRequest(int code, double seconds);
  void observePrediction(std::size_t cls, double confidence);
  std::string exposition() const;

 private:
  prometheus::Labels labels(prometheus::Labels extra = {}) const;

  Identity id_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Histogram& duration_;
  std::vector<prometheus::Counter*> predictions_;  // by class index
  prometheus::Histogram& confidence_;
};

}  // namespace iris
