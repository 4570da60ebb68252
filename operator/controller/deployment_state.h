#pragma once

#include <cstdint>
#include <string>

#include "kube/store.h"

namespace mlmodel::controller {

// How one owned Deployment stands, in kstatus terms. A reconcile reads each of its
// Deployments from the cache once, into this, and hands it to the plan, the status and
// the pod check.
struct DeploymentState {
  kube::ObjectPtr object;  // as the cache holds it; null when there is none
  bool exists = false;
  bool done = false;  // observed, updated and available at its spec.replicas
  bool deadlineExceeded = false;
  int64_t wanted = 1;  // spec.replicas
  int64_t replicas = 0, ready = 0, available = 0;
  std::string availableStatus = "False";  // until the Deployment says otherwise
};

DeploymentState readDeployment(kube::ObjectPtr deployment);

}  // namespace mlmodel::controller
