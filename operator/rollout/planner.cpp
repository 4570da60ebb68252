#include "rollout/planner.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <span>

#include "analysis/analysis_run.h"
#include "analysis/check.h"

namespace mlmodel::rollout {
namespace {

using std::chrono::duration_cast;
using Millis = std::chrono::milliseconds;

constexpr size_t kMeasurementsKept = 20;

// Analysis rounds are recorded into a run restored from status; its clock is never read.
const core::Clock& unusedClock() { return core::SystemClock::instance(); }

std::string pct(int w) { return std::to_string(w) + "%"; }

std::string describe(const Revision& r) {
  return r.version + (r.digest.empty() ? "" : " (" + r.digest.substr(0, 19) + ")");
}

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

std::vector<analysis::MetricCheck> checksOf(const std::vector<api::MetricSpec>& specs) {
  std::vector<analysis::MetricCheck> out;
  for (const auto& m : specs) {
    analysis::MetricCheck c;
    c.name = m.name;
    c.query = m.query;
    c.min = m.min;
    c.max = m.max;
    c.onNoData =
        analysis::parseNoDataPolicy(m.onNoData).value_or(analysis::NoDataPolicy::Inconclusive);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

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

namespace {

// How often a plan waiting on a round measured elsewhere looks again (the source also
// queues the model the moment the round is in).
constexpr Millis kRoundRecheck{5000};

std::string epochMillis(WallTime t) {
  return std::to_string(duration_cast<Millis>(t.time_since_epoch()).count());
}

std::string roundSummary(const std::vector<analysis::Measurement>& round) {
  std::string out;
  for (const auto& m : round) {
    if (!out.empty()) out += "; ";
    out += m.message;
  }
  return out;
}

class Planner {
 public:
  Planner(const PlanInput& in, RoundSource& rounds) : in_(in), rounds_(rounds), st_(plan_.status) {
    plan_.status = in.status;
  }

  // One pass, as a flat list of steps (the shape of Argo Rollouts' rollout/canary.go), in
  // order until one finishes the plan: which revision the stable and canary Deployments run.
  Plan run() {
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
    return finish();
  }

 private:
  // What a step says of the plan: the next step runs, or the plan is done for this pass.
  enum class Pass { Continue, Done };
  using Step = Pass (Planner::*)();

  void runSteps(std::span<const Step> steps) {
    for (const Step s : steps) {
      if ((this->*s)() == Pass::Done) return;
    }
  }

  // --- the steps of run() ---

  // The first deployment of a model has no canary.
  Pass firstDeployment() {
    if (!st_.stable.revision.empty()) return Pass::Continue;
    st_.canary.reset();
    deployDirect("Deployed", "first version " + describe(in_.target));
    return Pass::Done;
  }

  // The spec went back to the stable version during a canary: the canary goes at once.
  Pass revertToStable() {
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

  Pass continueCanary() {
    if (!st_.canary || in_.target.templateHash != st_.canary->revision.templateHash) {
      return Pass::Continue;
    }
    advanceCanary();
    return Pass::Done;
  }

  // The spec changed during the rollout: this canary ends; the new target starts afresh.
  Pass supersedeCanary() {
    if (!st_.canary) return Pass::Continue;
    event(false, "CanaryRestarted",
          "canary " + describe(st_.canary->revision) + " replaced by " + describe(in_.target) +
              " (the spec changed during the rollout)");
    endCanary(kAborted, "Superseded", "replaced by version " + in_.target.version);
    return Pass::Continue;
  }

  Pass unchangedTarget() {
    if (in_.target.templateHash != st_.stable.revision.templateHash) return Pass::Continue;
    steady();
    return Pass::Done;
  }

  // A target that failed before is held until a new retry value asks for it again.
  Pass refusedTarget() {
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
  Pass deployWithoutCanary() {
    const bool canaryConfigured = canarySpec() != nullptr;
    if (canaryConfigured && !knownGood(st_, in_.target)) return Pass::Continue;
    const Revision& t = in_.target;
    deployDirect(canaryConfigured ? "KnownGood" : "RollingUpdate",
                 canaryConfigured
                     ? "version " + describe(t) + " ran as stable before: no canary needed"
                     : "rolling update to " + describe(t));
    return Pass::Done;
  }

  Pass newCanary() {
    startCanary();
    advanceCanary();
    return Pass::Done;
  }

  // --- one pass over a running canary ---

  void advanceCanary() {
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

  // An abort annotation naming the canary's version rolls it back at once.
  Pass abortGate() {
    const std::string& abort = in_.gates.abort;
    if (abort.empty() || abort != canary().revision.version) return Pass::Continue;
    rollback(
        kAborted, "AbortRequested",
        std::string("abort requested (annotation ") + api::kAbortAnnotation + "=" + abort + ")");
    return Pass::Done;
  }

  // A promote annotation naming the canary's version, or a spec left without steps, skips
  // the remaining steps.
  Pass promoteRequest() {
    CanaryStatus& c = canary();
    const api::CanarySpec* spec = canarySpec();
    const bool asked = !in_.gates.promote.empty() && in_.gates.promote == c.revision.version;
    const bool noSteps = !spec || spec->steps.empty();
    if (c.phase == CanaryPhase::Promoting || (!asked && !noSteps)) return Pass::Continue;
    c.phase = CanaryPhase::Promoting;
    event(false, "PromoteRequested",
          asked ? "promoting canary " + describe(c.revision) +
                      " now, skipping the remaining steps (annotation " + api::kPromoteAnnotation +
                      ")"
                : "the rollout has no canary steps any more: promoting " + describe(c.revision));
    return Pass::Continue;
  }

  // Once promoting, nothing but the promotion runs (no gate, no analysis).
  Pass promotion() {
    if (canary().phase != CanaryPhase::Promoting) return Pass::Continue;
    promote();
    return Pass::Done;
  }

  // The spec may have lost steps since the canary started: stay within the ones it has.
  Pass fitStepToSpec() {
    CanaryStatus& c = canary();
    const auto& steps = canarySpec()->steps;
    c.step = std::clamp(c.step, 0, static_cast<int>(steps.size()) - 1);
    c.weight = steps[static_cast<size_t>(c.step)].weight;
    return Pass::Continue;
  }

  // spec.rollout.paused, as Paused and Resumed transitions.
  Pass pauseGate() {
    CanaryStatus& c = canary();
    if (in_.gates.paused && c.phase != CanaryPhase::Paused) {
      c.phase = CanaryPhase::Paused;
      event(false, "Paused",
            "rollout of " + describe(c.revision) + " paused at step " + std::to_string(c.step + 1) +
                " (weight " + pct(c.weight) + ")");
    } else if (!in_.gates.paused && c.phase == CanaryPhase::Paused) {
      c.phase = CanaryPhase::Progressing;
      event(
          false, "Resumed",
          "rollout of " + describe(c.revision) + " resumed at step " + std::to_string(c.step + 1));
    }
    return Pass::Continue;
  }

  // The canary Deployment at this step's size and, with Gateway API, the route's weight.
  Pass scaleAndRoute() {
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
  Pass awaitReadyCanary() {
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

  // A step's pause starts once its canary is ready; its first round is due an interval on.
  Pass startStepClock() {
    CanaryStatus& c = canary();
    if (c.stepStartedAt) return Pass::Continue;
    c.stepStartedAt = in_.now;
    c.nextAnalysisAt =
        analysed() ? std::optional(in_.now + canarySpec()->analysis.interval) : std::nullopt;
    return Pass::Continue;
  }

  // The analysis round due, when one is; a failed analysis rolls the canary back.
  Pass takeDueRound() {
    CanaryStatus& c = canary();
    if (!analysed() || !c.nextAnalysisAt || in_.now < *c.nextAnalysisAt) return Pass::Continue;
    return analyse(c, canarySpec()->analysis) ? Pass::Continue : Pass::Done;
  }

  // Paused: analysis keeps running, the step does not move.
  Pass holdWhilePaused() {
    CanaryStatus& c = canary();
    if (c.phase != CanaryPhase::Paused) return Pass::Continue;
    c.message = "paused at " + pass_.where;
    plan_.reconciling = RolloutCondition{"Paused", c.message};
    if (analysed() && c.nextAnalysisAt) requeueAt(*c.nextAnalysisAt);
    return Pass::Done;
  }

  // Nothing advances on an older round while the one due is being taken.
  Pass holdWhileMeasured() {
    if (!waiting_) return Pass::Continue;
    plan_.reconciling = RolloutCondition{"CanaryProgressing", canary().message};
    requeueAt(*canary().nextAnalysisAt);
    return Pass::Done;
  }

  // The step's pause is over with a passing round behind it: the next step, or promotion
  // after the last.
  Pass stepOrPromote() {
    CanaryStatus& c = canary();
    if (in_.now < stepEnd() || !evidence()) return Pass::Continue;
    const auto& steps = canarySpec()->steps;
    const int count = static_cast<int>(steps.size());
    if (c.step + 1 < count) {
      ++c.step;
      c.weight = steps[static_cast<size_t>(c.step)].weight;
      c.stepStartedAt.reset();
      c.nextAnalysisAt.reset();
      event(false, "StepAdvanced",
            "canary " + describe(c.revision) + ": step " + std::to_string(c.step + 1) + " of " +
                std::to_string(count) + ", weight " + pct(c.weight));
      plan_.canaryReplicas = canaryReplicasFor(c.weight, in_.replicas);
      if (gateway()) plan_.routeCanaryWeight = steps[static_cast<size_t>(c.step - 1)].weight;
      c.message =
          "moving to step " + std::to_string(c.step + 1) + " (weight " + pct(c.weight) + ")";
      plan_.reconciling = RolloutCondition{"CanaryProgressing", c.message};
      requeueAt(in_.now);
      return Pass::Done;
    }
    c.phase = CanaryPhase::Promoting;
    event(false, "Promoting", "canary " + describe(c.revision) + " passed every step: promoting");
    promote();
    return Pass::Done;
  }

  // The step holds: say where it is and what it waits for; look again when that is due.
  Pass progressMessage() {
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

  // --- what the canary steps share ---

  CanaryStatus& canary() { return *st_.canary; }
  bool analysed() const { return !canarySpec()->analysis.metrics.empty(); }
  // When the step's pause ends (the step has started: its canary was ready).
  WallTime stepEnd() const {
    const CanaryStatus& c = *st_.canary;
    return *c.stepStartedAt + canarySpec()->steps[static_cast<size_t>(c.step)].pause;
  }
  // A round passed since the step started (or there is no analysis to wait for).
  bool evidence() const {
    const CanaryStatus& c = *st_.canary;
    return !analysed() || (c.analysis.lastVerdict == "Passed" && c.analysis.lastRoundAt &&
                           *c.analysis.lastRoundAt >= *c.stepStartedAt);
  }

  // --- shared bookkeeping ---

  const api::CanarySpec* canarySpec() const {
    return in_.rollout && in_.rollout->canary ? &*in_.rollout->canary : nullptr;
  }
  bool gateway() const {
    const auto* c = canarySpec();
    return c && c->traffic.kind == api::TrafficSpec::Kind::GatewayAPI;
  }

  void event(bool warning, std::string reason, std::string message) {
    plan_.events.push_back({warning, std::move(reason), std::move(message)});
  }
  void requeueAt(WallTime t) {
    auto d = duration_cast<Millis>(t - in_.now);
    d = std::max(d, Millis(100));
    // A round already due is being measured: its source queues the model when it is in.
    if (waiting_ && t <= in_.now) d = std::max(d, kRoundRecheck);
    if (!plan_.requeueAfter || d < *plan_.requeueAfter) plan_.requeueAfter = d;
  }
  void pushHistory(HistoryEntry e) {
    plan_.finished.push_back(e.outcome);
    st_.history.push_back(std::move(e));
    const size_t limit = static_cast<size_t>(std::max(1, in_.historyLimit));
    if (st_.history.size() > limit) {
      st_.history.erase(st_.history.begin(),
                        st_.history.begin() + static_cast<long>(st_.history.size() - limit));
    }
  }

  void setStable(const Revision& r, const std::string& resolvedAt) {
    st_.stable.revision = r;
    st_.stable.resolvedAt = resolvedAt;
    st_.stable.since = in_.now;
    st_.monitoring = {};
  }

  // The stable Deployment takes the target at once (first version, no canary configured,
  // or a version that was stable before).
  void deployDirect(const std::string& reason, const std::string& message) {
    plan_.stable = in_.target;
    setStable(in_.target, in_.targetResolvedAt);
    pushHistory({in_.target, kPromoted, in_.now, in_.now, reason, message});
    // Creating or updating the Deployment has its own Event; only a skipped canary needs one.
    if (reason == "KnownGood") event(false, "CanarySkipped", message);
  }

  // Nothing to roll out: keep the stable Deployment as the spec says and watch it.
  void steady() {
    plan_.stable = in_.target;
    // Version and digest may be refreshed (e.g. a re-resolved tag with the same template).
    st_.stable.revision = in_.target;
    if (!in_.targetResolvedAt.empty()) st_.stable.resolvedAt = in_.targetResolvedAt;
    if (!st_.stable.since) st_.stable.since = in_.now;
    if (gateway() && in_.status.canary) plan_.routeCanaryWeight = 0;
    monitor();
  }

  void holdRefused(const HistoryEntry& failed) {
    // Stable keeps running what it ran; it is only recreated if it vanished.
    if (!in_.stable.exists) plan_.stable = st_.stable.revision;
    // ... and is still watched: the spec names the refused version, so the Deployment is not
    // "current" for it, but it runs the stable revision (the one rolled back to).
    monitor(false);
    plan_.stalled = RolloutCondition{
        failed.reason.empty() ? std::string(kRolledBack) : failed.reason,
        "version " + failed.revision.version + " was " +
            (failed.outcome == kRolledBack ? "rolled back" : "aborted") + ": " + failed.message +
            "; version " + st_.stable.revision.version + " keeps serving. Annotate " +
            api::kRetryAnnotation + " with a new value to try it again"};
  }

  void startCanary() {
    const auto& spec = *canarySpec();
    CanaryStatus c;
    c.revision = in_.target;
    c.step = 0;
    c.weight = spec.steps.empty() ? 0 : spec.steps[0].weight;
    c.startedAt = in_.now;
    st_.canary = c;
    event(false, "CanaryStarted",
          "canary " + describe(c.revision) + " started beside stable " +
              describe(st_.stable.revision) + ": step 1 of " + std::to_string(spec.steps.size()) +
              " at weight " + pct(c.weight));
  }

  // Ends the canary: its Deployment goes, the route sends everything to stable.
  void endCanary(const char* outcome, const std::string& reason, const std::string& message) {
    const CanaryStatus& c = *st_.canary;
    pushHistory({c.revision, outcome, c.startedAt, in_.now, reason, message});
    st_.canary.reset();
    plan_.canaryReplicas.reset();
    if (gateway()) plan_.routeCanaryWeight = 0;
  }

  void rollback(const char* outcome, const std::string& reason, const std::string& message) {
    const Revision r = st_.canary->revision;
    endCanary(outcome, reason, message);
    st_.lastRetry = in_.gates.retry;  // only a value set after this failure retries
    event(true, outcome == std::string(kAborted) ? "Aborted" : "RolledBack",
          "canary " + describe(r) +
              (outcome == std::string(kAborted) ? " aborted" : " rolled back") + ", stable " +
              describe(st_.stable.revision) + " keeps serving: " + message);
    plan_.stalled = RolloutCondition{
        reason, "version " + r.version + " was " +
                    (outcome == std::string(kAborted) ? "aborted" : "rolled back") + ": " +
                    message};
    plan_.stable.reset();
  }

  // --- analysis ---

  // One analysis round of the canary; false when it ended the rollout.
  bool analyse(CanaryStatus& c, const api::AnalysisSpec& an) {
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
  RoundRequest canaryRound(const CanaryStatus& c, const api::AnalysisSpec& an,
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

  analysis::Verdict recordCanaryRound(CanaryStatus& c, const api::AnalysisSpec& an,
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

  void announceRound(analysis::Verdict v, const analysis::AnalysisRun& run,
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

  // --- promotion ---

  void promote() {
    CanaryStatus& c = *st_.canary;
    plan_.stable = c.revision;
    const int want = canaryReplicasFor(std::max(c.weight, 1), in_.replicas);
    plan_.canaryReplicas = want;  // keeps serving until stable runs the new version
    if (gateway()) plan_.routeCanaryWeight = c.weight;
    if (in_.stable.current && in_.stable.done) {
      const Revision r = c.revision;
      const WallTime started = c.startedAt;
      const std::string how =
          c.analysis.counts.rounds > 0
              ? std::to_string(c.analysis.counts.passed) + " analysis rounds passed"
              : "no analysis configured";
      st_.canary.reset();
      plan_.canaryReplicas.reset();
      if (gateway()) plan_.routeCanaryWeight = 0;
      setStable(r, in_.target.templateHash == r.templateHash ? in_.targetResolvedAt : "");
      pushHistory({r, kPromoted, started, in_.now, "Promoted", how});
      event(false, "Promoted", "version " + describe(r) + " is stable (" + how + ")");
      return;
    }
    c.message = "promoting: the stable Deployment is rolling out version " + c.revision.version;
    plan_.reconciling = RolloutCondition{"Promoting", c.message};
  }

  // Continuous verification of a settled stable version. `requireCurrent`: the stable
  // Deployment must run the spec's target (false while the target is a refused version).
  void monitor(bool requireCurrent = true) {
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
  void takeMonitoringRound(const api::MonitoringSpec& m) {
    auto& ms = st_.monitoring;
    analysis::QueryVars vars;
    vars.name = in_.name;
    vars.namespaceName = in_.ns;
    vars.canaryVersion = st_.stable.revision.version;
    vars.stableVersion = st_.stable.revision.version;
    vars.interval = m.interval;
    const auto taken =
        rounds_.round({.id = in_.ns + "/" + in_.name + "|stable|" +
                             st_.stable.revision.templateHash + "|" + epochMillis(*ms.nextCheckAt),
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

  void recordMonitoringRound(const api::MonitoringSpec& m,
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
  void judgeMonitoring(const api::MonitoringSpec& m, bool wasDegraded) {
    const auto& ms = st_.monitoring;
    if (ms.consecutiveFailures < m.failureLimit) {
      if (wasDegraded) event(false, "Recovered", "the monitoring checks pass again");
      return;
    }
    std::string why = std::to_string(ms.consecutiveFailures) +
                      " monitoring rounds failed in a row; last: " + lastFailures(ms);
    plan_.degraded = RolloutCondition{"MetricsFailing", why};
    if (!wasDegraded) {
      event(true, "Degraded", "version " + describe(st_.stable.revision) + ": " + why);
    }
    if (m.rollbackOnFailure) rollbackStable(why);
  }

  static std::string lastFailures(const MonitoringStatus& ms) {
    std::string out;
    for (const auto& x : ms.lastMeasurements) {
      if (x.verdict != analysis::Verdict::Failed) continue;
      out = x.message;  // the latest failure
    }
    return out;
  }

  // Degraded with rollbackOnFailure: back to the previous stable revision in history.
  void rollbackStable(const std::string& why) {
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
    pushHistory({bad, kRolledBack, since, in_.now, "Degraded", why});
    setStable(back, "");
    st_.lastRetry = in_.gates.retry;
    plan_.stable = back;
    plan_.degraded.reset();
    event(true, "RolledBack",
          "degraded version " + describe(bad) + " rolled back to " + describe(back) + ": " + why);
    plan_.stalled = RolloutCondition{
        "Degraded", "version " + bad.version + " was rolled back after it degraded: " + why};
  }

  Plan finish() { return std::move(plan_); }

  const PlanInput& in_;
  RoundSource& rounds_;
  bool waiting_ = false;  // a due round is being measured elsewhere
  // What the canary steps of one pass learn and share.
  struct CanaryPass {
    int want = 0;        // canary replicas at this step's weight
    bool ready = false;  // the canary is available at that size
    std::string where;   // "step 2 of 3, weight 50% (actual 48%)"
  } pass_;
  Plan plan_;
  RolloutStatus& st_;
};

}  // namespace

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

Plan planRollout(const PlanInput& in, RoundSource& rounds) { return Planner(in, rounds).run(); }

Plan planRollout(const PlanInput& in, ProviderSource& providers) {
  DirectRounds rounds(providers);
  return Planner(in, rounds).run();
}

}  // namespace mlmodel::rollout
