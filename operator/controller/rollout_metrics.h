#pragma once

#include <optional>
#include <string>

#include "analysis/check.h"

namespace mlmodel::controller {

// Where the reconciler reports rollout figures (the server exports them to Prometheus).
class RolloutMetrics {
 public:
  virtual ~RolloutMetrics() = default;
  // One analysis or monitoring measurement; track is "canary" or "stable".
  virtual void measured(const std::string& ns, const std::string& name, const std::string& track,
                        const analysis::Measurement& m) = 0;
  // The canary's weight (-1 when no canary runs) and whether the model is degraded
  // (nullopt when it has no continuous verification).
  virtual void rolloutState(const std::string& ns, const std::string& name, int canaryWeight,
                            std::optional<bool> degraded) = 0;
  // A rollout ended: Promoted, RolledBack or Aborted.
  virtual void rolloutFinished(const std::string& ns, const std::string& name,
                               const std::string& outcome) = 0;
};

}  // namespace mlmodel::controller
