#pragma once

#include <optional>
#include <string>

#include "analysis/provider.h"
#include "analysis/template.h"
#include "core/clock.h"
#include "core/result.h"

namespace mlmodel::analysis {

// What an empty result or NaN counts as.
enum class NoDataPolicy { Fail, Pass, Inconclusive };

// One metric check, as spec.rollout.canary.analysis.metrics[] declares it.
struct MetricCheck {
  std::string name{};           // e.g. "error-rate"
  std::string query{};          // a PromQL template (see renderQuery)
  std::optional<double> min{};  // lowest passing value, inclusive
  std::optional<double> max{};  // highest passing value, inclusive
  NoDataPolicy onNoData = NoDataPolicy::Inconclusive;
};

enum class Verdict {
  Passed,        // the value is within [min, max] (or no data with onNoData: Pass)
  Failed,        // outside the bounds (or no data with onNoData: Fail)
  Inconclusive,  // no data with onNoData: Inconclusive: no evidence either way
  Error,         // not measured: provider error, invalid query, several series
};

// Reason values of a Measurement besides the provider's kReason* ones.
inline constexpr const char* kReasonNoData = "NoData";                // empty result or NaN
inline constexpr const char* kReasonSeveralSeries = "SeveralSeries";  // not one sample
inline constexpr const char* kReasonThreshold = "Threshold";          // compared with bounds

// One check's outcome at one time: what goes into status, Events and logs.
struct Measurement {
  std::string metric{};
  std::string query{};            // the resolved query that ran
  std::optional<double> value{};  // absent when there was no number (no data, NaN, error)
  Verdict verdict = Verdict::Error;
  std::string reason{};   // Threshold, NoData, SeveralSeries, or the Error's reason
  std::string message{};  // why, e.g. "error-rate = 0.034 > max 0.01"
  core::WallTime time{};
};

// Judges one query result against a check. `query` is the resolved query (it appears in
// messages); `now` stamps the measurement.
//   value < min or value > max          -> Failed ("error-rate = 0.034 > max 0.01")
//   no data or NaN                      -> per onNoData, the message says "no data"
//   several series, provider error      -> Error (the message shows the query)
Measurement evaluate(const MetricCheck& check, const std::string& query,
                     const core::Result<QueryResult>& result, core::WallTime now);

// Renders the check's query, runs it and judges the result (a template error is an Error
// measurement with reason QueryInvalid, the template in place of the query).
Measurement measure(const MetricCheck& check, MetricsProvider& provider, const QueryVars& vars,
                    core::WallTime now);

const char* toString(Verdict v);
const char* toString(NoDataPolicy p);
// "Fail", "Pass" or "Inconclusive"; anything else is nullopt.
std::optional<NoDataPolicy> parseNoDataPolicy(const std::string& s);

// A number as briefly as it round-trips: 0.034, 1e-05, 12, NaN, +Inf.
std::string formatValue(double v);

}  // namespace mlmodel::analysis
