#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "controller/deployment_state.h"
#include "controller/pod_problems.h"
#include "core/clock.h"

namespace mlmodel::controller {

// A Deployment not available for this long has its pods looked at (a normal rollout is done
// by then, so a fleet rolling out costs no pod reads), and again this often while it stays so.
inline constexpr core::Duration kPodCheckAfter = std::chrono::seconds(10);
inline constexpr core::Duration kPodCheckEvery = std::chrono::seconds(30);

// Says why a model's pods do not start (ImagePullBackOff, CrashLoopBackOff, ...), asking
// the API server only for Deployments that have stayed unavailable. Safe to call from
// several workers for different models.
class PodWatch {
 public:
  PodWatch(PodReader* pods, const core::Clock& clock) : pods_(pods), clock_(clock) {}

  struct Check {
    std::optional<PodProblem> problem;      // the last answer, kept between looks
    std::optional<core::Duration> recheck;  // when to look again
  };
  // Nothing while the stable Deployment is done or was just changed; after kPodCheckAfter
  // of it not being available, a list of its pods at most every kPodCheckEvery.
  Check check(const api::MLModel& model, const DeploymentState& stable, bool justApplied);
  void forget(const std::string& key);

 private:
  struct Watched {
    core::SteadyTime notReadySince{};
    std::optional<core::SteadyTime> checkedAt;
    std::optional<PodProblem> last;
  };
  PodReader* pods_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Watched> watched_;
};

}  // namespace mlmodel::controller
