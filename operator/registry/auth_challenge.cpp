#include "registry/auth_challenge.h"

#include "registry/encoding.h"

namespace mlmodel::registry::detail {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::vector<Challenge> parseWwwAuthenticate(const std::string& s) {
  std::vector<Challenge> out;
  size_t p = 0;
  const size_t n = s.size();
  auto skipSpace = [&] {
    while (p < n && isSpace(s[p])) ++p;
  };
  while (p < n) {
    while (p < n && (isSpace(s[p]) || s[p] == ',')) ++p;
    const size_t start = p;
    while (p < n && !isSpace(s[p]) && s[p] != ',' && s[p] != '=') ++p;
    const std::string token = s.substr(start, p - start);
    skipSpace();
    if (p < n && s[p] == '=') {
      ++p;
      skipSpace();
      std::string value;
      if (p < n && s[p] == '"') {
        ++p;
        while (p < n && s[p] != '"') {
          if (s[p] == '\\' && p + 1 < n) ++p;
          value.push_back(s[p++]);
        }
        if (p < n) ++p;  // the closing quote
      } else {
        while (p < n && !isSpace(s[p]) && s[p] != ',') value.push_back(s[p++]);
      }
      // A parameter before any scheme, or a token68 ("abc=="), belongs to nothing.
      if (!out.empty() && !token.empty()) out.back().params[toLower(token)] = value;
    } else if (!token.empty()) {
      out.push_back({toLower(token), {}});
    }
  }
  return out;
}

}  // namespace mlmodel::registry::detail
