#include "registry/allowed_registries.h"

#include <gtest/gtest.h>

namespace mlmodel {
namespace {

registry::AllowedRegistries allowed(const std::vector<std::string>& entries) {
  auto a = registry::AllowedRegistries::parse(entries);
  EXPECT_TRUE(a) << a.error().message;
  return a.value();
}

bool allows(const registry::AllowedRegistries& a, const std::string& image) {
  auto ref = registry::parseImageReference(image);
  EXPECT_TRUE(ref) << image;
  return a.allows(ref.value());
}

TEST(AllowedRegistries, AnEmptyListAllowsEveryRegistry) {
  const auto a = allowed({});
  EXPECT_FALSE(a.restricts());
  EXPECT_TRUE(allows(a, "fraud:1"));
}

TEST(AllowedRegistries, RegistriesAndRepositoryPrefixesBySegments) {
  const auto a = allowed({"127.0.0.1:5000", "ghcr.io/acme/models/", "Registry.Example"});
  EXPECT_TRUE(allows(a, "127.0.0.1:5000/anything/at:all"));
  EXPECT_TRUE(allows(a, "ghcr.io/acme/models/fraud:1.0"));
  EXPECT_TRUE(allows(a, "ghcr.io/acme/models@sha256:" + std::string(64, 'a')));
  EXPECT_TRUE(allows(a, "registry.example/x:1"));
  EXPECT_FALSE(allows(a, "ghcr.io/acme/models-evil/fraud:1.0"));
  EXPECT_FALSE(allows(a, "ghcr.io/acme/fraud:1.0"));
  EXPECT_FALSE(allows(a, "127.0.0.1:5001/x:1"));
  EXPECT_FALSE(allows(a, "127.0.0.1/x:1"));
  EXPECT_FALSE(allows(a, "fraud:1"));  // docker.io/library/fraud
}

TEST(AllowedRegistries, DockerHubIsReadAsDockerReadsIt) {
  const auto a = allowed({"index.docker.io/library"});
  EXPECT_TRUE(allows(a, "nginx:1.27"));
  EXPECT_TRUE(allows(a, "docker.io/library/nginx"));
  EXPECT_FALSE(allows(a, "someone/nginx"));
}

TEST(AllowedRegistries, AnEntryThatIsNotARegistryIsAnError) {
  for (const char* bad : {"https://ghcr.io", "ghcr.io//x", "ghcr.io/Acme", "", "/x"}) {
    auto a = registry::AllowedRegistries::parse({bad});
    ASSERT_FALSE(a) << bad;
    EXPECT_NE(a.error().message.find("is not a registry"), std::string::npos);
  }
}

}  // namespace
}  // namespace mlmodel
