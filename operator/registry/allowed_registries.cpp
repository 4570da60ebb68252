#include "registry/allowed_registries.h"

#include "core/allowed_urls.h"
#include "core/encoding.h"

namespace mlmodel::registry {
namespace {

std::string canonicalRegistry(const std::string& host) {
  std::string h = core::toLower(host);
  return h == "index.docker.io" || h == "registry-1.docker.io" ? "docker.io" : h;
}

bool validPath(const std::string& path) {
  if (path.empty()) return true;
  if (path.front() == '/' || path.find("//") != std::string::npos) return false;
  for (const char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

core::Result<AllowedRegistries> AllowedRegistries::parse(const std::vector<std::string>& entries) {
  AllowedRegistries out;
  for (const auto& text : entries) {
    const size_t slash = text.find('/');
    std::string host = text.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : text.substr(slash + 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    const bool hostOk = !host.empty() && host.find_first_of(" \t@?#") == std::string::npos &&
                        host.find("://") == std::string::npos;
    if (!hostOk || !validPath(path)) {
      return core::Error{"\"" + text +
                         "\" is not a registry such as registry.example.com, 127.0.0.1:5000 or "
                         "ghcr.io/acme/models (no scheme; lower-case repository path)"};
    }
    out.entries_.push_back({canonicalRegistry(host), path, text});
  }
  return out;
}

bool AllowedRegistries::allows(const ImageReference& image) const {
  if (entries_.empty()) return true;
  const std::string registry = canonicalRegistry(image.registry);
  for (const auto& e : entries_) {
    if (registry != e.registry) continue;
    if (e.path.empty() || core::withinPath(image.repository, e.path)) return true;
  }
  return false;
}

std::string AllowedRegistries::describe() const {
  std::string out;
  for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + e.text;
  return out;
}

}  // namespace mlmodel::registry
