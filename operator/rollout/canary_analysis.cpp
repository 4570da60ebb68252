#include "rollout/planning.h"

namespace mlmodel::rollout::planning {
namespace {

// Analysis rounds are recorded into a run restored from status; its clock is never read.
const core::Clock& unusedClock() { return core::SystemClock::instance(); }

}  // namespace

// The analysis round due, when one is; a failed analysis rolls the canary back.
Pass Planner::takeDueRound() {
  CanaryStatus& c = canary();
  if (!analysed() || !c.nextAnalysisAt || in_.now < *c.nextAnalysisAt) return Pass::Continue;
  return analyse(c, canarySpec()->analysis) ? Pass::Continue : Pass::Done;
}

// One analysis round of the canary; false when it ended the rollout.
bool Planner::analyse(CanaryStatus& c, const api::AnalysisSpec& an) {
  analysis::AnalysisRun run(checksOf(an.metrics),
                            {an.failureLimit, an.consecutiveErrorLimit, kMeasurementsKept},
                            unusedClock());
  run.restore(c.analysis.counts,
              {c.analysis.lastMeasurements.begin(), c.analysis.lastMeasurements.end()});
  const auto taken = rounds_.round(canaryRound(c, an, run.checks()));
  if (!taken) {
    waiting_ = true;
    return true;
  }
  const analysis::Verdict v = recordCanaryRound(c, an, run, *taken);
  announceRound(v, run, roundSummary(*taken));
  if (run.state() == analysis::AnalysisState::Failed) {
    rollback(kRolledBack, run.reason(), run.message());
    return false;
  }
  return true;
}

// The round due for the canary, named by when it fell due so that it is taken once.
RoundRequest Planner::canaryRound(const CanaryStatus& c, const api::AnalysisSpec& an,
                                  const std::vector<analysis::MetricCheck>& checks) const {
  analysis::QueryVars vars;
  vars.name = in_.name;
  vars.namespaceName = in_.ns;
  vars.canaryVersion = c.revision.version;
  vars.stableVersion = st_.stable.revision.version;
  vars.interval = an.interval;
  return {.id = in_.ns + "/" + in_.name + "|canary|" + c.revision.templateHash + "|" +
                std::to_string(c.analysis.counts.rounds) + "|" + epochMillis(*c.nextAnalysisAt),
          .modelKey = in_.ns + "/" + in_.name,
          .ns = in_.ns,
          .checks = checks,
          .prometheus = an.prometheus,
          .vars = vars,
          .now = in_.now};
}

analysis::Verdict Planner::recordCanaryRound(CanaryStatus& c, const api::AnalysisSpec& an,
                                             analysis::AnalysisRun& run,
                                             const std::vector<analysis::Measurement>& round) {
  plan_.measured = round;
  plan_.measuredTrack = "canary";
  const analysis::Verdict v = run.record(round);
  c.analysis.counts = run.counts();
  c.analysis.lastMeasurements.assign(run.history().begin(), run.history().end());
  c.analysis.lastVerdict = analysis::toString(v);
  c.analysis.lastRoundAt = in_.now;
  c.nextAnalysisAt = in_.now + an.interval;
  return v;
}

void Planner::announceRound(analysis::Verdict v, const analysis::AnalysisRun& run,
                            const std::string& summary) {
  switch (v) {
    case analysis::Verdict::Passed:
      event(false, "AnalysisPassed", summary);
      break;
    case analysis::Verdict::Failed:
      event(true, "AnalysisFailed", run.message());
      break;
    case analysis::Verdict::Error:
      event(true, "AnalysisError", run.message());
      break;
    case analysis::Verdict::Inconclusive:
      event(false, "AnalysisInconclusive", summary + " (no evidence: not a pass)");
      break;
  }
}

}  // namespace mlmodel::rollout::planning
