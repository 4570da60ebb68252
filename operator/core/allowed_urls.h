#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mlmodel::core {

// The http(s) addresses an administrator lets tenants name (Prometheus servers; later model
// registries): a list of URL prefixes such as "http://prometheus.monitoring:9090" or
// "https://thanos.example/api/team-a". An address is allowed when its scheme, host and
// port equal a prefix's (host case-insensitive, default ports filled in) and its path is the
// prefix's path or below it by whole segments ("/api/team-a" allows "/api/team-a/x", not
// "/api/team-ab"). Addresses with credentials, a query, a fragment, percent escapes or dot
// segments in the path are never allowed under a restricting list: each could make the
// request reach somewhere other than what the comparison saw. An empty list allows any
// http(s) address (the operator's default, for clusters without tenants).
//   auto allowed = AllowedUrls::parse({"http://prometheus.monitoring:9090"});
//   allowed->allows("http://prometheus.monitoring:9090/");       // true
//   allowed->allows("http://prometheus.monitoring:9090.evil/");  // false
// True when `path` is `prefix` or lies below it by whole segments: "a/b" is within "a", "ab"
// is not. Shared by the URL and the registry allow-lists.
bool withinPath(std::string_view path, std::string_view prefix);

class AllowedUrls {
 public:
  // Each prefix must be an http or https URL without credentials, query or fragment;
  // an Error names the first that is not.
  static Result<AllowedUrls> parse(const std::vector<std::string>& prefixes);

  bool restricts() const { return !prefixes_.empty(); }
  bool allows(const std::string& address) const;
  // The prefixes, comma-separated, for messages.
  std::string describe() const;

 private:
  struct Prefix {
    std::string origin;  // scheme://host:port, lower case, port always written
    std::string path;    // "" or "/a/b", no trailing slash
    std::string text;    // as given
  };
  std::vector<Prefix> prefixes_;
};

}  // namespace mlmodel::core
