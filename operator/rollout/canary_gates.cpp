#include <algorithm>

#include "rollout/planning.h"

namespace mlmodel::rollout::planning {

// An abort annotation naming the canary's version rolls it back at once.
Pass Planner::abortGate() {
  const std::string& abort = in_.gates.abort;
  if (abort.empty() || abort != canary().revision.version) return Pass::Continue;
  rollback(kAborted, "AbortRequested",
           std::string("abort requested (annotation ") + api::kAbortAnnotation + "=" + abort + ")");
  return Pass::Done;
}

// A promote annotation naming the canary's version, or a spec left without steps, skips
// the remaining steps.
Pass Planner::promoteRequest() {
  CanaryStatus& c = canary();
  const api::CanarySpec* spec = canarySpec();
  const bool asked = !in_.gates.promote.empty() && in_.gates.promote == c.revision.version;
  const bool noSteps = !spec || spec->steps.empty();
  if (c.phase == CanaryPhase::Promoting || (!asked && !noSteps)) return Pass::Continue;
  c.phase = CanaryPhase::Promoting;
  event(false, "PromoteRequested",
        asked
            ? "promoting canary " + describe(c.revision) +
                  " now, skipping the remaining steps (annotation " + api::kPromoteAnnotation + ")"
            : "the rollout has no canary steps any more: promoting " + describe(c.revision));
  return Pass::Continue;
}

// Once promoting, nothing but the promotion runs (no gate, no analysis).
Pass Planner::promotion() {
  if (canary().phase != CanaryPhase::Promoting) return Pass::Continue;
  promote();
  return Pass::Done;
}

// spec.rollout.paused, as Paused and Resumed transitions.
Pass Planner::pauseGate() {
  CanaryStatus& c = canary();
  if (in_.gates.paused && c.phase != CanaryPhase::Paused) {
    c.phase = CanaryPhase::Paused;
    event(false, "Paused",
          "rollout of " + describe(c.revision) + " paused at step " + std::to_string(c.step + 1) +
              " (weight " + pct(c.weight) + ")");
  } else if (!in_.gates.paused && c.phase == CanaryPhase::Paused) {
    c.phase = CanaryPhase::Progressing;
    event(false, "Resumed",
          "rollout of " + describe(c.revision) + " resumed at step " + std::to_string(c.step + 1));
  }
  return Pass::Continue;
}

// Stable takes the canary's revision; the canary goes once stable has rolled it out.
void Planner::promote() {
  CanaryStatus& c = canary();
  plan_.stable = c.revision;
  const int want = canaryReplicasFor(std::max(c.weight, 1), in_.replicas);
  plan_.canaryReplicas = want;  // keeps serving until stable runs the new version
  if (gateway()) plan_.routeCanaryWeight = c.weight;
  if (in_.stable.current && in_.stable.done) {
    const Revision r = c.revision;
    const Change change = c.change;
    const WallTime started = c.startedAt;
    const std::string how =
        c.analysis.counts.rounds > 0
            ? std::to_string(c.analysis.counts.passed) + " analysis rounds passed"
            : "no analysis configured";
    st_.canary.reset();
    plan_.canaryReplicas.reset();
    if (gateway()) plan_.routeCanaryWeight = 0;
    setStable(r, in_.target.templateHash == r.templateHash ? in_.targetResolvedAt : "");
    pushHistory({r, kPromoted, started, in_.now, "Promoted", how, change});
    event(false, "Promoted", "version " + describe(r) + " is stable (" + how + ")");
    return;
  }
  c.message = "promoting: the stable Deployment is rolling out version " + c.revision.version;
  plan_.reconciling = RolloutCondition{"Promoting", c.message};
}

}  // namespace mlmodel::rollout::planning
