#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace mlmodel::controller {

// Why a model's pods do not start, read from their container statuses: the waiting reasons a
// person has to act on (an image that cannot be pulled, a crash loop, a bad config), which
// the Deployment's own status never mentions. "Still creating" is not a problem.
struct PodProblem {
  std::string reason;  // the kubelet's: ErrImagePull, ImagePullBackOff, CrashLoopBackOff, ...
  std::string pod;
  std::string container;
  std::string message;  // the kubelet's message, e.g. which image could not be pulled
};

// The first problem among `pods` (Pod objects as the API server returns them), in a stable
// order (by pod name, then container), so that repeated passes report the same one.
std::optional<PodProblem> findPodProblem(const std::vector<web::json::value>& pods);

// "pod fraud-7d9b-x2x: container server: ImagePullBackOff: Back-off pulling image ..."
std::string describe(const PodProblem& p);

// Lists a model's pods by label selector. The reconciler asks only for models whose
// Deployment has not become available for a while, so this costs nothing at steady state.
class PodReader {
 public:
  virtual ~PodReader() = default;
  virtual core::Result<std::vector<web::json::value>> list(const std::string& ns,
                                                           const std::string& labelSelector) = 0;
};

}  // namespace mlmodel::controller
