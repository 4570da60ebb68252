#include "rollout/planning.h"

namespace mlmodel::rollout::planning {

// The canary Deployment at this step's size and, with Gateway API, the route's weight.
Pass Planner::scaleAndRoute() {
  CanaryStatus& c = canary();
  const auto& steps = canarySpec()->steps;
  const int want = canaryReplicasFor(c.weight, in_.replicas);
  plan_.canaryReplicas = want;
  const auto& cv = in_.canary;
  pass_.want = want;
  pass_.ready = cv.exists && cv.current && cv.desired == want && cv.available >= want;
  if (gateway()) {
    // Never route to canary pods that are not ready at this step's size.
    const int prevWeight = c.step == 0 ? 0 : steps[static_cast<size_t>(c.step - 1)].weight;
    plan_.routeCanaryWeight = pass_.ready ? c.weight : prevWeight;
    c.actualWeight = *plan_.routeCanaryWeight;
  } else {
    c.actualWeight = actualWeight(cv.ready, in_.stable.ready);
  }
  pass_.where = "step " + std::to_string(c.step + 1) + " of " + std::to_string(steps.size()) +
                ", weight " + pct(c.weight) + " (actual " + pct(c.actualWeight) + ")";
  return Pass::Continue;
}

// Nothing more happens until the canary is available at this step's size; past the
// progress deadline it is rolled back.
Pass Planner::awaitReadyCanary() {
  CanaryStatus& c = canary();
  if (pass_.ready) {
    c.notReadySince.reset();
    return Pass::Continue;
  }
  const std::string pods = std::to_string(in_.canary.available) + " of " +
                           std::to_string(pass_.want) + " canary pods available";
  if (c.phase == CanaryPhase::Paused) {
    // As for a paused Deployment, the progress deadline does not run while paused: it
    // starts afresh on resume.
    c.notReadySince.reset();
    c.message = "paused at " + pass_.where + "; " + pods;
    plan_.reconciling = RolloutCondition{"Paused", c.message};
    return Pass::Done;
  }
  const auto deadlineAfter = canarySpec()->progressDeadline;
  if (!c.notReadySince) c.notReadySince = in_.now;
  const WallTime deadline = *c.notReadySince + deadlineAfter;
  if (in_.now >= deadline) {
    rollback(kRolledBack, "ProgressDeadlineExceeded",
             pods + " after the progress deadline of " +
                 std::to_string(deadlineAfter.count() / 1000) + "s");
    return Pass::Done;
  }
  c.message = "waiting for the canary: " + pods + "; " + pass_.where;
  plan_.reconciling = RolloutCondition{"CanaryNotReady", c.message};
  requeueAt(deadline);
  return Pass::Done;
}

}  // namespace mlmodel::rollout::planning
