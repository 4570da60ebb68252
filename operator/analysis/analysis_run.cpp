#include "analysis/analysis_run.h"

#include <algorithm>

namespace mlmodel::analysis {
namespace {

// The messages of a round's measurements with verdict `v`, joined.
std::string messagesOf(const std::vector<Measurement>& round, Verdict v) {
  std::string out;
  for (const auto& m : round) {
    if (m.verdict != v) continue;
    if (!out.empty()) out += "; ";
    out += m.message;
  }
  return out;
}

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

const char* toString(AnalysisState s) {
  switch (s) {
    case AnalysisState::Running:
      return "Running";
    case AnalysisState::Passed:
      return "Passed";
    case AnalysisState::Failed:
      break;
  }
  return "Failed";
}

AnalysisRun::AnalysisRun(std::vector<MetricCheck> checks, AnalysisRunOptions options,
                         const core::Clock& clock)
    : checks_(std::move(checks)), options_(options), clock_(clock) {}

Verdict AnalysisRun::measure(MetricsProvider& provider, const QueryVars& vars) {
  std::vector<Measurement> round;
  round.reserve(checks_.size());
  for (const auto& check : checks_) {
    round.push_back(analysis::measure(check, provider, vars, clock_.wallNow()));
  }
  return record(std::move(round));
}

void AnalysisRun::restore(const AnalysisCounts& counts, std::deque<Measurement> history) {
  counts_ = counts;
  history_ = std::move(history);
  while (history_.size() > options_.historyLimit) history_.pop_front();
  state_ = AnalysisState::Running;
}

Verdict AnalysisRun::record(std::vector<Measurement> round) {
  const auto has = [&](Verdict v) {
    return std::any_of(round.begin(), round.end(),
                       [v](const Measurement& m) { return m.verdict == v; });
  };
  const bool failed = has(Verdict::Failed);
  const bool errored = round.empty() || has(Verdict::Error);
  const bool inconclusive = has(Verdict::Inconclusive);

  ++counts_.rounds;
  if (failed) ++counts_.failed;
  if (errored) {
    ++counts_.errors;
    ++counts_.consecutiveErrors;
  } else {
    counts_.consecutiveErrors = 0;
  }
  Verdict verdict = Verdict::Passed;
  if (failed) {
    verdict = Verdict::Failed;
  } else if (errored) {
    verdict = Verdict::Error;
  } else if (inconclusive) {
    verdict = Verdict::Inconclusive;
    ++counts_.inconclusive;
  } else {
    ++counts_.passed;
  }
  lastRound_ = verdict;
  updateState(round, verdict, failed, errored);
  for (auto& m : round) history_.push_back(std::move(m));
  while (history_.size() > options_.historyLimit) history_.pop_front();
  return verdict;
}

void AnalysisRun::updateState(const std::vector<Measurement>& round, Verdict verdict, bool failed,
                              bool errored) {
  if (state_ == AnalysisState::Failed) return;  // final: keep the first reason
  if (failed && counts_.failed >= options_.failureLimit) {
    state_ = AnalysisState::Failed;
    reason_ = kReasonAnalysisFailed;
    message_ = plural(counts_.failed, "failed round") + " (failureLimit " +
               std::to_string(options_.failureLimit) +
               "); last: " + messagesOf(round, Verdict::Failed);
    return;
  }
  const std::string errors =
      round.empty() ? "no checks to measure" : messagesOf(round, Verdict::Error);
  if (errored && counts_.consecutiveErrors >= options_.consecutiveErrorLimit) {
    state_ = AnalysisState::Failed;
    reason_ = kReasonAnalysisErrors;
    message_ = plural(counts_.consecutiveErrors, "round") +
               " in a row could not be measured (consecutiveErrorLimit " +
               std::to_string(options_.consecutiveErrorLimit) + "); last: " + errors;
    return;
  }
  state_ = verdict == Verdict::Passed ? AnalysisState::Passed : AnalysisState::Running;
  switch (verdict) {
    case Verdict::Passed:
      message_ = messagesOf(round, Verdict::Passed);
      break;
    case Verdict::Failed:
      message_ = plural(counts_.failed, "failed round") + " of failureLimit " +
                 std::to_string(options_.failureLimit) + ": " + messagesOf(round, Verdict::Failed);
      break;
    case Verdict::Error:
      message_ =
          plural(counts_.consecutiveErrors, "round") + " in a row of consecutiveErrorLimit " +
          std::to_string(options_.consecutiveErrorLimit) + " could not be measured: " + errors;
      break;
    case Verdict::Inconclusive:
      message_ = messagesOf(round, Verdict::Inconclusive);
      break;
  }
}

}  // namespace mlmodel::analysis
