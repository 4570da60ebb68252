#include "analysis/check.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace mlmodel::analysis {
namespace {

// How a NoData outcome is judged, with its words.
Verdict noDataVerdict(NoDataPolicy p) {
  switch (p) {
    case NoDataPolicy::Fail:
      return Verdict::Failed;
    case NoDataPolicy::Pass:
      return Verdict::Passed;
    case NoDataPolicy::Inconclusive:
      break;
  }
  return Verdict::Inconclusive;
}

std::string bounds(const MetricCheck& c) {
  if (c.min && c.max) return "[" + formatValue(*c.min) + ", " + formatValue(*c.max) + "]";
  if (c.min) return "min " + formatValue(*c.min);
  if (c.max) return "max " + formatValue(*c.max);
  return "no bounds";
}

std::string seriesList(const QueryResult& r) {
  std::string out;
  for (const auto& labels : r.series) {
    if (!out.empty()) out += ", ";
    out += formatLabels(labels);
  }
  if (r.seriesCount > r.series.size()) {
    out += ", and " + std::to_string(r.seriesCount - r.series.size()) + " more";
  }
  return out;
}

}  // namespace

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  return std::string(buf, end);
}

const char* toString(Verdict v) {
  switch (v) {
    case Verdict::Passed:
      return "Passed";
    case Verdict::Failed:
      return "Failed";
    case Verdict::Inconclusive:
      return "Inconclusive";
    case Verdict::Error:
      break;
  }
  return "Error";
}

const char* toString(NoDataPolicy p) {
  switch (p) {
    case NoDataPolicy::Fail:
      return "Fail";
    case NoDataPolicy::Pass:
      return "Pass";
    case NoDataPolicy::Inconclusive:
      break;
  }
  return "Inconclusive";
}

std::optional<NoDataPolicy> parseNoDataPolicy(const std::string& s) {
  if (s == "Fail") return NoDataPolicy::Fail;
  if (s == "Pass") return NoDataPolicy::Pass;
  if (s == "Inconclusive") return NoDataPolicy::Inconclusive;
  return std::nullopt;
}

Measurement evaluate(const MetricCheck& check, const std::string& query,
                     const core::Result<QueryResult>& result, core::WallTime now) {
  Measurement m;
  m.metric = check.name;
  m.query = query;
  m.time = now;
  if (!result) {
    m.verdict = Verdict::Error;
    m.reason = result.error().reason.empty() ? kReasonProviderUnavailable : result.error().reason;
    m.message = check.name + ": " + result.error().message;
    return m;
  }
  const QueryResult& r = result.value();
  if (r.kind == QueryResult::Kind::SeveralSeries) {
    m.verdict = Verdict::Error;
    m.reason = kReasonSeveralSeries;
    m.message = check.name + ": the query returned " + std::to_string(r.seriesCount) +
                " series, but a check needs exactly one (aggregate with sum() or avg(), or "
                "select by more labels): " +
                query + " returned " + seriesList(r);
    return m;
  }
  if (r.kind == QueryResult::Kind::NoData || std::isnan(r.value)) {
    m.verdict = noDataVerdict(check.onNoData);
    m.reason = kReasonNoData;
    const std::string what = r.kind == QueryResult::Kind::NoData
                                 ? "no data (the query returned no series)"
                                 : "no data (the query returned NaN)";
    m.message = check.name + ": " + what + ", counted as " + toString(m.verdict) +
                " (onNoData: " + toString(check.onNoData) + "): " + query;
    return m;
  }
  const double v = r.value;
  m.value = v;
  m.reason = kReasonThreshold;
  // Six significant digits: enough to judge against a threshold, short enough to read.
  char digits[32];
  std::snprintf(digits, sizeof digits, "%.6g", v);
  const std::string shown =
      check.name + " = " + (std::isfinite(v) ? std::string(digits) : formatValue(v));
  if (check.min && v < *check.min) {
    m.verdict = Verdict::Failed;
    m.message = shown + " < min " + formatValue(*check.min);
  } else if (check.max && v > *check.max) {
    m.verdict = Verdict::Failed;
    m.message = shown + " > max " + formatValue(*check.max);
  } else {
    m.verdict = Verdict::Passed;
    m.message = shown + " within " + bounds(check);
  }
  return m;
}

Measurement measure(const MetricCheck& check, MetricsProvider& provider, const QueryVars& vars,
                    core::WallTime now) {
  auto rendered = renderQuery(check.query, vars);
  if (!rendered) {
    return evaluate(check, check.query,
                    core::Error{rendered.error().message, 0, kReasonQueryInvalid}, now);
  }
  return evaluate(check, rendered.value(), provider.query(rendered.value()), now);
}

}  // namespace mlmodel::analysis
