#include "server/model_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace mlmodel::server {
namespace {

std::string scrape(const ModelMetrics& m) {
  return prometheus::TextSerializer().Serialize(m.Collect());
}

bool has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(ModelMetricsTest, EachModelHasItsStateAsSeries) {
  ModelMetrics m;
  m.model("ml", "fraud", "Ready", 3);
  m.model("ml", "churn", "Progressing", 1);
  m.rolloutState("ml", "churn", 25, false);
  m.rolloutState("ml", "fraud", -1, std::nullopt);  // no continuous verification
  const auto text = scrape(m);
  EXPECT_TRUE(has(text, R"(mlmodel_ready{name="fraud",namespace="ml"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(mlmodel_ready{name="churn",namespace="ml"} 0)")) << text;
  EXPECT_TRUE(has(text, R"(mlmodel_ready_replicas{name="fraud",namespace="ml"} 3)")) << text;
  EXPECT_TRUE(has(text, R"(mlmodel_phase{name="churn",namespace="ml",phase="Progressing"} 1)"))
      << text;
  EXPECT_TRUE(has(text, R"(mlmodel_canary_weight{name="churn",namespace="ml"} 25)")) << text;
  EXPECT_TRUE(has(text, R"(mlmodel_degraded{name="churn",namespace="ml"} 0)")) << text;
  EXPECT_TRUE(has(text, "# TYPE mlmodel_phase gauge")) << text;
  // Only the current phase, and no canary series for a model without a canary.
  EXPECT_EQ(text.find(R"(name="fraud",namespace="ml",phase="Progressing")"), std::string::npos);
  EXPECT_EQ(text.find(R"(mlmodel_canary_weight{name="fraud")"), std::string::npos);
  EXPECT_EQ(text.find(R"(mlmodel_degraded{name="fraud")"), std::string::npos);
}

TEST(ModelMetricsTest, APhaseChangeReplacesTheSeriesAndTheCanaryGoesWhenItEnds) {
  ModelMetrics m;
  m.model("ml", "fraud", "Progressing", 1);
  m.rolloutState("ml", "fraud", 50, false);
  m.model("ml", "fraud", "Ready", 2);
  m.rolloutState("ml", "fraud", -1, true);
  const auto text = scrape(m);
  EXPECT_TRUE(has(text, R"(mlmodel_phase{name="fraud",namespace="ml",phase="Ready"} 1)")) << text;
  EXPECT_EQ(text.find(R"(phase="Progressing")"), std::string::npos) << text;
  EXPECT_EQ(text.find("mlmodel_canary_weight{"), std::string::npos) << text;
  EXPECT_TRUE(has(text, R"(mlmodel_degraded{name="fraud",namespace="ml"} 1)")) << text;
}

TEST(ModelMetricsTest, RolloutsAreCountedByOutcomeAndForgetRemovesEverySeries) {
  ModelMetrics m;
  m.model("ml", "fraud", "Ready", 2);
  m.rolloutFinished("ml", "fraud", "Promoted");
  m.rolloutFinished("ml", "fraud", "Promoted");
  m.rolloutFinished("ml", "fraud", "RolledBack");
  m.model("other", "fraud", "Ready", 1);
  auto text = scrape(m);
  EXPECT_TRUE(
      has(text, R"(mlmodel_rollouts_total{name="fraud",namespace="ml",outcome="Promoted"} 2)"))
      << text;
  EXPECT_TRUE(
      has(text, R"(mlmodel_rollouts_total{name="fraud",namespace="ml",outcome="RolledBack"} 1)"))
      << text;
  EXPECT_EQ(text.find(R"(outcome="Aborted")"), std::string::npos);
  m.forget("ml", "fraud");
  text = scrape(m);
  EXPECT_EQ(text.find(R"(namespace="ml")"), std::string::npos) << text;
  EXPECT_TRUE(has(text, R"(mlmodel_ready{name="fraud",namespace="other"} 1)")) << text;
}

}  // namespace
}  // namespace mlmodel::server
