#include "registry/docker_config.h"

#include <cpprest/json.h>

#include <algorithm>

#include "registry/encoding.h"

namespace mlmodel::registry {
namespace {

using Entry = DockerConfig::Entry;

std::string canonicalHost(std::string host) {
  host = detail::toLower(host);
  if (host == "index.docker.io" || host == "registry-1.docker.io") return "docker.io";
  return host;
}

// "https://host:port/v1/" -> {"host:port", ""}; "host/team/" -> {"host", "team"}.
Entry normaliseKey(const std::string& key) {
  std::string rest = key;
  for (const char* scheme : {"https://", "http://"}) {
    if (detail::toLower(rest).rfind(scheme, 0) == 0) {
      rest = rest.substr(std::string(scheme).size());
      break;
    }
  }
  Entry e;
  const size_t slash = rest.find('/');
  e.host = canonicalHost(rest.substr(0, slash));
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  // Docker treats "/v1/" and "/v2/" after the host as the host itself.
  if (path.rfind("/v1/", 0) == 0 || path.rfind("/v2/", 0) == 0) path = path.substr(3);
  const size_t first = path.find_first_not_of('/');
  const size_t last = path.find_last_not_of('/');
  e.path = first == std::string::npos ? "" : path.substr(first, last - first + 1);
  return e;
}

std::string stringField(const web::json::object& o, const std::string& name) {
  auto it = o.find(name);
  if (it == o.end() || !it->second.is_string()) return {};
  return it->second.as_string();
}

core::Result<Credentials> parseEntry(const std::string& key, const web::json::value& v) {
  if (!v.is_object()) return core::Error{"auths[\"" + key + "\"] is not an object"};
  const auto& o = v.as_object();
  Credentials c;
  c.username = stringField(o, "username");
  c.password = stringField(o, "password");
  c.identityToken = stringField(o, "identitytoken");
  const std::string auth = stringField(o, "auth");
  if (!auth.empty()) {
    auto decoded = detail::base64Decode(auth);
    if (!decoded) return core::Error{"auths[\"" + key + "\"].auth: " + decoded.error().message};
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
      return core::Error{"auths[\"" + key + "\"].auth is not base64 of \"user:password\""};
    }
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  return c;
}

core::Result<DockerConfig> parseAuths(const web::json::value& auths) {
  if (!auths.is_object()) return core::Error{"\"auths\" is not an object"};
  std::vector<Entry> entries;
  for (const auto& [key, value] : auths.as_object()) {
    auto creds = parseEntry(key, value);
    if (!creds) return creds.error();
    Entry e = normaliseKey(key);
    if (e.host.empty())
      return core::Error{"auths has a key with no registry host: \"" + key + "\""};
    e.creds = std::move(creds.value());
    entries.push_back(std::move(e));
  }
  return DockerConfig(std::move(entries));
}

core::Result<web::json::value> parseJson(const std::string& text, const char* what) {
  std::error_code ec;
  auto v = web::json::value::parse(text, ec);
  if (ec) return core::Error{std::string(what) + " is not valid JSON: " + ec.message()};
  if (!v.is_object()) return core::Error{std::string(what) + " is not a JSON object"};
  return v;
}

void splitPort(const std::string& hostPort, std::string& host, std::string& port) {
  const size_t colon = hostPort.rfind(':');
  const size_t bracket = hostPort.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) {
    host = hostPort;
    port.clear();
  } else {
    host = hostPort.substr(0, colon);
    port = hostPort.substr(colon + 1);
  }
}

// Label by label; a key label "*" matches any one label (kubelet's glob, simplified).
bool hostMatches(const std::string& pattern, const std::string& host, bool& wildcard) {
  std::string ph, pp, hh, hp;
  splitPort(pattern, ph, pp);
  splitPort(host, hh, hp);
  if (pp != hp) return false;
  wildcard = false;
  size_t i = 0, j = 0;
  while (true) {
    const size_t pi = std::min(ph.find('.', i), ph.size());
    const size_t hj = std::min(hh.find('.', j), hh.size());
    const std::string pl = ph.substr(i, pi - i);
    const std::string hl = hh.substr(j, hj - j);
    if (pl == "*") {
      wildcard = true;
    } else if (pl != hl) {
      return false;
    }
    const bool pEnd = pi == ph.size(), hEnd = hj == hh.size();
    if (pEnd || hEnd) return pEnd && hEnd;
    i = pi + 1;
    j = hj + 1;
  }
}

bool pathMatches(const std::string& prefix, const std::string& repository) {
  if (prefix.empty() || prefix == repository) return true;
  return repository.size() > prefix.size() && repository.compare(0, prefix.size(), prefix) == 0 &&
         repository[prefix.size()] == '/';
}

}  // namespace

core::Result<DockerConfig> DockerConfig::parse(const std::string& dockerConfigJson) {
  auto v = parseJson(dockerConfigJson, ".dockerconfigjson");
  if (!v) return v.error();
  const auto& o = v->as_object();
  auto it = o.find("auths");
  // A config with only a credsStore or credHelpers has nothing a cluster can use.
  if (it == o.end()) return DockerConfig();
  auto r = parseAuths(it->second);
  if (!r) return core::Error{".dockerconfigjson: " + r.error().message};
  return r;
}

core::Result<DockerConfig> DockerConfig::parseLegacy(const std::string& dockerCfg) {
  auto v = parseJson(dockerCfg, ".dockercfg");
  if (!v) return v.error();
  auto r = parseAuths(v.value());
  if (!r) return core::Error{".dockercfg: " + r.error().message};
  return r;
}

std::optional<Credentials> DockerConfig::find(const ImageReference& ref) const {
  const std::string host = canonicalHost(ref.registry);
  const Entry* best = nullptr;
  bool bestWildcard = true;
  for (const Entry& e : entries_) {
    bool wildcard = false;
    if (!hostMatches(e.host, host, wildcard) || !pathMatches(e.path, ref.repository)) continue;
    // The more specific key wins: a longer repository prefix, then an exact host.
    const bool better = !best || e.path.size() > best->path.size() ||
                        (e.path.size() == best->path.size() && bestWildcard && !wildcard);
    if (better) {
      best = &e;
      bestWildcard = wildcard;
    }
  }
  if (!best) return std::nullopt;
  return best->creds;
}

std::optional<Credentials> findCredentials(const std::vector<DockerConfig>& configs,
                                           const ImageReference& ref) {
  for (const auto& cfg : configs) {
    if (auto c = cfg.find(ref)) return c;
  }
  return std::nullopt;
}

}  // namespace mlmodel::registry
