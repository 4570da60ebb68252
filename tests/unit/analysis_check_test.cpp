#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "analysis/check.h"
#include "analysis/fake_provider.h"
#include "core/clock.h"

using namespace std::chrono_literals;
using mlmodel::analysis::evaluate;
using mlmodel::analysis::FakeMetricsProvider;
using mlmodel::analysis::Measurement;
using mlmodel::analysis::MetricCheck;
using mlmodel::analysis::NoDataPolicy;
using mlmodel::analysis::QueryResult;
using mlmodel::analysis::QueryVars;
using mlmodel::analysis::Verdict;
namespace analysis = mlmodel::analysis;
namespace core = mlmodel::core;

namespace {

const std::string kQuery = R"(sum(rate(errors{version="2"}[1m])))";
const core::WallTime kNow = core::WallTime{} + 1000h;

MetricCheck check(std::optional<double> min, std::optional<double> max,
                  NoDataPolicy onNoData = NoDataPolicy::Inconclusive) {
  MetricCheck c;
  c.name = "error-rate";
  c.query = kQuery;
  c.min = min;
  c.max = max;
  c.onNoData = onNoData;
  return c;
}

Measurement eval(const MetricCheck& c, const core::Result<QueryResult>& r) {
  return evaluate(c, kQuery, r, kNow);
}

Verdict verdictOf(const MetricCheck& c, double v) {
  return eval(c, QueryResult::ofValue(v)).verdict;
}

TEST(AnalysisCheck, MaxFailsAboveAndSaysWhy) {
  auto m = eval(check(std::nullopt, 0.01), QueryResult::ofValue(0.034));
  EXPECT_EQ(m.verdict, Verdict::Failed);
  EXPECT_EQ(m.message, "error-rate = 0.034 > max 0.01");
  EXPECT_EQ(m.metric, "error-rate");
  EXPECT_EQ(m.query, kQuery);
  ASSERT_TRUE(m.value);
  EXPECT_DOUBLE_EQ(*m.value, 0.034);
  EXPECT_EQ(m.time, kNow);
  EXPECT_EQ(m.reason, "Threshold");
}

TEST(AnalysisCheck, MinFailsBelow) {
  auto m = eval(check(0.99, std::nullopt), QueryResult::ofValue(0.9));
  EXPECT_EQ(m.verdict, Verdict::Failed);
  EXPECT_EQ(m.message, "error-rate = 0.9 < min 0.99");
  EXPECT_EQ(verdictOf(check(0.99, std::nullopt), 1), Verdict::Passed);
}

TEST(AnalysisCheck, BoundsAreInclusive) {
  const auto both = check(0.5, 2);
  EXPECT_EQ(verdictOf(both, 0.5), Verdict::Passed);
  EXPECT_EQ(verdictOf(both, 2), Verdict::Passed);
  EXPECT_EQ(verdictOf(both, 1), Verdict::Passed);
  EXPECT_EQ(verdictOf(both, 0.49999), Verdict::Failed);
  EXPECT_EQ(verdictOf(both, 2.00001), Verdict::Failed);
  auto m = eval(both, QueryResult::ofValue(1));
  EXPECT_EQ(m.message, "error-rate = 1 within [0.5, 2]");
  EXPECT_EQ(verdictOf(check(std::nullopt, 0), 0), Verdict::Passed);
}

TEST(AnalysisCheck, InfinityIsCompared) {
  const double inf = std::numeric_limits<double>::infinity();
  auto m = eval(check(std::nullopt, 0.01), QueryResult::ofValue(inf));
  EXPECT_EQ(m.verdict, Verdict::Failed);
  EXPECT_EQ(m.message, "error-rate = +Inf > max 0.01");
  EXPECT_EQ(verdictOf(check(0, std::nullopt), -inf), Verdict::Failed);
}

TEST(AnalysisCheck, NoDataFollowsThePolicy) {
  for (auto [policy, want] : {std::pair{NoDataPolicy::Fail, Verdict::Failed},
                              std::pair{NoDataPolicy::Pass, Verdict::Passed},
                              std::pair{NoDataPolicy::Inconclusive, Verdict::Inconclusive}}) {
    auto m = eval(check(std::nullopt, 0.01, policy), QueryResult::noData());
    EXPECT_EQ(m.verdict, want) << analysis::toString(policy);
    EXPECT_EQ(m.reason, "NoData");
    EXPECT_FALSE(m.value);
    EXPECT_NE(m.message.find("no data (the query returned no series)"), std::string::npos)
        << m.message;
    EXPECT_NE(m.message.find(std::string("onNoData: ") + analysis::toString(policy)),
              std::string::npos)
        << m.message;
    EXPECT_NE(m.message.find(kQuery), std::string::npos) << m.message;
  }
}

TEST(AnalysisCheck, NaNIsNoData) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto m = eval(check(std::nullopt, 0.01), QueryResult::ofValue(nan));
  EXPECT_EQ(m.verdict, Verdict::Inconclusive);  // the default policy
  EXPECT_FALSE(m.value);
  EXPECT_NE(m.message.find("no data (the query returned NaN)"), std::string::npos) << m.message;
  EXPECT_EQ(eval(check(std::nullopt, 0.01, NoDataPolicy::Fail), QueryResult::ofValue(nan)).verdict,
            Verdict::Failed);
}

TEST(AnalysisCheck, SeveralSeriesIsAnErrorShowingTheQuery) {
  QueryResult r;
  r.kind = QueryResult::Kind::SeveralSeries;
  r.seriesCount = 7;
  r.series = {{{"__name__", "errors"}, {"pod", "a"}}, {{"pod", "b"}}};
  auto m = eval(check(std::nullopt, 0.01), r);
  EXPECT_EQ(m.verdict, Verdict::Error);
  EXPECT_EQ(m.reason, "SeveralSeries");
  EXPECT_NE(m.message.find("returned 7 series"), std::string::npos) << m.message;
  EXPECT_NE(m.message.find(kQuery), std::string::npos) << m.message;
  EXPECT_NE(m.message.find(R"(errors{pod="a"}, {pod="b"}, and 5 more)"), std::string::npos)
      << m.message;
}

TEST(AnalysisCheck, ProviderErrorIsAnError) {
  auto m = eval(
      check(std::nullopt, 0.01),
      core::Error{"Prometheus http://p:9090 is unreachable: refused", 0, "ProviderUnavailable"});
  EXPECT_EQ(m.verdict, Verdict::Error);
  EXPECT_EQ(m.reason, "ProviderUnavailable");
  EXPECT_EQ(m.message, "error-rate: Prometheus http://p:9090 is unreachable: refused");
}

TEST(AnalysisCheck, MeasureRendersTheTemplate) {
  FakeMetricsProvider fake;
  fake.set(R"(errors{version="2.0"})", QueryResult::ofValue(0.5));
  MetricCheck c = check(std::nullopt, 1);
  c.query = R"(errors{version="{{canary.version}}"})";
  QueryVars vars;
  vars.canaryVersion = "2.0";
  auto m = analysis::measure(c, fake, vars, kNow);
  EXPECT_EQ(m.verdict, Verdict::Passed);
  EXPECT_EQ(m.query, R"(errors{version="2.0"})");

  c.query = R"(errors{x="{{oops}}"})";
  m = analysis::measure(c, fake, vars, kNow);
  EXPECT_EQ(m.verdict, Verdict::Error);
  EXPECT_EQ(m.reason, "QueryInvalid");
  EXPECT_NE(m.message.find("unknown placeholder {{oops}}"), std::string::npos) << m.message;
  EXPECT_EQ(fake.queries().size(), 1u);  // the bad template never reached the provider
}

TEST(AnalysisCheck, NamesAndValues) {
  EXPECT_EQ(analysis::formatValue(0.034), "0.034");
  EXPECT_EQ(analysis::formatValue(12), "12");
  EXPECT_EQ(analysis::formatValue(1e-05), "1e-05");
  EXPECT_EQ(analysis::parseNoDataPolicy("Pass"), NoDataPolicy::Pass);
  EXPECT_EQ(analysis::parseNoDataPolicy("pass"), std::nullopt);
  EXPECT_STREQ(analysis::toString(Verdict::Inconclusive), "Inconclusive");
}

}  // namespace
