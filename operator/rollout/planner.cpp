#include "rollout/planner.h"

#include <algorithm>
#include <cmath>
#include <future>

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

  Plan run() {
    const Revision& t = in_.target;
    if (st_.stable.revision.empty()) {
      st_.canary.reset();  // the first deployment of a model has no canary
      deployDirect("Deployed", "first version " + describe(t));
      return finish();
    }
    if (st_.canary) {
      if (t.templateHash == st_.stable.revision.templateHash) {
        const Revision ended = st_.canary->revision;
        endCanary(kAborted, "RevertedToStable",
                  "the spec went back to the stable version " + describe(st_.stable.revision));
        event(false, "CanaryEnded",
              "canary " + describe(ended) + " removed: the spec is back at stable " +
                  describe(st_.stable.revision));
        steady();
        return finish();
      }
      if (t.templateHash == st_.canary->revision.templateHash) {
        advanceCanary();
        return finish();
      }
      event(false, "CanaryRestarted",
            "canary " + describe(st_.canary->revision) + " replaced by " + describe(t) +
                " (the spec changed during the rollout)");
      endCanary(kAborted, "Superseded", "replaced by version " + t.version);
    }
    if (t.templateHash == st_.stable.revision.templateHash) {
      steady();
      return finish();
    }
    if (const auto failed = refused(st_, t)) {
      if (in_.gates.retry.empty() || in_.gates.retry == st_.lastRetry) {
        holdRefused(*failed);
        return finish();
      }
      st_.lastRetry = in_.gates.retry;
      event(false, "RetryRequested",
            "retrying version " + t.version + " (annotation " + api::kRetryAnnotation + "=" +
                in_.gates.retry + ")");
    }
    const bool canaryConfigured = in_.rollout && in_.rollout->canary;
    if (!canaryConfigured || knownGood(st_, t)) {
      const bool good = canaryConfigured;
      deployDirect(good ? "KnownGood" : "RollingUpdate",
                   good ? "version " + describe(t) + " ran as stable before: no canary needed"
                        : "rolling update to " + describe(t));
      return finish();
    }
    startCanary();
    advanceCanary();
    return finish();
  }

 private:
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

  void advanceCanary() {
    const api::CanarySpec* spec = canarySpec();
    CanaryStatus& c = *st_.canary;
    const auto& g = in_.gates;
    if (!g.abort.empty() && g.abort == c.revision.version) {
      rollback(kAborted, "AbortRequested",
               std::string("abort requested (annotation ") + api::kAbortAnnotation + "=" + g.abort +
                   ")");
      return;
    }
    const bool promoteAsked = !g.promote.empty() && g.promote == c.revision.version;
    if (c.phase != CanaryPhase::Promoting && (promoteAsked || !spec || spec->steps.empty())) {
      c.phase = CanaryPhase::Promoting;
      event(false, "PromoteRequested",
            promoteAsked
                ? "promoting canary " + describe(c.revision) +
                      " now, skipping the remaining steps (annotation " + api::kPromoteAnnotation +
                      ")"
                : "the rollout has no canary steps any more: promoting " + describe(c.revision));
    }
    if (c.phase == CanaryPhase::Promoting) {
      promote();
      return;
    }
    const int steps = static_cast<int>(spec->steps.size());
    c.step = std::clamp(c.step, 0, steps - 1);
    c.weight = spec->steps[static_cast<size_t>(c.step)].weight;
    if (g.paused && c.phase != CanaryPhase::Paused) {
      c.phase = CanaryPhase::Paused;
      event(false, "Paused",
            "rollout of " + describe(c.revision) + " paused at step " + std::to_string(c.step + 1) +
                " (weight " + pct(c.weight) + ")");
    } else if (!g.paused && c.phase == CanaryPhase::Paused) {
      c.phase = CanaryPhase::Progressing;
      event(
          false, "Resumed",
          "rollout of " + describe(c.revision) + " resumed at step " + std::to_string(c.step + 1));
    }

    const int want = canaryReplicasFor(c.weight, in_.replicas);
    plan_.canaryReplicas = want;
    const auto& cv = in_.canary;
    const bool ready = cv.exists && cv.current && cv.desired == want && cv.available >= want;
    const int prevWeight = c.step == 0 ? 0 : spec->steps[static_cast<size_t>(c.step - 1)].weight;
    if (gateway()) {
      // Never route to canary pods that are not ready at this step's size.
      plan_.routeCanaryWeight = ready ? c.weight : prevWeight;
      c.actualWeight = *plan_.routeCanaryWeight;
    } else {
      c.actualWeight = actualWeight(cv.ready, in_.stable.ready);
    }
    const std::string where = "step " + std::to_string(c.step + 1) + " of " +
                              std::to_string(steps) + ", weight " + pct(c.weight) + " (actual " +
                              pct(c.actualWeight) + ")";

    if (!ready) {
      const std::string pods =
          std::to_string(cv.available) + " of " + std::to_string(want) + " canary pods available";
      if (c.phase == CanaryPhase::Paused) {
        // As for a paused Deployment, the progress deadline does not run while paused: it
        // starts afresh on resume.
        c.notReadySince.reset();
        c.message = "paused at " + where + "; " + pods;
        plan_.reconciling = RolloutCondition{"Paused", c.message};
        return;
      }
      if (!c.notReadySince) c.notReadySince = in_.now;
      const WallTime deadline = *c.notReadySince + spec->progressDeadline;
      if (in_.now >= deadline) {
        rollback(kRolledBack, "ProgressDeadlineExceeded",
                 pods + " after the progress deadline of " +
                     std::to_string(spec->progressDeadline.count() / 1000) + "s");
        return;
      }
      c.message = "waiting for the canary: " + pods + "; " + where;
      plan_.reconciling = RolloutCondition{"CanaryNotReady", c.message};
      requeueAt(deadline);
      return;
    }
    c.notReadySince.reset();
    const auto& an = spec->analysis;
    const bool analysed = !an.metrics.empty();
    if (!c.stepStartedAt) {
      c.stepStartedAt = in_.now;
      c.nextAnalysisAt = analysed ? std::optional(in_.now + an.interval) : std::nullopt;
    }
    if (analysed && c.nextAnalysisAt && in_.now >= *c.nextAnalysisAt) {
      if (!analyse(c, an)) return;  // rolled back
    }
    const WallTime pauseEnd = *c.stepStartedAt + spec->steps[static_cast<size_t>(c.step)].pause;
    const bool evidence =
        !analysed || (c.analysis.lastVerdict == "Passed" && c.analysis.lastRoundAt &&
                      *c.analysis.lastRoundAt >= *c.stepStartedAt);
    if (c.phase == CanaryPhase::Paused) {
      c.message = "paused at " + where;
      plan_.reconciling = RolloutCondition{"Paused", c.message};
      if (analysed && c.nextAnalysisAt) requeueAt(*c.nextAnalysisAt);
      return;
    }
    if (waiting_) {
      // Nothing advances on an older round while the one due is being taken.
      plan_.reconciling = RolloutCondition{"CanaryProgressing", c.message};
      requeueAt(*c.nextAnalysisAt);
      return;
    }
    if (in_.now >= pauseEnd && evidence) {
      if (c.step + 1 < steps) {
        ++c.step;
        c.weight = spec->steps[static_cast<size_t>(c.step)].weight;
        c.stepStartedAt.reset();
        c.nextAnalysisAt.reset();
        event(false, "StepAdvanced",
              "canary " + describe(c.revision) + ": step " + std::to_string(c.step + 1) + " of " +
                  std::to_string(steps) + ", weight " + pct(c.weight));
        plan_.canaryReplicas = canaryReplicasFor(c.weight, in_.replicas);
        if (gateway())
          plan_.routeCanaryWeight = spec->steps[static_cast<size_t>(c.step - 1)].weight;
        c.message =
            "moving to step " + std::to_string(c.step + 1) + " (weight " + pct(c.weight) + ")";
        plan_.reconciling = RolloutCondition{"CanaryProgressing", c.message};
        requeueAt(in_.now);
        return;
      }
      c.phase = CanaryPhase::Promoting;
      event(false, "Promoting", "canary " + describe(c.revision) + " passed every step: promoting");
      promote();
      return;
    }
    c.message =
        where + (analysed ? "; analysis: " + std::to_string(c.analysis.counts.passed) +
                                " passed, " + std::to_string(c.analysis.counts.failed) +
                                " failed, " + std::to_string(c.analysis.counts.errors) + " errors"
                          : "");
    if (!evidence && in_.now >= pauseEnd) c.message += "; waiting for a passing analysis";
    plan_.reconciling = RolloutCondition{"CanaryProgressing", c.message};
    if (in_.now < pauseEnd) requeueAt(pauseEnd);
    if (analysed && c.nextAnalysisAt) requeueAt(*c.nextAnalysisAt);
  }

  // One analysis round of the canary; false when it ended the rollout.
  bool analyse(CanaryStatus& c, const api::AnalysisSpec& an) {
    analysis::QueryVars vars;
    vars.name = in_.name;
    vars.namespaceName = in_.ns;
    vars.canaryVersion = c.revision.version;
    vars.stableVersion = st_.stable.revision.version;
    vars.interval = an.interval;
    analysis::AnalysisRun run(checksOf(an.metrics),
                              {an.failureLimit, an.consecutiveErrorLimit, kMeasurementsKept},
                              unusedClock());
    run.restore(c.analysis.counts,
                {c.analysis.lastMeasurements.begin(), c.analysis.lastMeasurements.end()});
    const auto taken = rounds_.round(
        {.id = in_.ns + "/" + in_.name + "|canary|" + c.revision.templateHash + "|" +
               std::to_string(c.analysis.counts.rounds) + "|" + epochMillis(*c.nextAnalysisAt),
         .modelKey = in_.ns + "/" + in_.name,
         .ns = in_.ns,
         .checks = run.checks(),
         .prometheus = an.prometheus,
         .vars = vars,
         .now = in_.now});
    if (!taken) {
      waiting_ = true;
      return true;
    }
    const auto& round = *taken;
    plan_.measured = round;
    plan_.measuredTrack = "canary";
    const analysis::Verdict v = run.record(round);
    c.analysis.counts = run.counts();
    c.analysis.lastMeasurements.assign(run.history().begin(), run.history().end());
    c.analysis.lastVerdict = analysis::toString(v);
    c.analysis.lastRoundAt = in_.now;
    c.nextAnalysisAt = in_.now + an.interval;
    const std::string summary = roundSummary(round);
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
    if (run.state() == analysis::AnalysisState::Failed) {
      rollback(kRolledBack, run.reason(), run.message());
      return false;
    }
    return true;
  }

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
    if (!m || !m->enabled || m->metrics.empty() || !in_.stable.done ||
        (requireCurrent && !in_.stable.current)) {
      if (!m || !m->enabled || m->metrics.empty()) ms = {};
      return;
    }
    if (!ms.nextCheckAt) {
      ms.nextCheckAt = in_.now + m->interval;
      requeueAt(*ms.nextCheckAt);
      return;
    }
    const bool wasDegraded = ms.consecutiveFailures >= m->failureLimit;
    std::optional<std::vector<analysis::Measurement>> taken;
    if (in_.now >= *ms.nextCheckAt) {
      analysis::QueryVars vars;
      vars.name = in_.name;
      vars.namespaceName = in_.ns;
      vars.canaryVersion = st_.stable.revision.version;
      vars.stableVersion = st_.stable.revision.version;
      vars.interval = m->interval;
      taken = rounds_.round({.id = in_.ns + "/" + in_.name + "|stable|" +
                                   st_.stable.revision.templateHash + "|" +
                                   epochMillis(*ms.nextCheckAt),
                             .modelKey = in_.ns + "/" + in_.name,
                             .ns = in_.ns,
                             .checks = checksOf(m->metrics),
                             .prometheus = m->prometheus,
                             .vars = vars,
                             .now = in_.now});
      if (!taken) waiting_ = true;
    }
    if (taken) {
      const auto& round = *taken;
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
      for (auto& x : round) ms.lastMeasurements.push_back(x);
      if (ms.lastMeasurements.size() > kMeasurementsKept) {
        ms.lastMeasurements.erase(
            ms.lastMeasurements.begin(),
            ms.lastMeasurements.begin() +
                static_cast<long>(ms.lastMeasurements.size() - kMeasurementsKept));
      }
      ms.lastCheckAt = in_.now;
      ms.nextCheckAt = in_.now + m->interval;
    }
    requeueAt(*ms.nextCheckAt);
    const bool degraded = ms.consecutiveFailures >= m->failureLimit;
    if (!degraded) {
      if (wasDegraded) event(false, "Recovered", "the monitoring checks pass again");
      return;
    }
    std::string why = std::to_string(ms.consecutiveFailures) +
                      " monitoring rounds failed in a row; last: " + lastFailures(ms);
    plan_.degraded = RolloutCondition{"MetricsFailing", why};
    if (!wasDegraded) {
      event(true, "Degraded", "version " + describe(st_.stable.revision) + ": " + why);
    }
    if (m->rollbackOnFailure) rollbackStable(why);
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
