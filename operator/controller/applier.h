#pragma once

#include <string>

#include "api/mlmodel.h"
#include "controller/model_events.h"
#include "core/result.h"
#include "kube/resource.h"
#include "kube/rest_client.h"
#include "kube/store.h"

namespace mlmodel::controller {

// Makes the objects a model owns what they should be, by server-side apply under the
// operator's field manager, and writes nothing when the cache shows them so already.
class Applier {
 public:
  Applier(kube::Client& client, const ModelEvents& events) : client_(client), events_(events) {}

  // Applies `desired` (named `name`) unless `actual`, as the cache holds it, already has
  // every field of it; true when it wrote. Events: <Kind>Updated, <Kind>Created (not for a
  // model's first deployment, which gets one ModelReady instead), ApplyFailed or
  // ApplyRejected (applyFailureReason).
  core::Result<bool> ensure(const api::MLModel& model, const kube::ResourceType& type,
                            const kube::ObjectPtr& actual, const std::string& name,
                            const web::json::value& desired, const char* kind) const;
  // Deletes the Deployment `name` with its pods in the background (an Event says so); one
  // already gone is no error.
  core::Status removeDeployment(const api::MLModel& model, const std::string& name) const;

 private:
  kube::Client& client_;
  const ModelEvents& events_;
};

}  // namespace mlmodel::controller
