#pragma once

#include <cpprest/json.h>

#include <string>

#include "core/result.h"

namespace mlmodel::controller {

// Turns an image reference into the digest the registry holds for it. Errors carry a
// reason: ManifestUnknown, Unauthorized (user must act) or RegistryUnavailable (transient).
// The server wires the OCI registry client; unit tests use a fake.
class ImageResolver {
 public:
  virtual ~ImageResolver() = default;
  // `pullSecrets` is spec.imagePullSecrets ([{name}]) in namespace `ns`.
  virtual core::Result<std::string> resolve(const std::string& image, const std::string& ns,
                                            const web::json::value& pullSecrets) = 0;
};

}  // namespace mlmodel::controller
