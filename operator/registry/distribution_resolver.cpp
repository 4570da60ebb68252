#include "registry/distribution_resolver.h"

#include <cpprest/json.h>

#include <algorithm>
#include <set>

#include "registry/auth_challenge.h"
#include "registry/encoding.h"

namespace mlmodel::registry {
namespace {

constexpr const char* kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::chrono::seconds kDefaultTokenLifetime{60};
// Basic credentials never expire, but the cache entry does, so that entries for rotated
// credentials are pruned.
constexpr std::chrono::hours kBasicLifetime{1};
// Bounds on what tenant-chosen names (registries, repositories, credentials) can make the
// resolver hold.
constexpr std::chrono::minutes kTransportIdle{10};
constexpr std::size_t kMaxTransports = 64;
constexpr std::size_t kMaxAuthEntries = 1024;

// The code of the registry's own {"errors":[{"code":...}]} body (first error), when it is
// one of the distribution spec's; "" otherwise. Messages quote nothing else of a reply:
// the registry is the tenant's choice, and Events and status are theirs to read.
std::string registryErrorCode(const std::string& body) {
  if (body.empty()) return "";
  std::error_code ec;
  auto v = web::json::value::parse(body, ec);
  if (ec || !v.is_object() || !v.has_array_field("errors")) return "";
  const auto& errors = v.at("errors").as_array();
  if (errors.size() == 0 || !errors.at(0).is_object()) return "";
  const auto& e = errors.at(0);
  static const std::set<std::string> kCodes = {
      "BLOB_UNKNOWN",          "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID",
      "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID",    "MANIFEST_UNKNOWN",    "NAME_INVALID",
      "NAME_UNKNOWN",          "SIZE_INVALID",        "UNAUTHORIZED",        "DENIED",
      "UNSUPPORTED",           "TOOMANYREQUESTS"};
  const std::string code = e.has_string_field("code") ? e.at("code").as_string() : "";
  return kCodes.count(code) ? code : "";
}

std::string mediaTypeOf(const http::Response& r) {
  std::string t = r.header("content-type").value_or("");
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

struct Url {
  std::string scheme;  // lower-case
  std::string authority;
  std::string pathAndQuery;  // at least "/"
};

std::optional<Url> parseUrl(const std::string& s) {
  const size_t sep = s.find("://");
  if (sep == std::string::npos) return std::nullopt;
  Url u;
  u.scheme = detail::toLower(s.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  const size_t pathStart = s.find_first_of("/?", sep + 3);
  u.authority =
      s.substr(sep + 3, pathStart == std::string::npos ? std::string::npos : pathStart - sep - 3);
  if (u.authority.empty()) return std::nullopt;
  u.pathAndQuery = pathStart == std::string::npos ? "/" : s.substr(pathStart);
  if (u.pathAndQuery.front() == '?') u.pathAndQuery = "/" + u.pathAndQuery;
  return u;
}

}  // namespace

// What one resolve() call is working on.
struct DistributionResolver::Context {
  Context(const ImageReference& r, const Credentials* c) : ref(r), creds(c), image(r.str()) {}

  const ImageReference& ref;
  const Credentials* creds;  // null: anonymous
  std::string image;         // ref.str(), for messages
  std::string baseUrl;
  std::string authKey;  // registry|repository|credentials fingerprint
  std::shared_ptr<http::Transport> transport;
  bool sentAuth = false;  // the last manifest request carried an Authorization header

  std::string who() const {
    if (!creds) return "anonymously (no credentials)";
    if (!creds->username.empty()) return "with the credentials of user \"" + creds->username + "\"";
    return "with an identity token";
  }
};

TransportFactory transportFactory(const http::TlsOptions& tls) {
  return [tls](const std::string& baseUrl) { return http::makeTransport(baseUrl, tls); };
}

DistributionResolver::DistributionResolver(TransportFactory factory,
                                           DistributionResolverOptions options)
    : factory_(std::move(factory)),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::SystemClock::instance()) {}

std::string DistributionResolver::baseUrl(const std::string& registry) const {
  const std::string scheme = options_.insecureRegistries.count(registry) ? "http" : "https";
  // Docker Hub's API lives on another host than its name.
  const std::string host = registry == "docker.io" ? "registry-1.docker.io" : registry;
  return scheme + "://" + host;
}

core::Result<Resolution> DistributionResolver::resolve(const ImageReference& ref,
                                                       const Credentials* creds) {
  if (creds && creds->empty()) creds = nullptr;
  Context ctx(ref, creds);
  ctx.baseUrl = baseUrl(ref.registry);
  // The fingerprint keeps one pull secret's token from serving another (or no) secret.
  const std::string fingerprint =
      creds ? detail::sha256Digest(creds->username + '\0' + creds->password + '\0' +
                                   creds->identityToken)
            : "anonymous";
  ctx.authKey = ref.registry + "|" + ref.repository + "|" + fingerprint;
  ctx.transport = transportFor(ctx.baseUrl);

  auto head = fetchManifest(ctx, "HEAD");
  if (!head) return head.error();
  // Some registries refuse HEAD; some omit the digest header. The body tells in both cases.
  const auto digest = head->header("docker-content-digest");
  const bool headUseless = head->status == 405 || head->status == 501;
  if (headUseless || (head->status / 100 == 2 && !(digest && isValidDigest(*digest)))) {
    auto get = fetchManifest(ctx, "GET");
    if (!get) return get.error();
    return finish(ctx, get.value());
  }
  return finish(ctx, head.value());
}

core::Result<http::Response> DistributionResolver::fetchManifest(Context& ctx,
                                                                 const std::string& method) {
  std::optional<std::string> auth = cachedAuth(ctx.authKey);
  bool fromCache = auth.has_value();
  core::Result<http::Response> resp = core::Error{"not sent"};
  // At most: a cached token refused, the anonymous challenge, the answered challenge.
  for (int attempt = 0; attempt < 3; ++attempt) {
    http::Request req;
    req.method = method;
    req.target = "/v2/" + ctx.ref.repository + "/manifests/" + ctx.ref.manifestReference();
    req.headers["Accept"] = kManifestAccept;
    req.headers["User-Agent"] = options_.userAgent;
    if (auth) req.headers["Authorization"] = *auth;
    req.timeout = options_.timeout;
    req.maxBodyBytes = kMaxReplyBytes;
    ctx.sentAuth = auth.has_value();
    resp = ctx.transport->send(req);
    if (!resp) {
      return core::Error{"image " + ctx.image + ": registry " + ctx.ref.registry +
                             " is unreachable: " + resp.error().message,
                         0, kReasonRegistryUnavailable};
    }
    if (resp->status != 401) return resp;
    if (fromCache) {  // expired early or revoked: start over with a fresh challenge
      forgetAuth(ctx.authKey);
      fromCache = false;
      auth.reset();
      continue;
    }
    if (auth) return resp;  // refused with fresh authorization: finish() says so
    auto answered = authorize(ctx, resp.value());
    if (!answered) return answered.error();
    auth = std::move(answered.value());
  }
  return resp;
}

core::Result<std::string> DistributionResolver::authorize(Context& ctx,
                                                          const http::Response& challenged) {
  const std::string header = challenged.header("www-authenticate").value_or("");
  const auto challenges = detail::parseWwwAuthenticate(header);
  auto find = [&](const char* scheme) {
    return std::find_if(challenges.begin(), challenges.end(),
                        [&](const detail::Challenge& c) { return c.scheme == scheme; });
  };
  const std::string prefix = "image " + ctx.image + ": registry " + ctx.ref.registry;
  if (auto bearer = find("bearer"); bearer != challenges.end()) {
    auto token = fetchToken(ctx, bearer->params);
    if (!token) return token.error();
    return "Bearer " + token.value();
  }
  if (find("basic") != challenges.end()) {
    if (!ctx.creds || ctx.creds->username.empty()) {
      const std::string why = ctx.creds ? "only an identity token, which basic authentication "
                                          "cannot use, was given"
                                        : "no credentials were given";
      return core::Error{prefix + " requires basic authentication and " + why, 401,
                         kReasonUnauthorized};
    }
    std::string value =
        "Basic " + detail::base64Encode(ctx.creds->username + ":" + ctx.creds->password);
    storeAuth(ctx.authKey, value, kBasicLifetime);
    return value;
  }
  return core::Error{prefix +
                         " answered 401 without a Basic or Bearer challenge (WWW-Authenticate: \"" +
                         header + "\")",
                     401, kReasonUnauthorized};
}

core::Result<std::string> DistributionResolver::fetchToken(
    Context& ctx, const std::map<std::string, std::string>& params) {
  const std::string prefix = "image " + ctx.image + ": registry " + ctx.ref.registry;
  auto realmIt = params.find("realm");
  const auto realm = realmIt == params.end() ? std::nullopt : parseUrl(realmIt->second);
  if (!realm) {
    return core::Error{prefix + " sent a Bearer challenge without a usable realm", 401,
                       kReasonUnauthorized};
  }
  if (ctx.creds && realm->scheme == "http" &&
      !options_.insecureRegistries.count(realm->authority)) {
    return core::Error{prefix + ": refusing to send credentials to the plain-HTTP token server " +
                           realmIt->second + " (list " + realm->authority +
                           " as an insecure registry to allow it)",
                       401, kReasonUnauthorized};
  }
  auto serviceIt = params.find("service");
  const std::string service = serviceIt == params.end() ? "" : serviceIt->second;
  const std::string scope = "repository:" + ctx.ref.repository + ":pull";

  http::Request req;
  req.timeout = options_.timeout;
  req.maxBodyBytes = kMaxReplyBytes;
  req.headers["User-Agent"] = options_.userAgent;
  req.target = realm->pathAndQuery;
  if (ctx.creds && !ctx.creds->identityToken.empty()) {
    // docker login's identity token is an OAuth2 refresh token: trade it by POST.
    req.method = "POST";
    req.headers["Content-Type"] = "application/x-www-form-urlencoded";
    req.body = "grant_type=refresh_token&client_id=mlmodel-operator&service=" +
               detail::urlEncode(service) + "&scope=" + detail::urlEncode(scope) +
               "&refresh_token=" + detail::urlEncode(ctx.creds->identityToken);
  } else {
    req.method = "GET";
    req.target += (req.target.find('?') == std::string::npos ? "?" : "&");
    if (!service.empty()) req.target += "service=" + detail::urlEncode(service) + "&";
    req.target += "scope=" + detail::urlEncode(scope);
    if (ctx.creds) {
      req.headers["Authorization"] =
          "Basic " + detail::base64Encode(ctx.creds->username + ":" + ctx.creds->password);
    }
  }
  const std::string tokenServer = realm->scheme + "://" + realm->authority;
  auto resp = transportFor(tokenServer)->send(req);
  if (!resp) {
    return core::Error{
        prefix + ": token server " + tokenServer + " is unreachable: " + resp.error().message, 0,
        kReasonRegistryUnavailable};
  }
  if (resp->status / 100 != 2) {
    const bool unavailable = resp->status / 100 == 5 || resp->status == 429;
    return core::Error{prefix + ": token server " + tokenServer + " answered HTTP " +
                           std::to_string(resp->status) + " to a request made " + ctx.who(),
                       resp->status,
                       unavailable ? kReasonRegistryUnavailable : kReasonUnauthorized};
  }
  std::error_code ec;
  auto v = web::json::value::parse(resp->body, ec);
  std::string token;
  if (!ec && v.is_object()) {
    if (v.has_string_field("token")) token = v.at("token").as_string();
    if (token.empty() && v.has_string_field("access_token"))
      token = v.at("access_token").as_string();
  }
  if (token.empty()) {
    return core::Error{prefix + ": token server " + tokenServer + " sent no token", resp->status,
                       kReasonUnauthorized};
  }
  core::Duration lifetime = kDefaultTokenLifetime;
  if (!ec && v.has_number_field("expires_in")) {
    const double s = v.at("expires_in").as_double();
    if (s > 0 && s < 1e9) {
      lifetime = std::chrono::duration_cast<core::Duration>(std::chrono::duration<double>(s));
    }
  }
  // Renew ahead of expiry, so that a token does not run out between cache and registry.
  storeAuth(ctx.authKey, "Bearer " + token, lifetime * 9 / 10);
  return token;
}

core::Result<Resolution> DistributionResolver::finish(Context& ctx, const http::Response& resp) {
  if (resp.status / 100 != 2) return failure(ctx, resp);
  Resolution out;
  out.mediaType = mediaTypeOf(resp);
  const auto header = resp.header("docker-content-digest");
  if (header && isValidDigest(*header)) {
    out.digest = *header;
  }
  // A GET's body is the manifest itself: its hash is the digest, whatever the header says.
  if (!resp.body.empty()) out.digest = detail::sha256Digest(resp.body);
  if (out.digest.empty()) {
    return core::Error{"image " + ctx.image + ": registry " + ctx.ref.registry +
                           " sent neither a Docker-Content-Digest nor a manifest body",
                       resp.status, kReasonRegistryError};
  }
  return out;
}

core::Error DistributionResolver::failure(const Context& ctx, const http::Response& resp) const {
  const std::string image = "image " + ctx.image;
  const std::string registry = "registry " + ctx.ref.registry;
  const std::string detail = registryErrorCode(resp.body);
  const int s = resp.status;
  if (s == 404 || detail == "MANIFEST_UNKNOWN" || detail == "NAME_UNKNOWN") {
    std::string what = ctx.ref.digest.empty() ? "tag not found" : "manifest not found";
    if (detail == "NAME_UNKNOWN") what = "repository not found";
    return core::Error{image + ": " + what, s, kReasonManifestUnknown};
  }
  if (s == 401 || s == 403) {
    // Without credentials, some registries (Docker Hub) also answer so for a missing repo.
    return core::Error{image + ": " + registry + " denied access (HTTP " + std::to_string(s) +
                           ") to a request made " + ctx.who() +
                           (detail.empty() ? "" : ": " + detail),
                       s, kReasonUnauthorized};
  }
  if (s / 100 == 5 || s == 429) {
    return core::Error{image + ": " + registry + " is unavailable (HTTP " + std::to_string(s) +
                           (detail.empty() ? ")" : "): " + detail),
                       s, kReasonRegistryUnavailable};
  }
  return core::Error{image + ": " + registry + " answered HTTP " + std::to_string(s) +
                         (detail.empty() ? "" : ": " + detail),
                     s, kReasonRegistryError};
}

std::shared_ptr<http::Transport> DistributionResolver::transportFor(const std::string& baseUrl) {
  std::lock_guard<std::mutex> guard(mu_);
  const auto now = clock_.steadyNow();
  auto it = transports_.find(baseUrl);
  if (it == transports_.end()) {
    // Servers are named by tenants (images) and by registries (token realms): idle ones go,
    // and the oldest-used when too many are held. One in use stays alive with its caller.
    std::erase_if(transports_,
                  [&](const auto& kv) { return now - kv.second.lastUsed >= kTransportIdle; });
    if (transports_.size() >= kMaxTransports) {
      transports_.erase(std::min_element(
          transports_.begin(), transports_.end(),
          [](const auto& a, const auto& b) { return a.second.lastUsed < b.second.lastUsed; }));
    }
    it = transports_.emplace(baseUrl, Held{factory_(baseUrl), now}).first;
  }
  it->second.lastUsed = now;
  return it->second.transport;
}

std::size_t DistributionResolver::heldTransports() const {
  std::lock_guard<std::mutex> guard(mu_);
  return transports_.size();
}

std::optional<std::string> DistributionResolver::cachedAuth(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = auth_.find(key);
  if (it == auth_.end()) return std::nullopt;
  if (clock_.steadyNow() >= it->second.validUntil) {
    auth_.erase(it);
    return std::nullopt;
  }
  return it->second.header;
}

void DistributionResolver::storeAuth(const std::string& key, std::string header,
                                     core::Duration lifetime) {
  std::lock_guard<std::mutex> guard(mu_);
  const auto now = clock_.steadyNow();
  std::erase_if(auth_, [&](const auto& kv) { return now >= kv.second.validUntil; });
  if (auth_.size() >= kMaxAuthEntries && !auth_.count(key)) {
    auth_.erase(std::min_element(auth_.begin(), auth_.end(), [](const auto& a, const auto& b) {
      return a.second.validUntil < b.second.validUntil;
    }));
  }
  auth_[key] = CachedAuth{std::move(header), now + lifetime};
}

void DistributionResolver::forgetAuth(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  auth_.erase(key);
}

}  // namespace mlmodel::registry
