#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis_run.h"
#include "core/clock.h"

namespace mlmodel::rollout {

using Json = web::json::value;
using core::WallTime;

// Outcomes of a rollout, as status.history and Events name them.
inline constexpr const char* kPromoted = "Promoted";
inline constexpr const char* kRolledBack = "RolledBack";
inline constexpr const char* kAborted = "Aborted";

// What a pod template runs: enough to rebuild its image reference and to recognise it.
// Where a version came from when spec.mlflow names it: the registry's side of a revision.
struct RegistryRef {
  std::string model{};
  std::string alias{};  // the alias followed, "" for a fixed version
  std::string version{};
  std::string runId{};
  std::string source{};  // the version's artifacts
  bool empty() const { return model.empty(); }
};

// Who or what started a rollout, what it changed and why: the audit trail of history.
struct Change {
  std::string by{};         // the spec's latest field manager, or "mlflow" for an alias move
  std::string operation{};  // Apply or Update
  std::string gitops{};     // "flux:Kustomization ns/name", "argocd:Application app"
  std::vector<std::string> fields{};  // spec fields that differ from the revision before
  std::string cause{};                // kubernetes.io/change-cause, or the MLflow version's run
  bool empty() const { return by.empty() && fields.empty() && cause.empty() && gitops.empty(); }
};

struct Revision {
  std::string version{};
  std::string image{};         // as the spec wrote it (tag)
  std::string digest{};        // sha256:...; "" when not pinned
  std::string templateHash{};  // of the whole pod template the operator applies
  RegistryRef mlflow{};        // with spec.mlflow
  bool empty() const { return templateHash.empty(); }
};

// status.stable
struct StableStatus {
  Revision revision{};
  std::string resolvedAt{};  // RFC 3339; when the digest was resolved
  std::optional<WallTime> since{};
};

// The analysis bookkeeping a canary carries across reconciles and restarts.
struct AnalysisStatus {
  analysis::AnalysisCounts counts{};
  std::vector<analysis::Measurement> lastMeasurements{};  // newest last, bounded
  std::string lastVerdict{};                              // of the latest round
  std::optional<WallTime> lastRoundAt{};
};

enum class CanaryPhase { Progressing, Paused, Promoting };

// status.canary: present exactly while a canary runs.
struct CanaryStatus {
  Revision revision{};
  CanaryPhase phase = CanaryPhase::Progressing;
  int step = 0;          // index into spec.rollout.canary.steps
  int weight = 0;        // percent asked for at this step
  int actualWeight = 0;  // percent the replica counts (or the route) give now
  WallTime startedAt{};
  std::optional<WallTime> stepStartedAt{};  // set once the canary is ready at the weight
  std::optional<WallTime> nextAnalysisAt{};
  std::optional<WallTime> notReadySince{};
  std::string message{};
  AnalysisStatus analysis{};
  Change change{};
};

// status.history[]: one rollout, newest last.
struct HistoryEntry {
  Revision revision{};
  std::string outcome{};  // kPromoted, kRolledBack, kAborted
  WallTime startedAt{};
  WallTime finishedAt{};
  std::string reason{};
  std::string message{};
  Change change{};
};

// status.monitoring: continuous verification of the stable version.
struct MonitoringStatus {
  std::optional<WallTime> lastCheckAt{};
  std::optional<WallTime> nextCheckAt{};
  int consecutiveFailures = 0;
  int passed = 0, failed = 0, errors = 0;
  std::vector<analysis::Measurement> lastMeasurements{};
  bool active() const { return lastCheckAt.has_value() || nextCheckAt.has_value(); }
};

// The rollout's part of an MLModel's status.
struct RolloutStatus {
  StableStatus stable{};
  std::optional<CanaryStatus> canary{};
  std::vector<HistoryEntry> history{};
  std::string lastRetry{};
  MonitoringStatus monitoring{};
};

// Reads the rollout's fields from a status object; what is missing or malformed is left
// at its default (status is ours to rebuild, not user input).
RolloutStatus decodeRolloutStatus(const Json& status);

// Writes the rollout's fields into `status` (stable, canary, history, lastRetry,
// monitoring), removing canary/monitoring when absent.
void encodeRolloutStatus(const RolloutStatus& rs, Json& status);

const char* toString(CanaryPhase p);

}  // namespace mlmodel::rollout
