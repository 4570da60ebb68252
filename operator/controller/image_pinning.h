#pragma once

#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "controller/image_resolver.h"
#include "core/clock.h"
#include "core/result.h"
#include "rollout/status.h"

namespace mlmodel::controller {

// The image a reconcile runs for the spec's revision.
struct PinnedImage {
  std::string run;         // what the pod runs: image@sha256:... when pinned
  std::string digest;      // "" when not pinned
  std::string resolvedAt;  // RFC 3339
  bool fresh = false;      // resolved in this reconcile
  std::optional<core::Error> error;
};

// spec.image as it must run: as written when it carries a digest or pinDigest is off;
// otherwise by the digest status remembers for it (the stable's, or the canary's), and only
// when status has none, by asking the registry. So a deployment stays reproducible, and a
// steady model costs the registry nothing.
PinnedImage pinImage(const api::MLModel& model, const rollout::RolloutStatus& status,
                     ImageResolver& resolver, const core::Clock& clock);

}  // namespace mlmodel::controller
