#pragma once

#include <array>
#include <string>

#include "api/mlmodel.h"

namespace mlmodel::audit {

using Json = web::json::value;

// What a revision in an MLModel's rollout history stores: the spec fields that shape the
// model's pods, enough to diff two revisions and to roll back to one. Not replicas (an HPA
// may own them), the port, probes or rollout settings.
inline constexpr std::array<const char*, 12> kRevisionFields{
    "image",           "version",           "env",         "resources",        "args",
    "command",         "nodeSelector",      "tolerations", "imagePullSecrets", "serviceAccountName",
    "securityContext", "podSecurityContext"};

// The revision of a spec: an object with those of kRevisionFields that are set. An empty
// string, list or object is unset, as it is for controller::desiredDeployment.
Json revisionSpec(const api::MLModelSpec& spec);

// The revision a live Deployment runs, inverting controller::desiredDeployment: the
// operator's MODEL_NAME and MODEL_VERSION env dropped, and of the container's
// securityContext only the fields that differ from controller::secureContainerDefaults().
// Fields the API server defaults are not read. `image` and `version` are the spec's (the
// Deployment runs the digest-pinned image). Fields of a user's securityContext that equal
// a secure default cannot be told from the default and are left out.
Json revisionSpecOfDeployment(const Json& deployment, const std::string& image,
                              const std::string& version);

// A JSON merge patch (RFC 7386) that makes the MLModel whose spec is `currentSpec` run
// `revision` again: {"spec": {...}} with every field of kRevisionFields, null where the
// revision lacks it. A merge patch merges objects, so keys of `currentSpec`'s objects
// (resources, nodeSelector, ...) that the revision lacks are set to null too; lists are
// replaced whole. Send it with the resourceVersion `currentSpec` was read at.
Json rollbackSpecPatch(const Json& revision, const Json& currentSpec);

}  // namespace mlmodel::audit
