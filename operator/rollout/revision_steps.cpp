#include <algorithm>
#include <optional>

#include "rollout/planning.h"

namespace mlmodel::rollout::planning {
namespace {

// A rollout of this revision failed (or was aborted by hand): do not start it again
// until a retry is asked for. A copy: monitoring may still roll the stable back in the
// same plan, which adds to (and trims) the history it comes from.
std::optional<HistoryEntry> refused(const RolloutStatus& st, const Revision& r) {
  for (auto it = st.history.rbegin(); it != st.history.rend(); ++it) {
    if (it->revision.templateHash != r.templateHash) continue;
    const bool failed =
        it->outcome == kRolledBack || (it->outcome == kAborted && it->reason == "AbortRequested");
    return failed ? std::optional(*it) : std::nullopt;
  }
  return std::nullopt;
}

// This revision ran as stable before (same template, or same version and digest).
bool knownGood(const RolloutStatus& st, const Revision& r) {
  return std::any_of(st.history.begin(), st.history.end(), [&](const HistoryEntry& e) {
    if (e.outcome != kPromoted) return false;
    if (e.revision.templateHash == r.templateHash) return true;
    return !r.digest.empty() && e.revision.digest == r.digest && e.revision.version == r.version;
  });
}

}  // namespace

// The first deployment of a model has no canary.
Pass Planner::firstDeployment() {
  if (!st_.stable.revision.empty()) return Pass::Continue;
  st_.canary.reset();
  deployDirect("Deployed", "first version " + describe(in_.target));
  return Pass::Done;
}

// The spec went back to the stable version during a canary: the canary goes at once.
Pass Planner::revertToStable() {
  if (!st_.canary || in_.target.templateHash != st_.stable.revision.templateHash) {
    return Pass::Continue;
  }
  const Revision ended = st_.canary->revision;
  endCanary(kAborted, "RevertedToStable",
            "the spec went back to the stable version " + describe(st_.stable.revision));
  event(false, "CanaryEnded",
        "canary " + describe(ended) + " removed: the spec is back at stable " +
            describe(st_.stable.revision));
  steady();
  return Pass::Done;
}

Pass Planner::continueCanary() {
  if (!st_.canary || in_.target.templateHash != st_.canary->revision.templateHash) {
    return Pass::Continue;
  }
  advanceCanary();
  return Pass::Done;
}

// The spec changed during the rollout: this canary ends; the new target starts afresh.
Pass Planner::supersedeCanary() {
  if (!st_.canary) return Pass::Continue;
  event(false, "CanaryRestarted",
        "canary " + describe(st_.canary->revision) + " replaced by " + describe(in_.target) +
            " (the spec changed during the rollout)");
  endCanary(kAborted, "Superseded", "replaced by version " + in_.target.version);
  return Pass::Continue;
}

Pass Planner::unchangedTarget() {
  if (in_.target.templateHash != st_.stable.revision.templateHash) return Pass::Continue;
  steady();
  return Pass::Done;
}

// A target that failed before is held until a new retry value asks for it again.
Pass Planner::refusedTarget() {
  const auto failed = refused(st_, in_.target);
  if (!failed) return Pass::Continue;
  if (in_.gates.retry.empty() || in_.gates.retry == st_.lastRetry) {
    holdRefused(*failed);
    return Pass::Done;
  }
  st_.lastRetry = in_.gates.retry;
  event(false, "RetryRequested",
        "retrying version " + in_.target.version + " (annotation " + api::kRetryAnnotation + "=" +
            in_.gates.retry + ")");
  return Pass::Continue;
}

// No canary configured, or a version that ran as stable before: straight to stable.
Pass Planner::deployWithoutCanary() {
  const bool canaryConfigured = canarySpec() != nullptr;
  if (canaryConfigured && !knownGood(st_, in_.target)) return Pass::Continue;
  const Revision& t = in_.target;
  deployDirect(canaryConfigured ? "KnownGood" : "RollingUpdate",
               canaryConfigured
                   ? "version " + describe(t) + " ran as stable before: no canary needed"
                   : "rolling update to " + describe(t));
  return Pass::Done;
}

Pass Planner::newCanary() {
  startCanary();
  advanceCanary();
  return Pass::Done;
}

// The stable Deployment takes the target at once (first version, no canary configured,
// or a version that was stable before).
void Planner::deployDirect(const std::string& reason, const std::string& message) {
  plan_.stable = in_.target;
  plan_.rolloutStarted = true;
  setStable(in_.target, in_.targetResolvedAt);
  pushHistory({in_.target, kPromoted, in_.now, in_.now, reason, message, changeOfTarget()});
  // Creating or updating the Deployment has its own Event; only a skipped canary needs one.
  if (reason == "KnownGood") event(false, "CanarySkipped", message);
}

// Nothing to roll out: keep the stable Deployment as the spec says and watch it.
void Planner::steady() {
  plan_.stable = in_.target;
  // Version and digest may be refreshed (e.g. a re-resolved tag with the same template).
  st_.stable.revision = in_.target;
  if (!in_.targetResolvedAt.empty()) st_.stable.resolvedAt = in_.targetResolvedAt;
  if (!st_.stable.since) st_.stable.since = in_.now;
  if (gateway() && in_.status.canary) plan_.routeCanaryWeight = 0;
  monitor();
}

// The target failed before: say so until a retry is asked for.
void Planner::holdRefused(const HistoryEntry& failed) {
  // Stable keeps running what it ran; it is only recreated if it vanished.
  if (!in_.stable.exists) plan_.stable = st_.stable.revision;
  // ... and is still watched: the spec names the refused version, so the Deployment is not
  // "current" for it, but it runs the stable revision (the one rolled back to).
  monitor(false);
  const std::string what = failed.outcome == kRolledBack ? "rolled back" : "aborted";
  plan_.stalled = RolloutCondition{failed.reason.empty() ? std::string(kRolledBack) : failed.reason,
                                   "version " + failed.revision.version + " was " + what + ": " +
                                       failed.message + "; version " + st_.stable.revision.version +
                                       " keeps serving." + refusedHow(in_.target)};
}

void Planner::startCanary() {
  const auto& spec = *canarySpec();
  CanaryStatus c;
  c.revision = in_.target;
  c.step = 0;
  c.weight = spec.steps.empty() ? 0 : spec.steps[0].weight;
  c.startedAt = in_.now;
  c.change = changeOfTarget();
  plan_.rolloutStarted = true;
  st_.canary = c;
  event(false, "CanaryStarted",
        "canary " + describe(c.revision) + " started beside stable " +
            describe(st_.stable.revision) + ": step 1 of " + std::to_string(spec.steps.size()) +
            " at weight " + pct(c.weight));
}

}  // namespace mlmodel::rollout::planning
