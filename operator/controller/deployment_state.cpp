#include "controller/deployment_state.h"

#include "controller/conditions.h"
#include "core/json_read.h"

namespace mlmodel::controller {

DeploymentState readDeployment(kube::ObjectPtr deployment) {
  DeploymentState s;
  s.object = std::move(deployment);
  if (!s.object) return s;
  const auto& d = *s.object;
  s.exists = true;
  s.wanted = core::jsonInt(d, {"spec", "replicas"}, 1);
  s.replicas = core::jsonInt(d, {"status", "replicas"});
  s.ready = core::jsonInt(d, {"status", "readyReplicas"});
  s.available = core::jsonInt(d, {"status", "availableReplicas"});
  const int64_t updated = core::jsonInt(d, {"status", "updatedReplicas"});
  const bool observed = core::jsonInt(d, {"status", "observedGeneration"}) >=
                        core::jsonInt(d, {"metadata", "generation"});
  s.done = observed && updated == s.wanted && s.available == s.wanted && s.replicas == s.wanted;
  if (const auto* conds = core::jsonFind(d, {"status", "conditions"}); conds && conds->is_array()) {
    if (const auto* p = findCondition(*conds, "Progressing")) {
      s.deadlineExceeded = core::jsonString(*p, {"reason"}) == "ProgressDeadlineExceeded";
    }
    if (const auto* a = findCondition(*conds, "Available")) {
      s.availableStatus = core::jsonString(*a, {"status"});
    }
  }
  return s;
}

}  // namespace mlmodel::controller
