#include "controller/pod_watch.h"

#include <spdlog/spdlog.h>

#include "controller/desired.h"

namespace mlmodel::controller {

PodWatch::Check PodWatch::check(const api::MLModel& model, const DeploymentState& stable,
                                bool justApplied) {
  const std::string key = model.metadata.ns + "/" + model.metadata.name;
  const auto now = clock_.steadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pods_ || !stable.exists || stable.done || justApplied) {
      watched_.erase(key);
      return {};
    }
    auto [it, added] = watched_.try_emplace(key);
    Watched& w = it->second;
    if (added) w.notReadySince = now;
    if (now - w.notReadySince < kPodCheckAfter) {
      return {w.last,
              std::chrono::duration_cast<core::Duration>(kPodCheckAfter - (now - w.notReadySince))};
    }
    if (w.checkedAt && now - *w.checkedAt < kPodCheckEvery) {
      return {w.last,
              std::chrono::duration_cast<core::Duration>(kPodCheckEvery - (now - *w.checkedAt))};
    }
  }
  auto listed =
      pods_->list(model.metadata.ns, std::string(kModelLabel) + "=" + model.metadata.name);
  std::lock_guard<std::mutex> lock(mu_);
  Watched& w = watched_[key];
  w.checkedAt = now;
  if (listed) {
    w.last = findPodProblem(listed.value());
  } else {
    spdlog::debug("mlmodel {}: listing its pods failed: {}", key, listed.error().message);
  }
  return {w.last, kPodCheckEvery};
}

void PodWatch::forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  watched_.erase(key);
}

}  // namespace mlmodel::controller
