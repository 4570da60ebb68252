#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "core/clock.h"
#include "http/transport.h"
#include "registry/resolver.h"

namespace mlmodel::registry {

// Makes the transport for one server, e.g. "https://registry-1.docker.io". Tests inject
// fakes here; the resolver keeps one transport per server while it is in use.
using TransportFactory =
    std::function<std::unique_ptr<http::Transport>(const std::string& baseUrl)>;

// Real transports (http::makeTransport), with `tls` for every server.
TransportFactory transportFactory(const http::TlsOptions& tls = {});

// The largest manifest or token reply read from a registry (containers/image's limit too);
// a longer one fails the resolution.
inline constexpr std::size_t kMaxReplyBytes = 4 * http::kMiB;

struct DistributionResolverOptions {
  // Registries ("host:port", as written in the image reference) spoken to over plain
  // HTTP; all others use HTTPS. Credentials go to a plain-HTTP token server only if it
  // is listed here too.
  std::set<std::string> insecureRegistries{};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // per request
  const core::Clock* clock = nullptr;  // for token expiry; null: the system clock
  std::string userAgent = "mlmodel-operator";
};

// Resolves tags through the OCI distribution API:
//   HEAD /v2/<repo>/manifests/<tag>, Accept: the OCI and Docker index and manifest types;
//   the digest is Docker-Content-Digest, or the sha256 of the body of a GET when the HEAD
//   carries none (or the registry does not allow HEAD).
// A 401 is answered per its WWW-Authenticate: Basic with the credentials, or Bearer with
// a token fetched from the realm for scope repository:<repo>:pull (with basic auth when
// there are credentials, as an OAuth2 refresh-token grant for an identity token).
// Authorization is cached per (registry, repository, credentials) - tokens until 90% of
// their expires_in (default 60 s) on the injected clock - so a steady state costs one
// HEAD. A cached token that is refused is dropped and the challenge answered afresh.
// Thread-safe.
//   DistributionResolver resolver(transportFactory(), {.insecureRegistries = {...}});
class DistributionResolver final : public Resolver {
 public:
  explicit DistributionResolver(TransportFactory factory, DistributionResolverOptions options = {});

  core::Result<Resolution> resolve(const ImageReference& ref, const Credentials* creds) override;

  // The scheme://host[:port] the resolver talks to for `registry`.
  std::string baseUrl(const std::string& registry) const;

  // Transports held: those used in the last 10 minutes, at most 64.
  std::size_t heldTransports() const;

 private:
  struct Context;
  struct CachedAuth {
    std::string header;  // the Authorization value
    core::SteadyTime validUntil{};
  };

  core::Result<http::Response> fetchManifest(Context& ctx, const std::string& method);
  core::Result<std::string> authorize(Context& ctx, const http::Response& challenged);
  core::Result<std::string> fetchToken(Context& ctx,
                                       const std::map<std::string, std::string>& params);
  core::Result<Resolution> finish(Context& ctx, const http::Response& resp);
  core::Error failure(const Context& ctx, const http::Response& resp) const;

  std::shared_ptr<http::Transport> transportFor(const std::string& baseUrl);
  std::optional<std::string> cachedAuth(const std::string& key);
  void storeAuth(const std::string& key, std::string header, core::Duration lifetime);
  void forgetAuth(const std::string& key);

  const TransportFactory factory_;
  const DistributionResolverOptions options_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  struct Held {
    std::shared_ptr<http::Transport> transport;
    core::SteadyTime lastUsed{};
  };
  std::map<std::string, Held> transports_;
  std::map<std::string, CachedAuth> auth_;
};

}  // namespace mlmodel::registry
