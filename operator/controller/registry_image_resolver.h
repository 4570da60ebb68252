#pragma once

#include "controller/image_resolver.h"
#include "kube/rest_client.h"
#include "registry/resolver.h"

namespace mlmodel::controller {

// Resolves through an OCI registry, with credentials from the model's imagePullSecrets
// (kubernetes.io/dockerconfigjson or the legacy dockercfg), read when needed: secrets are
// not cached, and resolution happens only when an image reference changes.
class RegistryImageResolver final : public ImageResolver {
 public:
  RegistryImageResolver(kube::Client& client, registry::Resolver& resolver)
      : client_(client), resolver_(resolver) {}
  core::Result<std::string> resolve(const std::string& image, const std::string& ns,
                                    const web::json::value& pullSecrets) override;

 private:
  kube::Client& client_;
  registry::Resolver& resolver_;
};

}  // namespace mlmodel::controller
