#include "core/base_url.h"

#include "core/encoding.h"

namespace mlmodel::core {

std::optional<BaseUrl> splitBaseUrl(const std::string& address) {
  const size_t sep = address.find("://");
  if (sep == std::string::npos) return std::nullopt;
  const std::string scheme = toLower(address.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  if (address.find_first_of("?# \t\r\n") != std::string::npos) return std::nullopt;
  const size_t slash = address.find('/', sep + 3);
  BaseUrl u;
  const std::string authority =
      address.substr(sep + 3, slash == std::string::npos ? std::string::npos : slash - sep - 3);
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  u.base = scheme + "://" + authority;
  if (slash != std::string::npos) u.prefix = address.substr(slash);
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  return u;
}

}  // namespace mlmodel::core
