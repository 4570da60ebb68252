#include "registry/reference.h"

#include <cctype>
#include <string_view>

namespace mlmodel::registry {
namespace {

constexpr const char* kDockerHub = "docker.io";
constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool isHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

core::Error invalid(const std::string& text, const std::string& why) {
  return core::Error{"invalid image reference \"" + text + "\": " + why, 0,
                     "InvalidImageReference"};
}

// One path component: lower-case alphanumerics joined by ".", "_", "__" or dashes.
std::string checkPathComponent(std::string_view c) {
  if (c.empty()) return "empty path component (a leading, trailing or doubled '/')";
  for (char ch : c) {
    if (std::isupper(static_cast<unsigned char>(ch))) return "repository name must be lowercase";
  }
  if (!isLowerAlnum(c.front()) || !isLowerAlnum(c.back())) {
    return "path component \"" + std::string(c) + "\" must start and end with a letter or digit";
  }
  size_t i = 0;
  while (i < c.size()) {
    if (isLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < c.size() && !isLowerAlnum(c[i])) ++i;
    const std::string_view sep = c.substr(start, i - start);
    const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
      return "path component \"" + std::string(c) +
             "\" may join letters and digits only with '.', '_', '__' or dashes";
    }
  }
  return {};
}

std::string checkPort(std::string_view port) {
  if (port.empty() || port.size() > 5) return "port \"" + std::string(port) + "\" is invalid";
  for (char ch : port) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) {
      return "port \"" + std::string(port) + "\" is not a number";
    }
  }
  const int n = std::stoi(std::string(port));
  if (n < 1 || n > 65535) return "port " + std::string(port) + " is out of range";
  return {};
}

// host[:port], where host is DNS labels or a bracketed IPv6 literal.
std::string checkRegistry(std::string_view reg) {
  std::string_view host = reg;
  std::string_view port;
  bool hasPort = false;
  if (!reg.empty() && reg.front() == '[') {
    const size_t close = reg.find(']');
    if (close == std::string_view::npos) return "registry \"" + std::string(reg) + "\": no ']'";
    host = reg.substr(1, close - 1);
    if (host.empty()) return "registry \"" + std::string(reg) + "\": empty IPv6 address";
    for (char ch : host) {
      if (!std::isxdigit(static_cast<unsigned char>(ch)) && ch != ':') {
        return "registry \"" + std::string(reg) + "\": invalid IPv6 address";
      }
    }
    const std::string_view rest = reg.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "registry \"" + std::string(reg) + "\" is invalid";
      port = rest.substr(1);
      hasPort = true;
    }
  } else {
    const size_t colon = reg.find(':');
    if (colon != std::string_view::npos) {
      host = reg.substr(0, colon);
      port = reg.substr(colon + 1);
      hasPort = true;
    }
    if (host.empty()) return "registry \"" + std::string(reg) + "\" has no host";
    size_t start = 0;
    while (start <= host.size()) {
      size_t dot = host.find('.', start);
      if (dot == std::string_view::npos) dot = host.size();
      const std::string_view label = host.substr(start, dot - start);
      if (label.empty() || !isAlnum(label.front()) || !isAlnum(label.back())) {
        return "registry host \"" + std::string(host) + "\" is not a valid host name";
      }
      for (char ch : label) {
        if (!isAlnum(ch) && ch != '-') {
          return "registry host \"" + std::string(host) + "\" has an invalid character '" +
                 std::string(1, ch) + "'";
        }
      }
      start = dot + 1;
    }
  }
  if (hasPort) {
    if (auto e = checkPort(port); !e.empty()) return "registry \"" + std::string(reg) + "\": " + e;
  }
  return {};
}

std::string checkTag(std::string_view tag) {
  if (tag.empty()) return "empty tag after ':'";
  if (tag.size() > kMaxTagLength) return "tag is longer than 128 characters";
  auto word = [](char ch) { return isAlnum(ch) || ch == '_'; };
  if (!word(tag.front()))
    return "tag \"" + std::string(tag) + "\" must start with a letter, digit or '_'";
  for (char ch : tag) {
    if (!word(ch) && ch != '.' && ch != '-') {
      return "tag \"" + std::string(tag) + "\" has an invalid character '" + std::string(1, ch) +
             "' (allowed: letters, digits, '_', '.', '-')";
    }
  }
  return {};
}

// Docker's rule for whether the first component names a registry.
bool looksLikeRegistry(std::string_view first) {
  if (first == "localhost") return true;
  for (char ch : first) {
    if (ch == '.' || ch == ':' || std::isupper(static_cast<unsigned char>(ch))) return true;
  }
  return false;
}

}  // namespace

bool isValidDigest(const std::string& digest) {
  constexpr std::string_view prefix = "sha256:";
  if (digest.size() != prefix.size() + 64 || digest.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  for (size_t i = prefix.size(); i < digest.size(); ++i) {
    if (!isHex(digest[i])) return false;
  }
  return true;
}

std::string ImageReference::name() const { return registry + "/" + repository; }

std::string ImageReference::str() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string ImageReference::manifestReference() const { return digest.empty() ? tag : digest; }

ImageReference ImageReference::withDigest(const std::string& d) const {
  ImageReference out = *this;
  out.tag.clear();
  out.digest = d;
  return out;
}

core::Result<ImageReference> parseImageReference(const std::string& text) {
  if (text.empty()) return invalid(text, "it is empty");
  for (char ch : text) {
    if (std::isspace(static_cast<unsigned char>(ch)) ||
        std::iscntrl(static_cast<unsigned char>(ch))) {
      return invalid(text, "it contains whitespace or a control character");
    }
  }
  ImageReference ref;
  std::string_view rest = text;

  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (ref.digest.rfind("sha256:", 0) != 0) {
      return invalid(text,
                     "digest \"" + ref.digest + "\" is not sha256 (expected sha256:<64 hex>)");
    }
    if (!isValidDigest(ref.digest)) {
      return invalid(text, "digest must be sha256: followed by 64 lower-case hex digits");
    }
  }
  // The tag is after the last ':' that follows the last '/' (a ':' before it is a port).
  const size_t slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (auto e = checkTag(ref.tag); !e.empty()) return invalid(text, e);
  }
  if (rest.empty()) return invalid(text, "no repository name");

  const size_t firstSlash = rest.find('/');
  if (firstSlash != std::string_view::npos && looksLikeRegistry(rest.substr(0, firstSlash))) {
    ref.registry = std::string(rest.substr(0, firstSlash));
    ref.repository = std::string(rest.substr(firstSlash + 1));
    if (auto e = checkRegistry(ref.registry); !e.empty()) return invalid(text, e);
  } else {
    ref.registry = kDockerHub;
    ref.repository = std::string(rest);
  }
  if (ref.registry == "index.docker.io") ref.registry = kDockerHub;
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }

  std::string_view path = ref.repository;
  if (path.empty()) return invalid(text, "no repository name after the registry");
  size_t start = 0;
  while (start <= path.size()) {
    size_t next = path.find('/', start);
    if (next == std::string_view::npos) next = path.size();
    if (auto e = checkPathComponent(path.substr(start, next - start)); !e.empty()) {
      return invalid(text, e);
    }
    start = next + 1;
  }
  if (ref.name().size() > kMaxNameLength) {
    return invalid(text, "the name is longer than 255 characters");
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace mlmodel::registry
