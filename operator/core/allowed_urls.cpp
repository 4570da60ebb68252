#include "core/allowed_urls.h"

#include <optional>

#include "core/encoding.h"

namespace mlmodel::core {
namespace {

struct Parsed {
  std::string origin;
  std::string path;
};

// scheme://host[:port][/path]: nullopt for anything else, or anything a server might read
// differently from us (userinfo, query, fragment, escapes, dot segments, backslashes).
std::optional<Parsed> parseStrict(const std::string& url) {
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return std::nullopt;
  const std::string scheme = toLower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  if (url.find_first_of("?#@%\\ \t\r\n") != std::string::npos) return std::nullopt;
  const size_t slash = url.find('/', sep + 3);
  const std::string authority = toLower(
      url.substr(sep + 3, slash == std::string::npos ? std::string::npos : slash - sep - 3));
  std::string host = authority;
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else if (const size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") return std::nullopt;
  if (port.empty()) port = scheme == "https" ? "443" : "80";
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  while (port.size() > 1 && port.front() == '0') port.erase(0, 1);
  std::string path = slash == std::string::npos ? "" : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  // Dot segments would be resolved by the server after our comparison.
  for (size_t at = 0; at < path.size();) {
    const size_t next = path.find('/', at + 1);
    const std::string seg =
        path.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    if (seg == "." || seg == "..") return std::nullopt;
    if (next == std::string::npos) break;
    at = next;
  }
  return Parsed{scheme + "://" + host + ":" + port, path};
}

}  // namespace

bool withinPath(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

Result<AllowedUrls> AllowedUrls::parse(const std::vector<std::string>& prefixes) {
  AllowedUrls out;
  for (const auto& text : prefixes) {
    auto p = parseStrict(text);
    if (!p) {
      return Error{"\"" + text +
                   "\" is not an http or https URL prefix such as http://prometheus:9090 "
                   "(no credentials, query, fragment, escapes or dot segments)"};
    }
    out.prefixes_.push_back({p->origin, p->path, text});
  }
  return out;
}

bool AllowedUrls::allows(const std::string& address) const {
  if (prefixes_.empty()) return true;
  const auto a = parseStrict(address);
  if (!a) return false;
  for (const auto& p : prefixes_) {
    if (a->origin == p.origin && withinPath(a->path, p.path)) return true;
  }
  return false;
}

std::string AllowedUrls::describe() const {
  std::string out;
  for (const auto& p : prefixes_) out += (out.empty() ? "" : ", ") + p.text;
  return out;
}

}  // namespace mlmodel::core
