// Docker configs come from pull Secrets in the model's namespace (.dockerconfigjson and
// the legacy .dockercfg); their "auth" fields are base64.
#include "fuzz_input.h"
#include "registry/docker_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel::registry;
  const std::string input = mlmodel::fuzz::text(data, size);
  std::vector<DockerConfig> configs;
  if (auto c = DockerConfig::parse(input)) configs.push_back(std::move(c.value()));
  if (auto c = DockerConfig::parseLegacy(input)) configs.push_back(std::move(c.value()));
  // Lookups walk the parsed keys (wildcards, paths, ports): each reference exercises one.
  const std::string pinned = "a.b.example.com/team/x@sha256:" + std::string(64, 'e');
  for (const std::string& image :
       {std::string("fraud:1.4.0"), std::string("registry.example:5000/models/fraud:2"), pinned,
        std::string("[::1]:5000/m:1"), std::string("localhost/m")}) {
    auto ref = parseImageReference(image);
    if (ref) (void)findCredentials(configs, ref.value());
  }
  return 0;
}
