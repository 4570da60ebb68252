#pragma once

#include <optional>
#include <string>

#include "kube/rest_client.h"

// Which watch events queue which MLModel: the predicates of the operator's informers.
namespace mlmodel::server {

// The MLModel ("namespace/name") that controls an owned Deployment or Service, from its
// ownerReferences; nullopt when none is an MLModel.
std::optional<std::string> ownerKey(const kube::Json& object);

// Whether an MLModel update needs a reconcile: its generation (the spec), annotations,
// labels or deletionTimestamp changed. Status-only updates (our own writes) do not.
bool specOrMetaChanged(const kube::Json& before, const kube::Json& after);

}  // namespace mlmodel::server
