#include "controller/registry_image_resolver.h"

#include "core/encoding.h"
#include "kube/api_error.h"

namespace mlmodel::controller {

core::Result<std::string> RegistryImageResolver::resolve(const std::string& image,
                                                         const std::string& ns,
                                                         const web::json::value& pullSecrets) {
  auto ref = registry::parseImageReference(image);
  if (!ref) return core::Error{"spec.image: " + ref.error().message, 0, "InvalidImage"};
  std::vector<registry::DockerConfig> configs;
  if (pullSecrets.is_array()) {
    for (const auto& s : pullSecrets.as_array()) {
      if (!s.has_string_field("name")) continue;
      const auto name = s.at("name").as_string();
      auto secret = client_.get(kube::resources::secrets, ns, name);
      if (!secret) {
        if (kube::isNotFound(secret.error())) {
          return core::Error{
              "image " + image + ": imagePullSecret \"" + name + "\" not found in namespace " + ns,
              0, "PullSecretNotFound"};
        }
        return core::Error{"image " + image + ": reading imagePullSecret \"" + name +
                               "\": " + secret.error().message,
                           0, "RegistryUnavailable"};
      }
      const auto& data = secret.value().has_object_field("data") ? secret.value().at("data")
                                                                 : web::json::value::object();
      const bool modern = data.has_string_field(".dockerconfigjson");
      const char* field = modern ? ".dockerconfigjson" : ".dockercfg";
      if (!data.has_string_field(field)) continue;
      auto decoded = core::base64Decode(data.at(field).as_string());
      if (!decoded) continue;
      auto cfg = modern ? registry::DockerConfig::parse(decoded.value())
                        : registry::DockerConfig::parseLegacy(decoded.value());
      if (!cfg) {
        return core::Error{
            "image " + image + ": imagePullSecret \"" + name + "\": " + cfg.error().message, 0,
            "InvalidPullSecret"};
      }
      configs.push_back(std::move(cfg.value()));
    }
  }
  auto creds = registry::findCredentials(configs, ref.value());
  auto r = resolver_.resolve(ref.value(), creds ? &*creds : nullptr);
  if (!r) return r.error();
  return r.value().digest;
}

}  // namespace mlmodel::controller
