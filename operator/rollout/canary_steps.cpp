#include <algorithm>

#include "rollout/planning.h"

namespace mlmodel::rollout::planning {

// The spec may have lost steps since the canary started: stay within the ones it has.
Pass Planner::fitStepToSpec() {
  CanaryStatus& c = canary();
  const auto& steps = canarySpec()->steps;
  c.step = std::clamp(c.step, 0, static_cast<int>(steps.size()) - 1);
  c.weight = steps[static_cast<size_t>(c.step)].weight;
  return Pass::Continue;
}

// A step's pause starts once its canary is ready; its first round is due an interval on.
Pass Planner::startStepClock() {
  CanaryStatus& c = canary();
  if (c.stepStartedAt) return Pass::Continue;
  c.stepStartedAt = in_.now;
  c.nextAnalysisAt =
      analysed() ? std::optional(in_.now + canarySpec()->analysis.interval) : std::nullopt;
  return Pass::Continue;
}

// Paused: analysis keeps running, the step does not move.
Pass Planner::holdWhilePaused() {
  CanaryStatus& c = canary();
  if (c.phase != CanaryPhase::Paused) return Pass::Continue;
  c.message = "paused at " + pass_.where;
  plan_.reconciling = RolloutCondition{"Paused", c.message};
  if (analysed() && c.nextAnalysisAt) requeueAt(*c.nextAnalysisAt);
  return Pass::Done;
}

// Nothing advances on an older round while the one due is being taken.
Pass Planner::holdWhileMeasured() {
  if (!waiting_) return Pass::Continue;
  plan_.reconciling = RolloutCondition{"CanaryProgressing", canary().message};
  requeueAt(*canary().nextAnalysisAt);
  return Pass::Done;
}

// The step's pause is over with a passing round behind it: the next step, or promotion
// after the last.
Pass Planner::stepOrPromote() {
  if (in_.now < stepEnd() || !evidence()) return Pass::Continue;
  CanaryStatus& c = canary();
  if (c.step + 1 < static_cast<int>(canarySpec()->steps.size())) {
    nextStep();
    return Pass::Done;
  }
  c.phase = CanaryPhase::Promoting;
  event(false, "Promoting", "canary " + describe(c.revision) + " passed every step: promoting");
  promote();
  return Pass::Done;
}

// The next step's weight; its pause and rounds start once the canary is ready at it, and
// the route keeps the previous weight until then.
void Planner::nextStep() {
  CanaryStatus& c = canary();
  const auto& steps = canarySpec()->steps;
  ++c.step;
  c.weight = steps[static_cast<size_t>(c.step)].weight;
  c.stepStartedAt.reset();
  c.nextAnalysisAt.reset();
  event(false, "StepAdvanced",
        "canary " + describe(c.revision) + ": step " + std::to_string(c.step + 1) + " of " +
            std::to_string(steps.size()) + ", weight " + pct(c.weight));
  plan_.canaryReplicas = canaryReplicasFor(c.weight, in_.replicas);
  if (gateway()) plan_.routeCanaryWeight = steps[static_cast<size_t>(c.step - 1)].weight;
  c.message = "moving to step " + std::to_string(c.step + 1) + " (weight " + pct(c.weight) + ")";
  plan_.reconciling = RolloutCondition{"CanaryProgressing", c.message};
  requeueAt(in_.now);
}

// The step holds: say where it is and what it waits for; look again when that is due.
Pass Planner::progressMessage() {
  CanaryStatus& c = canary();
  const auto& counts = c.analysis.counts;
  c.message = pass_.where;
  if (analysed()) {
    c.message += "; analysis: " + std::to_string(counts.passed) + " passed, " +
                 std::to_string(counts.failed) + " failed, " + std::to_string(counts.errors) +
                 " errors";
  }
  const WallTime end = stepEnd();
  if (!evidence() && in_.now >= end) c.message += "; waiting for a passing analysis";
  plan_.reconciling = RolloutCondition{"CanaryProgressing", c.message};
  if (in_.now < end) requeueAt(end);
  if (analysed() && c.nextAnalysisAt) requeueAt(*c.nextAnalysisAt);
  return Pass::Done;
}

// When the step's pause ends (the step has started: its canary was ready).
WallTime Planner::stepEnd() const {
  const CanaryStatus& c = *st_.canary;
  return *c.stepStartedAt + canarySpec()->steps[static_cast<size_t>(c.step)].pause;
}

// A round passed since the step started (or there is no analysis to wait for).
bool Planner::evidence() const {
  const CanaryStatus& c = *st_.canary;
  return !analysed() || (c.analysis.lastVerdict == "Passed" && c.analysis.lastRoundAt &&
                         *c.analysis.lastRoundAt >= *c.stepStartedAt);
}

}  // namespace mlmodel::rollout::planning
