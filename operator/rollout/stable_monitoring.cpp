#include <algorithm>

#include "rollout/planning.h"

namespace mlmodel::rollout::planning {
namespace {

// The message of the newest failed measurement kept.
std::string latestFailure(const MonitoringStatus& ms) {
  std::string out;
  for (const auto& x : ms.lastMeasurements) {
    if (x.verdict == analysis::Verdict::Failed) out = x.message;
  }
  return out;
}

}  // namespace

// Continuous verification of a settled stable version. `requireCurrent`: the stable
// Deployment must run the spec's target (false while the target is a refused version).
void Planner::monitor(bool requireCurrent) {
  const api::MonitoringSpec* m = in_.monitoring;
  auto& ms = st_.monitoring;
  if (!m || !m->enabled || m->metrics.empty()) {
    ms = {};
    return;
  }
  if (!in_.stable.done || (requireCurrent && !in_.stable.current)) return;
  if (!ms.nextCheckAt) {
    ms.nextCheckAt = in_.now + m->interval;
    requeueAt(*ms.nextCheckAt);
    return;
  }
  const bool wasDegraded = ms.consecutiveFailures >= m->failureLimit;
  if (in_.now >= *ms.nextCheckAt) takeMonitoringRound(*m);
  requeueAt(*ms.nextCheckAt);
  judgeMonitoring(*m, wasDegraded);
}

// The stable version's due check; while it is measured elsewhere nothing changes.
void Planner::takeMonitoringRound(const api::MonitoringSpec& m) {
  auto& ms = st_.monitoring;
  analysis::QueryVars vars;
  vars.name = in_.name;
  vars.namespaceName = in_.ns;
  vars.canaryVersion = st_.stable.revision.version;
  vars.stableVersion = st_.stable.revision.version;
  vars.interval = m.interval;
  const auto taken =
      rounds_.round({.id = in_.ns + "/" + in_.name + "|stable|" + st_.stable.revision.templateHash +
                           "|" + epochMillis(*ms.nextCheckAt),
                     .modelKey = in_.ns + "/" + in_.name,
                     .ns = in_.ns,
                     .checks = checksOf(m.metrics),
                     .prometheus = m.prometheus,
                     .vars = vars,
                     .now = in_.now});
  if (!taken) {
    waiting_ = true;
    return;
  }
  recordMonitoringRound(m, *taken);
}

void Planner::recordMonitoringRound(const api::MonitoringSpec& m,
                                    const std::vector<analysis::Measurement>& round) {
  auto& ms = st_.monitoring;
  plan_.measured = round;
  plan_.measuredTrack = "stable";
  const auto has = [&](analysis::Verdict v) {
    return std::any_of(round.begin(), round.end(),
                       [v](const analysis::Measurement& x) { return x.verdict == v; });
  };
  if (has(analysis::Verdict::Failed)) {
    ++ms.failed;
    ++ms.consecutiveFailures;
    event(true, "MonitoringCheckFailed", roundSummary(round));
  } else if (has(analysis::Verdict::Error)) {
    ++ms.errors;
  } else if (!has(analysis::Verdict::Inconclusive)) {
    ++ms.passed;
    ms.consecutiveFailures = 0;
  }
  for (const auto& x : round) ms.lastMeasurements.push_back(x);
  if (ms.lastMeasurements.size() > kMeasurementsKept) {
    ms.lastMeasurements.erase(
        ms.lastMeasurements.begin(),
        ms.lastMeasurements.begin() +
            static_cast<long>(ms.lastMeasurements.size() - kMeasurementsKept));
  }
  ms.lastCheckAt = in_.now;
  ms.nextCheckAt = in_.now + m.interval;
}

// Degraded after failureLimit failed rounds in a row (and rolled back when asked);
// Recovered once a round passes again.
void Planner::judgeMonitoring(const api::MonitoringSpec& m, bool wasDegraded) {
  const auto& ms = st_.monitoring;
  if (ms.consecutiveFailures < m.failureLimit) {
    if (wasDegraded) event(false, "Recovered", "the monitoring checks pass again");
    return;
  }
  std::string why = std::to_string(ms.consecutiveFailures) +
                    " monitoring rounds failed in a row; last: " + latestFailure(ms);
  plan_.degraded = RolloutCondition{"MetricsFailing", why};
  if (!wasDegraded) {
    event(true, "Degraded", "version " + describe(st_.stable.revision) + ": " + why);
  }
  if (m.rollbackOnFailure) rollbackStable(why);
}

// Degraded with rollbackOnFailure: back to the previous stable revision in history.
void Planner::rollbackStable(const std::string& why) {
  const Revision bad = st_.stable.revision;
  const HistoryEntry* prev = nullptr;
  for (auto it = st_.history.rbegin(); it != st_.history.rend(); ++it) {
    if (it->outcome == kPromoted && it->revision.templateHash != bad.templateHash) {
      prev = &*it;
      break;
    }
  }
  if (!prev) {
    event(true, "RollbackImpossible",
          "version " + bad.version + " is degraded but history has no earlier stable version");
    return;
  }
  const Revision back = prev->revision;
  const WallTime since = st_.stable.since.value_or(in_.now);
  // The operator's own decision: monitoring found the stable version degraded.
  pushHistory({bad, kRolledBack, since, in_.now, "Degraded", why,
               Change{"mlmodel-operator", "", "", {}, "monitoring: " + why}});
  setStable(back, "");
  st_.lastRetry = in_.gates.retry;
  plan_.stable = back;
  plan_.degraded.reset();
  event(true, "RolledBack",
        "degraded version " + describe(bad) + " rolled back to " + describe(back) + ": " + why);
  plan_.stalled = RolloutCondition{
      "Degraded", "version " + bad.version + " was rolled back after it degraded: " + why};
}

}  // namespace mlmodel::rollout::planning
