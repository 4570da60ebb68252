#include "rollout/planning.h"

#include <algorithm>

#include "analysis/check.h"

namespace mlmodel::rollout::planning {

std::string pct(int weight) { return std::to_string(weight) + "%"; }

std::string refusedHow(const Revision& r) {
  // An alias still pointing at the refused version would otherwise look like a stuck
  // operator: say who has to act.
  const std::string alias = r.mlflow.alias.empty()
                                ? ""
                                : " MLflow alias " + r.mlflow.alias + " of " + r.mlflow.model +
                                      " still points at version " + r.mlflow.version +
                                      ": move it to another version, or";
  return alias + (alias.empty() ? " Annotate " : " annotate ") +
         std::string(api::kRetryAnnotation) + " with a new value to try it again";
}

std::string describe(const Revision& r) {
  return r.version + (r.digest.empty() ? "" : " (" + r.digest.substr(0, 19) + ")");
}

std::string epochMillis(WallTime t) {
  return std::to_string(std::chrono::duration_cast<Millis>(t.time_since_epoch()).count());
}

std::string roundSummary(const std::vector<analysis::Measurement>& round) {
  std::string out;
  for (const auto& m : round) {
    if (!out.empty()) out += "; ";
    out += m.message;
  }
  return out;
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

Planner::Planner(const PlanInput& in, RoundSource& rounds)
    : in_(in), rounds_(rounds), st_(plan_.status) {
  plan_.status = in.status;
}

CanaryStatus& Planner::canary() { return *st_.canary; }

bool Planner::analysed() const { return !canarySpec()->analysis.metrics.empty(); }

const api::CanarySpec* Planner::canarySpec() const {
  return in_.rollout && in_.rollout->canary ? &*in_.rollout->canary : nullptr;
}

bool Planner::gateway() const {
  const auto* c = canarySpec();
  return c && c->traffic.kind == api::TrafficSpec::Kind::GatewayAPI;
}

void Planner::event(bool warning, std::string reason, std::string message) {
  plan_.events.push_back({warning, std::move(reason), std::move(message)});
}

void Planner::requeueAt(WallTime t) {
  auto d = std::chrono::duration_cast<Millis>(t - in_.now);
  d = std::max(d, Millis(100));
  // A round already due is being measured: its source queues the model when it is in.
  if (waiting_ && t <= in_.now) d = std::max(d, kRoundRecheck);
  if (!plan_.requeueAfter || d < *plan_.requeueAfter) plan_.requeueAfter = d;
}

void Planner::pushHistory(HistoryEntry e) {
  plan_.finished.push_back(e.outcome);
  st_.history.push_back(std::move(e));
  const size_t limit = static_cast<size_t>(std::max(1, in_.historyLimit));
  if (st_.history.size() > limit) {
    st_.history.erase(st_.history.begin(),
                      st_.history.begin() + static_cast<long>(st_.history.size() - limit));
  }
}

void Planner::setStable(const Revision& r, const std::string& resolvedAt) {
  st_.stable.revision = r;
  st_.stable.resolvedAt = resolvedAt;
  st_.stable.since = in_.now;
  st_.monitoring = {};
}

// Ends the canary: its Deployment goes, the route sends everything to stable.
void Planner::endCanary(const char* outcome, const std::string& reason,
                        const std::string& message) {
  const CanaryStatus& c = *st_.canary;
  pushHistory({c.revision, outcome, c.startedAt, in_.now, reason, message, c.change});
  st_.canary.reset();
  plan_.canaryReplicas.reset();
  if (gateway()) plan_.routeCanaryWeight = 0;
}

void Planner::rollback(const char* outcome, const std::string& reason, const std::string& message) {
  const Revision r = st_.canary->revision;
  endCanary(outcome, reason, message);
  st_.lastRetry = in_.gates.retry;  // only a value set after this failure retries
  event(true, outcome == std::string(kAborted) ? "Aborted" : "RolledBack",
        "canary " + describe(r) + (outcome == std::string(kAborted) ? " aborted" : " rolled back") +
            ", stable " + describe(st_.stable.revision) + " keeps serving: " + message);
  plan_.stalled = RolloutCondition{
      reason, "version " + r.version + " was " +
                  (outcome == std::string(kAborted) ? "aborted" : "rolled back") + ": " + message +
                  "; version " + st_.stable.revision.version + " keeps serving." + refusedHow(r)};
  plan_.stable.reset();
}

}  // namespace mlmodel::rollout::planning
