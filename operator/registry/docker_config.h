#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "registry/reference.h"

namespace mlmodel::registry {

// What to log in to a registry with. Either a user name and password (an access token
// may stand in for the password), or an OAuth2 refresh token ("identitytoken", which
// `docker login` stores for some registries) that is traded at the token server.
struct Credentials {
  std::string username;
  std::string password;
  std::string identityToken;

  bool empty() const { return username.empty() && password.empty() && identityToken.empty(); }
  bool operator==(const Credentials&) const = default;
};

// The "auths" of a Docker config, as kubernetes.io/dockerconfigjson Secrets hold it:
//   auto cfg = DockerConfig::parse(secret.data[".dockerconfigjson"]);
//   if (!cfg) return cfg.error();
//   std::optional<Credentials> creds = cfg->find(ref);
class DockerConfig {
 public:
  // One key of "auths", normalised.
  struct Entry {
    std::string host;  // lower-case host[:port]; Docker Hub's aliases become "docker.io"
    std::string path;  // a repository prefix without slashes at either end; may be empty
    Credentials creds;
  };

  DockerConfig() = default;
  explicit DockerConfig(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // {"auths": {"<key>": {"auth": base64(user:pass)} | {"username","password"} |
  // {"identitytoken"}}}. An entry's "auth" wins over its username and password.
  static core::Result<DockerConfig> parse(const std::string& dockerConfigJson);
  // The legacy kubernetes.io/dockercfg content: the "auths" map without the wrapper.
  static core::Result<DockerConfig> parseLegacy(const std::string& dockerCfg);

  // The credentials for `ref`, matching keys as the kubelet does: "host", "host:port",
  // "https://host", "https://host/v1/", "host/path" (a repository prefix; the longest
  // wins), "*.example.com" (a wildcard label); docker.io, index.docker.io,
  // registry-1.docker.io and "https://index.docker.io/v1/" all name Docker Hub.
  std::optional<Credentials> find(const ImageReference& ref) const;

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// The first credentials for `ref` among several pull secrets' configs, in order (a Pod's
// imagePullSecrets are tried in the order listed).
std::optional<Credentials> findCredentials(const std::vector<DockerConfig>& configs,
                                           const ImageReference& ref);

}  // namespace mlmodel::registry
