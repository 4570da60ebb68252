#pragma once

#include <map>
#include <string>
#include <vector>

// WWW-Authenticate parsing (RFC 7235). Internal to registry/; not a public API.
namespace mlmodel::registry::detail {

struct Challenge {
  std::string scheme;                         // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case names; values unquoted
};

// `Bearer realm="https://auth/token",service="reg",scope="repository:x:pull"` ->
// {{"bearer", {realm, service, scope}}}. Several challenges in one header are split;
// token68 credentials and malformed parts are skipped.
std::vector<Challenge> parseWwwAuthenticate(const std::string& header);

}  // namespace mlmodel::registry::detail
