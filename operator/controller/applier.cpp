#include "controller/applier.h"

#include <spdlog/spdlog.h>

#include "controller/desired.h"
#include "controller/model_status.h"

namespace mlmodel::controller {

core::Result<bool> Applier::ensure(const api::MLModel& model, const kube::ResourceType& type,
                                   const kube::ObjectPtr& actual, const std::string& name,
                                   const web::json::value& desired, const char* kind) const {
  if (actual) {
    // Items of a LIST carry no apiVersion and kind: compare what lies below them.
    Json owned = desired;
    owned.erase("apiVersion");
    owned.erase("kind");
    const auto diff = firstDifference(*actual, owned);
    if (diff.empty()) return false;
    spdlog::debug("mlmodel {}/{}: {} {} differs at {}", model.metadata.ns, model.metadata.name,
                  kind, name, diff);
  }
  auto r = client_.apply(type, model.metadata.ns, name, desired,
                         kube::ApplyOptions{kFieldManager, true, kube::Reply::Discard});
  const std::string what = std::string(kind) + " " + name;
  if (!r) {
    events_.emit(model, kube::EventType::kWarning, applyFailureReason(r.error()), "Apply",
                 what + ": " + r.error().message);
    return r.error();
  }
  if (!actual) {
    if (deployedBefore(model)) {
      events_.emit(model, kube::EventType::kNormal, std::string(kind) + "Created", "Apply",
                   "created " + what);
    }
  } else {
    events_.emit(model, kube::EventType::kNormal, std::string(kind) + "Updated", "Apply",
                 "updated " + what + " to match the MLModel");
  }
  return true;
}

core::Status Applier::removeDeployment(const api::MLModel& model, const std::string& name) const {
  kube::DeleteOptions opts;
  opts.propagationPolicy = "Background";
  auto r = client_.remove(kube::resources::deployments, model.metadata.ns, name, opts);
  if (!r) {
    if (r.error().code == 404) return core::Ok{};
    return r.error();
  }
  events_.emit(model, kube::EventType::kNormal, "CanaryDeleted", "Delete",
               "deleted Deployment " + name);
  return core::Ok{};
}

}  // namespace mlmodel::controller
