#include <gtest/gtest.h>

#include <string>

#include "analysis/template.h"

using namespace std::chrono_literals;
using mlmodel::analysis::escapePromString;
using mlmodel::analysis::promDuration;
using mlmodel::analysis::QueryVars;
using mlmodel::analysis::renderQuery;

namespace {

QueryVars vars() {
  QueryVars v;
  v.name = "fraud";
  v.namespaceName = "models";
  v.canaryVersion = "1.4.0";
  v.stableVersion = "1.3.2";
  v.interval = 30s;
  return v;
}

TEST(AnalysisTemplate, ReplacesEveryPlaceholder) {
  auto r = renderQuery(
      R"(sum(rate(req_total{app="{{name}}",ns="{{namespace}}",version="{{canary.version}}"}[{{interval}}])))"
      R"( / sum(rate(req_total{version="{{stable.version}}"}[{{interval}}])))",
      vars());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), R"(sum(rate(req_total{app="fraud",ns="models",version="1.4.0"}[30s])))"
                       R"( / sum(rate(req_total{version="1.3.2"}[30s])))");
}

TEST(AnalysisTemplate, ToleratesSpacesInsideBraces) {
  auto r = renderQuery(R"(up{job="{{ name }}", v="{{	canary.version  }}"})", vars());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), R"(up{job="fraud", v="1.4.0"})");
}

TEST(AnalysisTemplate, LeavesTextWithoutPlaceholdersAlone) {
  const std::string q =
      R"(histogram_quantile(0.99, sum by (le) (rate(x_bucket{a=~"b{1,2}"}[1m]))))";
  auto r = renderQuery(q, vars());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value(), q);
}

TEST(AnalysisTemplate, UnknownPlaceholderIsAnErrorNamingIt) {
  auto r = renderQuery(R"(up{pod="{{ pod.name }}"})", vars());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown placeholder {{pod.name}}"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("{{canary.version}}"), std::string::npos);  // lists the known
}

TEST(AnalysisTemplate, UnclosedPlaceholderIsAnError) {
  auto r = renderQuery(R"(up{job="{{name"})", vars());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unclosed placeholder"), std::string::npos) << r.error().message;
}

TEST(AnalysisTemplate, EscapesValuesForDoubleQuotedStrings) {
  QueryVars v = vars();
  v.canaryVersion = R"(1.4"} or vector(1) or up{x="\)";
  v.name = "a\nb";
  auto r = renderQuery(R"(up{version="{{canary.version}}", job="{{name}}"})", v);
  ASSERT_TRUE(r) << r.error().message;
  // The value cannot end the string: the quote and the backslash are escaped.
  EXPECT_EQ(r.value(), R"(up{version="1.4\"} or vector(1) or up{x=\"\\", job="a\nb"})");
  EXPECT_EQ(escapePromString(R"(a\"b)"), R"(a\\\"b)");
}

TEST(AnalysisTemplate, IntervalIsAPromQLDuration) {
  EXPECT_EQ(promDuration(30s), "30s");
  EXPECT_EQ(promDuration(60s), "1m");
  EXPECT_EQ(promDuration(90s), "90s");
  EXPECT_EQ(promDuration(2min), "2m");
  EXPECT_EQ(promDuration(1h), "1h");
  EXPECT_EQ(promDuration(24h), "1d");
  EXPECT_EQ(promDuration(1500ms), "1500ms");
  QueryVars v = vars();
  v.interval = 5min;
  auto r = renderQuery("rate(x[{{interval}}])", v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), "rate(x[5m])");
}

}  // namespace
