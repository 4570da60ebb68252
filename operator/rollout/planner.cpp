#include "rollout/planner.h"

#include <algorithm>
#include <cmath>
#include <future>

#include "analysis/check.h"
#include "rollout/planning.h"

namespace mlmodel::rollout {

std::vector<analysis::Measurement> measureRound(const RoundRequest& request,
                                                ProviderSource& providers) {
  const auto& checks = request.checks;
  const auto& vars = request.vars;
  const WallTime now = request.now;
  std::vector<analysis::Measurement> round;
  core::Result<std::shared_ptr<analysis::MetricsProvider>> p =
      request.prometheus ? providers.provider(request.ns, *request.prometheus)
                         : core::Result<std::shared_ptr<analysis::MetricsProvider>>(core::Error{
                               "no prometheus configured", 0, analysis::kReasonQueryInvalid});
  if (p && checks.size() > 1) {
    // At once, so that a round takes as long as its slowest query (at most the 30 s a
    // query may take), not their sum.
    std::vector<std::future<analysis::Measurement>> pending;
    pending.reserve(checks.size());
    for (const auto& c : checks) {
      pending.push_back(std::async(std::launch::async, [&c, &provider = *p.value(), &vars, now] {
        return analysis::measure(c, provider, vars, now);
      }));
    }
    for (auto& f : pending) round.push_back(f.get());
    return round;
  }
  if (!p) return errorRound(request, p.error().reason, p.error().message);
  for (const auto& c : checks) round.push_back(analysis::measure(c, *p.value(), vars, now));
  return round;
}

std::vector<analysis::Measurement> errorRound(const RoundRequest& request,
                                              const std::string& reason, const std::string& why) {
  std::vector<analysis::Measurement> round;
  for (const auto& c : request.checks) {
    analysis::Measurement m;
    m.metric = c.name;
    m.query = c.query;
    m.verdict = analysis::Verdict::Error;
    m.reason = reason;
    m.message = c.name + ": " + why;
    m.time = request.now;
    round.push_back(std::move(m));
  }
  return round;
}

namespace planning {

// One pass, as a flat list of steps (the shape of Argo Rollouts' rollout/canary.go), in
// order until one finishes the plan: which revision the stable and canary Deployments run.
Plan Planner::run() {
  static constexpr Step kSteps[] = {
      &Planner::firstDeployment,      // a model's first version goes straight to stable
      &Planner::revertToStable,       // the spec is back at stable: the canary goes
      &Planner::continueCanary,       // the spec still asks for the running canary
      &Planner::supersedeCanary,      // the spec changed mid-rollout: the canary ends
      &Planner::unchangedTarget,      // nothing to roll out: keep and watch stable
      &Planner::refusedTarget,        // a failed version waits for a retry
      &Planner::deployWithoutCanary,  // no canary configured, or known good
      &Planner::newCanary,            // start a canary beside stable
  };
  runSteps(kSteps);
  return std::move(plan_);
}

void Planner::runSteps(std::span<const Step> steps) {
  for (const Step s : steps) {
    if ((this->*s)() == Pass::Done) return;
  }
}

void Planner::advanceCanary() {
  static constexpr Step kSteps[] = {
      &Planner::abortGate,          // the abort annotation rolls back
      &Planner::promoteRequest,     // the promote annotation (or no steps left) promotes
      &Planner::promotion,          // once promoting, only the promotion runs
      &Planner::fitStepToSpec,      // the step index within the spec's steps
      &Planner::pauseGate,          // spec.rollout.paused: Paused / Resumed
      &Planner::scaleAndRoute,      // canary replicas (and route weight) for the step
      &Planner::awaitReadyCanary,   // hold until ready; roll back past the deadline
      &Planner::startStepClock,     // the step's pause and first round start now
      &Planner::takeDueRound,       // the analysis round due; a failed run rolls back
      &Planner::holdWhilePaused,    // paused: the step does not move
      &Planner::holdWhileMeasured,  // the round due is still being measured
      &Planner::stepOrPromote,      // pause over with a passing round: next step
      &Planner::progressMessage,    // otherwise say what the step waits for
  };
  runSteps(kSteps);
}

}  // namespace planning

int canaryReplicasFor(int weight, int stableReplicas) {
  stableReplicas = std::max(stableReplicas, 1);
  weight = std::clamp(weight, 1, 99);
  const int n = static_cast<int>(std::lround(stableReplicas * weight / (100.0 - weight)));
  return std::clamp(n, 1, stableReplicas);
}

int actualWeight(int canaryReady, int stableReady) {
  const int total = canaryReady + stableReady;
  if (canaryReady <= 0 || total <= 0) return 0;
  return static_cast<int>(std::lround(100.0 * canaryReady / total));
}

Plan planRollout(const PlanInput& in, RoundSource& rounds) {
  return planning::Planner(in, rounds).run();
}

Plan planRollout(const PlanInput& in, ProviderSource& providers) {
  DirectRounds rounds(providers);
  return planning::Planner(in, rounds).run();
}

}  // namespace mlmodel::rollout
