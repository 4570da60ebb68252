#pragma once

#include "api/mlmodel.h"

namespace mlmodel::controller {

using Json = web::json::value;

inline constexpr const char* kFieldManager = "mlmodel-operator";
inline constexpr const char* kModelLabel = "serving.mlops.dev/model";
inline constexpr const char* kTrackLabel = "serving.mlops.dev/track";
inline constexpr const char* kManagedBy = "app.kubernetes.io/managed-by";
inline constexpr const char* kContainerName = "model-server";

// What the operator wants to exist for an MLModel, as server-side apply bodies: only the
// fields the operator owns. Replicas appear only when spec.replicas is set, so an HPA or
// `kubectl scale` on the Deployment keeps ownership of them otherwise.

// The stable Deployment `<name>`, running `runImage` (the digest-pinned reference when
// pinning is on).
Json desiredDeployment(const api::MLModel& model, const std::string& runImage);

// The canary Deployment `<name>-canary`: the same pod template with track=canary, at
// `replicas` replicas.
Json desiredCanaryDeployment(const api::MLModel& model, const std::string& runImage, int replicas);

// The Services `<name>-stable` and `<name>-canary` (track "stable" or "canary") that a
// Gateway API HTTPRoute splits traffic between.
Json desiredTrackService(const api::MLModel& model, const std::string& track);

// A short hash of a desired Deployment's pod template, the same for its stable and canary
// forms: a change of anything the pods run (image, env, resources, ...) changes it.
std::string templateHash(const Json& deployment);

// The Service `<name>`: port 80 to the model server's named port on every pod of the model.
Json desiredService(const api::MLModel& model);

// The model-server container's securityContext before spec.securityContext overrides it
// field by field. Public so that audit::revisionSpecOfDeployment can subtract it again.
Json secureContainerDefaults();

// app.kubernetes.io/* labels shared by everything the model owns.
Json standardLabels(const api::MLModel& model);

// The controller ownerReference to the MLModel (garbage collection removes what it owns).
Json ownerReference(const api::MLModel& model);

// The in-cluster address of the model's Service.
std::string serviceUrl(const api::MLModel& model);

// True when every field of `desired` has the same value in `actual` (objects compared
// field by field, arrays element by element): the object already holds what we would
// apply, and applying again would change nothing.
bool containsDesired(const Json& actual, const Json& desired);

// The path of the first field where `actual` lacks what `desired` holds ("" when none),
// e.g. "spec.template.spec.containers[0].image": logged to explain a re-apply.
std::string firstDifference(const Json& actual, const Json& desired);

}  // namespace mlmodel::controller
