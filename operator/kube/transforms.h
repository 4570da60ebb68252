#pragma once

#include "kube/store.h"

namespace mlmodel::kube {

// Informer transforms: what the controllers read of an object, and nothing more, so a
// cache of thousands of objects stays small.

// Keeps from a Deployment its identity (name, namespace, uid, resourceVersion, generation,
// labels, ownerReferences, our own annotations), spec.replicas and the status fields that
// say whether it rolled out: enough to report readiness and enqueue owners.
Json projectDeployment(Json deployment);

// The same plus the whole spec, for a controller that compares the pod template with
// what it would apply (to revert hand edits without writing when nothing differs).
Json projectDeploymentWithSpec(Json deployment);

}  // namespace mlmodel::kube
