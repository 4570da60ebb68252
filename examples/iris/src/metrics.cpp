#include "metrics.h"

#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>

#include <utility>

namespace iris {
namespace {

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
const prometheus::Histogram::BucketBoundaries kConfidenceBuckets = {0.4, 0.5, 0.6,  0.7,
                                                                    0.8, 0.9, 0.95, 0.99};

}  // namespace

Metrics::Metrics(Identity id, const std::string& profile, const std::string& algorithm,
                 const std::vector<std::string>& classes)
    : id_(std::move(id)),
      registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("model_requests_total")
                    .Help("Inference requests answered, by HTTP status code.")
                    .Register(*registry_)),
      duration_(prometheus::BuildHistogram()
                    .Name("model_request_duration_seconds")
                    .Help("Inference request latency, from the request read to the answer.")
                    .Register(*registry_)
                    .Add(labels(), kLatencyBuckets)),
      confidence_(prometheus::BuildHistogram()
                      .Name("model_prediction_confidence")
                      .Help("Probability the model gave the class it predicted.")
                      .Register(*registry_)
                      .Add(labels(), kConfidenceBuckets)) {
  auto& predictions = prometheus::BuildCounter()
                          .Name("model_predictions_total")
                          .Help("Predictions made, by predicted class.")
                          .Register(*registry_);
  // Every class exported from the start (at 0), so a rate over the prediction mix has all
  // its series even for a class the model never predicts.
  for (const auto& c : classes) predictions_.push_back(&predictions.Add(labels({{"class", c}})));
  // The common codes exist from the start too: a ratio over them has no missing series.
  for (const char* code : {"200", "500"}) requests_.Add(labels({{"code", code}}));
  prometheus::BuildGauge()
      .Name("model_info")
      .Help("The served model: version, profile and algorithm.")
      .Register(*registry_)
      .Add(labels({{"profile", profile}, {"algorithm", algorithm}}))
      .Set(1);
}

prometheus::Labels Metrics::labels(prometheus::Labels extra) const {
  extra["namespace"] = id_.ns;
  extra["model"] = id_.model;
  extra["version"] = id_.version;
  return extra;
}

void Metrics::observeRequest(int code, double seconds) {
  // Family::Add is thread-safe and returns the existing series for known labels.
  requests_.Add(labels({{"code", std::to_string(code)}})).Increment();
  duration_.Observe(seconds);
}

void Metrics::observePrediction(std::size_t cls, double confidence) {
  if (cls < predictions_.size()) predictions_[cls]->Increment();
  confidence_.Observe(confidence);
}

std::string Metrics::exposition() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace iris
