#pragma once

#include <string>

#include "core/result.h"
#include "registry/docker_config.h"
#include "registry/reference.h"

namespace mlmodel::registry {

// What a tag resolved to. When it resolved is the caller's to record.
struct Resolution {
  std::string digest;     // "sha256:<64 hex>" of the manifest (or index) the tag names
  std::string mediaType;  // its media type, e.g. "application/vnd.oci.image.index.v1+json"
};

// core::Error::reason values a Resolver returns. Every message names the full image
// reference, so it can go into a condition or an Event as it is.
inline constexpr const char* kReasonManifestUnknown = "ManifestUnknown";  // tag/repo absent
inline constexpr const char* kReasonUnauthorized = "Unauthorized";        // 401/403 after auth
inline constexpr const char* kReasonRegistryUnavailable = "RegistryUnavailable";  // net, 5xx, 429
inline constexpr const char* kReasonRegistryError = "RegistryError";  // any other answer

// Resolves image references to manifest digests in their registry.
//   auto r = resolver.resolve(ref, creds ? &*creds : nullptr);
//   if (!r) setCondition("ImageResolved", false, r.error().reason, r.error().message);
//   else pinned = ref.withDigest(r->digest);
// Implementations: DistributionResolver; FakeResolver (fake_resolver.h) for tests.
class Resolver {
 public:
  virtual ~Resolver() = default;
  // `creds` may be null: anonymous. A reference that already has a digest is checked to
  // exist and comes back with that digest.
  virtual core::Result<Resolution> resolve(const ImageReference& ref, const Credentials* creds) = 0;
};

}  // namespace mlmodel::registry
