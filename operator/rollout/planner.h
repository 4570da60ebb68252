#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/provider.h"
#include "api/rollout.h"
#include "core/clock.h"
#include "core/result.h"
#include "rollout/status.h"

namespace mlmodel::rollout {

// How one owned Deployment stands, as the cache shows it.
struct DeploymentView {
  bool exists = false;
  bool current = false;  // its template is what the operator would apply for the revision asked
  bool done = false;     // observed, updated and available at its desired replica count
  int desired = 0;       // spec.replicas
  int ready = 0;
  int available = 0;
};

// The manual gates, read from spec.rollout.paused and the annotations of api/rollout.h.
struct Gates {
  bool paused = false;
  std::string promote{};  // a version
  std::string abort{};    // a version
  std::string retry{};    // any token; acted on when it differs from status.lastRetry
};

// Metric backends for the analysis: the Prometheus a spec names, with its credentials.
// nullptr-free: an Error (reason ProviderUnavailable or Unauthorized) when it cannot be
// had, which counts as an Error round, never as a pass.
class ProviderSource {
 public:
  virtual ~ProviderSource() = default;
  virtual core::Result<std::shared_ptr<analysis::MetricsProvider>> provider(
      const std::string& ns, const api::PrometheusRef& ref) = 0;
};

// One analysis round to take: every check of a model's track against its Prometheus.
struct RoundRequest {
  std::string id{};        // names the round exactly: model, track, revision, when it fell due
  std::string modelKey{};  // "namespace/name"
  std::string ns{};
  std::vector<analysis::MetricCheck> checks{};
  std::optional<api::PrometheusRef> prometheus{};
  analysis::QueryVars vars{};
  WallTime now{};
};

// Where analysis rounds are measured. nullopt: the round is being measured elsewhere; the
// plan then waits for it (nothing advances) and the source queues the model again once the
// measurements are in, so that no reconcile waits on Prometheus.
class RoundSource {
 public:
  virtual ~RoundSource() = default;
  virtual std::optional<std::vector<analysis::Measurement>> round(const RoundRequest& request) = 0;
};

// A round with no measurement: an Error for each check, with `reason` and `why`.
std::vector<analysis::Measurement> errorRound(const RoundRequest& request,
                                              const std::string& reason, const std::string& why);

// Every check of `request` measured now, on this thread (all at once when several), or an
// Error each when the Prometheus cannot be had.
std::vector<analysis::Measurement> measureRound(const RoundRequest& request,
                                                ProviderSource& providers);

// Measures on the caller's thread: for tests, and wherever waiting is fine.
class DirectRounds final : public RoundSource {
 public:
  explicit DirectRounds(ProviderSource& providers) : providers_(providers) {}
  std::optional<std::vector<analysis::Measurement>> round(const RoundRequest& request) override {
    return measureRound(request, providers_);
  }

 private:
  ProviderSource& providers_;
};

struct PlanInput {
  std::string name{};
  std::string ns{};
  const api::RolloutSpec* rollout = nullptr;
  const api::MonitoringSpec* monitoring = nullptr;
  Revision target{};  // what the spec asks for, digest resolved
  // Who asked for the target, what changed and why: asked for only when its rollout
  // starts (it may cost the caller a read), and recorded in the canary and history.
  std::function<Change()> change{};
  std::string targetResolvedAt{};
  Gates gates{};
  RolloutStatus status{};  // as stored
  DeploymentView stable{};
  DeploymentView canary{};
  int replicas = 1;  // the stable's replica count (spec.replicas, or what the HPA set)
  int historyLimit = 10;
  WallTime now{};
};

// A user-facing condition the rollout asks for: Reconciling, Stalled or Degraded.
struct RolloutCondition {
  std::string reason{};
  std::string message{};
};

struct PlanEvent {
  bool warning = false;
  std::string reason{};
  std::string message{};
};

// What the reconciler must make true, and report.
struct Plan {
  RolloutStatus status{};  // to store
  // The stable Deployment: nullopt leaves it exactly as it is (during a canary, or while
  // a rolled-back version is refused); otherwise apply this revision to it.
  std::optional<Revision> stable{};
  // The canary Deployment `<name>-canary`: nullopt means it must not exist; otherwise it
  // runs status.canary's revision with this many replicas.
  std::optional<int> canaryReplicas{};
  // Gateway API only: the canary backend's weight to set on the route (stable gets the
  // rest); nullopt leaves the route alone.
  std::optional<int> routeCanaryWeight{};
  std::optional<RolloutCondition> reconciling{};
  std::optional<RolloutCondition> stalled{};
  std::optional<RolloutCondition> degraded{};
  std::vector<PlanEvent> events{};
  std::vector<analysis::Measurement> measured{};  // taken in this plan (for metrics)
  std::string measuredTrack{};                    // "canary" or "stable"
  std::vector<std::string> finished{};            // outcomes of rollouts ended in this plan
  // A rollout of the target began in this plan (a canary, or straight to stable): the
  // caller records the target's revision (ControllerRevisions).
  bool rolloutStarted = false;
  std::optional<std::chrono::milliseconds> requeueAfter{};
};

// The canary state machine. One call per reconcile: it reads what status remembers and
// what the cluster shows, takes at most one analysis round when one is due, and says what
// to apply next. Deterministic for a given input, clock reading and metrics answers; all
// its state lives in the returned status, so an operator restarted mid-rollout resumes
// where the stored status left off, with no step skipped or repeated.
//   Plan p = planRollout(in, providers);
//   apply(p.stable, p.canaryReplicas, p.routeCanaryWeight); store(p.status);
Plan planRollout(const PlanInput& in, RoundSource& rounds);
Plan planRollout(const PlanInput& in, ProviderSource& providers);  // DirectRounds

// Canary replicas for `weight` percent beside `stableReplicas` stable ones: the stable
// Deployment is never scaled down (a bad canary cannot cost capacity), so the canary gets
// round(stable * weight / (100 - weight)), at least 1 and at most `stableReplicas`.
int canaryReplicasFor(int weight, int stableReplicas);

// The share of ready pods that are canary pods, in percent (0 when none is ready).
int actualWeight(int canaryReady, int stableReady);

}  // namespace mlmodel::rollout
