#include "controller/image_pinning.h"

#include "core/time_format.h"

namespace mlmodel::controller {

PinnedImage pinImage(const api::MLModel& model, const rollout::RolloutStatus& status,
                     ImageResolver& resolver, const core::Clock& clock) {
  PinnedImage img;
  const auto& spec = model.spec;
  if (const auto at = spec.image.find("@sha256:"); at != std::string::npos) {
    // Pinned by its author: nothing to resolve, and status still records which digest ran.
    img.run = spec.image;
    img.digest = spec.image.substr(at + 1);
    return img;
  }
  if (!spec.pinDigest) {
    img.run = spec.image;
    return img;
  }
  const rollout::Revision* known = nullptr;
  if (status.stable.revision.image == spec.image && !status.stable.revision.digest.empty()) {
    known = &status.stable.revision;
    img.resolvedAt = status.stable.resolvedAt;
  } else if (status.canary && status.canary->revision.image == spec.image &&
             !status.canary->revision.digest.empty()) {
    known = &status.canary->revision;
    img.resolvedAt = core::rfc3339(status.canary->startedAt);
  }
  if (known) {
    img.digest = known->digest;
  } else {
    auto r = resolver.resolve(spec.image, model.metadata.ns, spec.imagePullSecrets);
    if (!r) {
      img.error = r.error();
      return img;
    }
    img.digest = r.value();
    img.resolvedAt = core::rfc3339(clock.wallNow());
    img.fresh = true;
  }
  img.run = api::imageRepository(spec.image) + "@" + img.digest;
  return img;
}

}  // namespace mlmodel::controller
