#include "analysis/analysis_run.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analysis/fake_provider.h"
#include "core/clock.h"

using namespace std::chrono_literals;
using mlmodel::analysis::AnalysisRun;
using mlmodel::analysis::AnalysisRunOptions;
using mlmodel::analysis::AnalysisState;
using mlmodel::analysis::FakeMetricsProvider;
using mlmodel::analysis::Measurement;
using mlmodel::analysis::MetricCheck;
using mlmodel::analysis::NoDataPolicy;
using mlmodel::analysis::QueryResult;
using mlmodel::analysis::QueryVars;
using mlmodel::analysis::Verdict;
using mlmodel::core::FakeClock;
namespace core = mlmodel::core;

namespace {

const std::string kErrors = R"(error_rate{version="2"})";
const std::string kLatency = R"(p99{version="2"})";

std::vector<MetricCheck> checks() {
  MetricCheck errors;
  errors.name = "error-rate";
  errors.query = R"(error_rate{version="{{canary.version}}"})";
  errors.max = 0.01;
  MetricCheck latency;
  latency.name = "latency";
  latency.query = R"(p99{version="{{canary.version}}"})";
  latency.max = 0.5;
  latency.onNoData = NoDataPolicy::Inconclusive;
  return {errors, latency};
}

class AnalysisRunTest : public ::testing::Test {
 protected:
  AnalysisRunTest() { vars_.canaryVersion = "2"; }

  AnalysisRun makeRun(AnalysisRunOptions o = {}) { return AnalysisRun(checks(), o, clock_); }
  void good() {
    fake_.set(kErrors, QueryResult::ofValue(0.001));
    fake_.set(kLatency, QueryResult::ofValue(0.2));
  }
  void bad() { fake_.set(kErrors, QueryResult::ofValue(0.034)); }
  void down() {
    const core::Error e{"Prometheus http://p is unreachable: refused", 0, "ProviderUnavailable"};
    fake_.set(kErrors, e);
    fake_.set(kLatency, e);
  }

  FakeClock clock_;
  FakeMetricsProvider fake_;
  QueryVars vars_;
};

TEST_F(AnalysisRunTest, PassesWhenEveryCheckPasses) {
  auto run = makeRun();
  EXPECT_EQ(run.state(), AnalysisState::Running);
  good();
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Passed);
  EXPECT_EQ(run.state(), AnalysisState::Passed);
  EXPECT_EQ(run.counts().passed, 1);
  EXPECT_EQ(run.counts().rounds, 1);
  EXPECT_EQ(run.message(), "error-rate = 0.001 within max 0.01; latency = 0.2 within max 0.5");
  EXPECT_EQ(fake_.queries(), (std::vector<std::string>{kErrors, kLatency}));
  ASSERT_EQ(run.history().size(), 2u);
  EXPECT_EQ(run.history()[0].time, clock_.wallNow());
  EXPECT_EQ(run.history()[1].query, kLatency);
}

TEST_F(AnalysisRunTest, FailsAtTheFailureLimitNamingMetricAndValue) {
  auto run = makeRun({.failureLimit = 2, .consecutiveErrorLimit = 4});
  good();
  bad();
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Failed);
  EXPECT_EQ(run.state(), AnalysisState::Running);  // one failure of two allowed
  EXPECT_NE(run.message().find("1 failed round of failureLimit 2"), std::string::npos)
      << run.message();
  good();
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Passed);  // failures do not reset
  bad();
  clock_.advance(30s);
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Failed);
  EXPECT_EQ(run.state(), AnalysisState::Failed);
  EXPECT_EQ(run.reason(), "AnalysisFailed");
  EXPECT_EQ(run.message(), "2 failed rounds (failureLimit 2); last: error-rate = 0.034 > max 0.01");
  EXPECT_EQ(run.counts().failed, 2);
  EXPECT_EQ(run.counts().passed, 1);
  ASSERT_FALSE(run.history().empty());
  EXPECT_EQ(run.history().back().time, clock_.wallNow());

  // Final: later good rounds are recorded but do not revive the run.
  good();
  run.measure(fake_, vars_);
  EXPECT_EQ(run.state(), AnalysisState::Failed);
  EXPECT_EQ(run.reason(), "AnalysisFailed");
}

TEST_F(AnalysisRunTest, ConsecutiveErrorsFailSafe) {
  auto run = makeRun({.failureLimit = 2, .consecutiveErrorLimit = 3});
  down();
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Error);
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Error);
  EXPECT_EQ(run.state(), AnalysisState::Running);
  EXPECT_EQ(run.counts().consecutiveErrors, 2);
  good();  // a round without errors resets the streak
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Passed);
  EXPECT_EQ(run.counts().consecutiveErrors, 0);
  down();
  run.measure(fake_, vars_);
  run.measure(fake_, vars_);
  EXPECT_EQ(run.state(), AnalysisState::Running);
  run.measure(fake_, vars_);
  EXPECT_EQ(run.state(), AnalysisState::Failed);
  EXPECT_EQ(run.reason(), "AnalysisErrors");
  EXPECT_NE(run.message().find("3 rounds in a row could not be measured (consecutiveErrorLimit 3)"),
            std::string::npos)
      << run.message();
  EXPECT_NE(run.message().find("error-rate: Prometheus http://p is unreachable"), std::string::npos)
      << run.message();
  EXPECT_EQ(run.counts().errors, 5);
}

TEST_F(AnalysisRunTest, OneErroringCheckMakesAnErrorRound) {
  auto run = makeRun({.failureLimit = 2, .consecutiveErrorLimit = 1});
  good();
  QueryResult several;
  several.kind = QueryResult::Kind::SeveralSeries;
  several.seriesCount = 2;
  several.series = {{{"pod", "a"}}, {{"pod", "b"}}};
  fake_.set(kLatency, several);
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Error);
  EXPECT_EQ(run.state(), AnalysisState::Failed);
  EXPECT_EQ(run.reason(), "AnalysisErrors");
  EXPECT_NE(run.message().find("returned 2 series"), std::string::npos) << run.message();
  EXPECT_NE(run.message().find(kLatency), std::string::npos) << run.message();
}

TEST_F(AnalysisRunTest, InconclusiveIsNeverAPass) {
  auto run = makeRun();
  fake_.set(kErrors, QueryResult::ofValue(0.001));
  fake_.set(kLatency, QueryResult::noData());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(run.measure(fake_, vars_), Verdict::Inconclusive);
  EXPECT_EQ(run.state(), AnalysisState::Running);  // waits; never passes, never fails
  EXPECT_EQ(run.lastRound(), Verdict::Inconclusive);
  EXPECT_EQ(run.counts().inconclusive, 10);
  EXPECT_EQ(run.counts().passed, 0);
  EXPECT_EQ(run.counts().consecutiveErrors, 0);
  EXPECT_NE(run.message().find("latency: no data"), std::string::npos) << run.message();
  // A pass after an inconclusive stretch passes.
  good();
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Passed);
  EXPECT_EQ(run.state(), AnalysisState::Passed);
  // And an inconclusive round after a pass is Running again, not Passed.
  fake_.set(kLatency, QueryResult::noData());
  run.measure(fake_, vars_);
  EXPECT_EQ(run.state(), AnalysisState::Running);
}

TEST_F(AnalysisRunTest, FailureOutranksErrorInARound) {
  auto run = makeRun({.failureLimit = 1, .consecutiveErrorLimit = 5});
  bad();
  fake_.set(kLatency, core::Error{"down", 0, "ProviderUnavailable"});
  EXPECT_EQ(run.measure(fake_, vars_), Verdict::Failed);
  EXPECT_EQ(run.counts().failed, 1);
  EXPECT_EQ(run.counts().errors, 1);  // counted as both
  EXPECT_EQ(run.reason(), "AnalysisFailed");
}

TEST_F(AnalysisRunTest, HistoryIsBounded) {
  auto run = makeRun({.failureLimit = 100, .consecutiveErrorLimit = 100, .historyLimit = 5});
  good();
  for (int i = 0; i < 10; ++i) {
    clock_.advance(1s);
    run.measure(fake_, vars_);
  }
  ASSERT_EQ(run.history().size(), 5u);
  EXPECT_EQ(run.history().back().time, clock_.wallNow());
  EXPECT_EQ(run.history().back().metric, "latency");
  EXPECT_EQ(run.history().front().metric, "latency");  // the 8th round's second check
  EXPECT_EQ(run.history().front().time, clock_.wallNow() - 2s);
  EXPECT_EQ(run.counts().rounds, 10);
  EXPECT_EQ(run.counts().passed, 10);
}

TEST_F(AnalysisRunTest, DefaultHistoryLimitIsTwenty) {
  auto run = makeRun();
  good();
  for (int i = 0; i < 30; ++i) run.measure(fake_, vars_);
  EXPECT_EQ(run.history().size(), 20u);
}

TEST_F(AnalysisRunTest, RecordTakesMeasurementsFromElsewhere) {
  AnalysisRun run({}, {.failureLimit = 1, .consecutiveErrorLimit = 2}, clock_);
  Measurement m;
  m.metric = "x";
  m.verdict = Verdict::Passed;
  m.message = "x = 1 within max 2";
  EXPECT_EQ(run.record({m}), Verdict::Passed);
  EXPECT_EQ(run.record({}), Verdict::Error);  // nothing measured is not a pass
  EXPECT_EQ(run.record({}), Verdict::Error);
  EXPECT_EQ(run.state(), AnalysisState::Failed);
  EXPECT_EQ(run.reason(), "AnalysisErrors");
}

}  // namespace
