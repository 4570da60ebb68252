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

// Drops the last-applied annotation and reduces managedFields to the writers of spec: each
// entry that owns a spec field (not through a subresource) keeps its manager, operation
// and time, and fieldsV1 {"f:spec":{}}. Enough to say who last changed a spec
// (audit/attribution.h) at a few bytes a writer, where the full field sets would weigh
// more than the object.
Json summarizeManagedFields(Json object);

}  // namespace mlmodel::kube
