#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "analysis/check.h"
#include "analysis/provider.h"
#include "analysis/template.h"
#include "core/clock.h"

namespace mlmodel::analysis {

// Reasons of a Failed AnalysisRun (for the rollout's condition and Event).
inline constexpr const char* kReasonAnalysisFailed = "AnalysisFailed";  // failureLimit reached
inline constexpr const char* kReasonAnalysisErrors = "AnalysisErrors";  // could not measure

struct AnalysisRunOptions {
  int failureLimit = 2;           // rounds with a Failed measurement that fail the run
  int consecutiveErrorLimit = 4;  // rounds in a row with an Error measurement that fail it
  size_t historyLimit = 20;       // measurements kept, newest last
};

enum class AnalysisState {
  Running,  // no verdict yet: keep measuring (see lastRound() for why)
  Passed,   // the latest round passed every check, and the run has not failed
  Failed,   // a limit was reached; final: the rollout must not promote
};

// Counts of rounds. A round is Passed when every check Passed; it counts as failed when
// any check Failed, as an error when any check had an Error (a round can be both), and as
// inconclusive when it is neither and some check was Inconclusive.
struct AnalysisCounts {
  int rounds = 0;
  int passed = 0;
  int failed = 0;
  int inconclusive = 0;
  int errors = 0;
  int consecutiveErrors = 0;  // error rounds since the last round without one
};

// The bookkeeping of one canary step's analysis. The rollout drives it: once per interval
// it calls measure() (or record() with measurements taken elsewhere), then reads state().
// It never promotes on missing evidence: Inconclusive and Error rounds are not passes;
// failures accumulate, errors only in a row; either limit makes the run Failed for good.
// How many passed rounds a step needs is the rollout's to decide (counts().passed).
// Not thread-safe: one reconciler owns a run.
//   AnalysisRun run(checks, {.failureLimit = 2, .consecutiveErrorLimit = 4}, clock);
//   run.measure(provider, vars);
//   if (run.state() == AnalysisState::Failed) rollback(run.reason(), run.message());
//   else if (run.lastRound() == Verdict::Inconclusive) waitAndSay(run.message());
class AnalysisRun {
 public:
  AnalysisRun(std::vector<MetricCheck> checks, AnalysisRunOptions options,
              const core::Clock& clock);

  // Measures every check once, with wall-clock timestamps, and records the round.
  Verdict measure(MetricsProvider& provider, const QueryVars& vars);
  // Records one round's measurements (one per check); returns the round's verdict:
  // Failed > Error > Inconclusive > Passed. An empty round is an Error round.
  Verdict record(std::vector<Measurement> round);

  // Continues a run whose counts and measurements were kept elsewhere (in status, across
  // restarts). The state becomes Running; the next record() applies the limits.
  void restore(const AnalysisCounts& counts, std::deque<Measurement> history);

  AnalysisState state() const { return state_; }
  // The latest round's verdict; Inconclusive before the first round.
  Verdict lastRound() const { return lastRound_; }
  // When Failed: kReasonAnalysisFailed or kReasonAnalysisErrors. Otherwise empty.
  const std::string& reason() const { return reason_; }
  // When Failed, why, with the metrics and their values; otherwise the latest round's
  // measurements that were not Passed (or a summary of the passes).
  const std::string& message() const { return message_; }
  const AnalysisCounts& counts() const { return counts_; }
  // The latest measurements, oldest first, at most historyLimit.
  const std::deque<Measurement>& history() const { return history_; }
  const std::vector<MetricCheck>& checks() const { return checks_; }

 private:
  void updateState(const std::vector<Measurement>& round, Verdict verdict, bool failed,
                   bool errored);

  const std::vector<MetricCheck> checks_;
  const AnalysisRunOptions options_;
  const core::Clock& clock_;
  AnalysisState state_ = AnalysisState::Running;
  Verdict lastRound_ = Verdict::Inconclusive;
  std::string reason_;
  std::string message_;
  AnalysisCounts counts_;
  std::deque<Measurement> history_;
};

const char* toString(AnalysisState s);

}  // namespace mlmodel::analysis
