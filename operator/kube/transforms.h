#pragma once

#include "kube/store.h"

namespace mlmodel::kube {

// Informer transforms: what the controllers read of an object, and nothing more, so a
// cache of thousands of objects stays small.

// Keeps from a Deployment its identity (name, namespace, uid, resourceVersion, generation,
// labels, ownerReferences, our own annotations), its spec and the status fields that say
// whether it rolled out: enough to report readiness, enqueue owners and spot drift.
Json projectDeployment(Json deployment);

}  // namespace mlmodel::kube
