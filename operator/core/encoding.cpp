#include "core/encoding.h"

#include <openssl/evp.h>

#include <cctype>
#include <cstdio>

namespace mlmodel::core {
namespace {

bool isBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

}  // namespace

Result<std::string> base64Decode(std::string_view in) {
  std::string clean;
  clean.reserve(in.size() + 3);
  for (char c : in) {
    if (!std::isspace(static_cast<unsigned char>(c))) clean.push_back(c);
  }
  size_t body = clean.size();
  while (body > 0 && clean[body - 1] == '=') --body;
  if (clean.size() - body > 2) return Error{"not valid base64: too much padding"};
  // EVP_DecodeBlock reads '=' anywhere as a zero sextet, so check the alphabet ourselves.
  for (size_t i = 0; i < body; ++i) {
    if (!isBase64Char(clean[i])) {
      return Error{"not valid base64: unexpected character at offset " + std::to_string(i)};
    }
  }
  clean.resize(body);
  if (body % 4 == 1) return Error{"not valid base64: truncated input"};
  while (clean.size() % 4 != 0) clean.push_back('=');
  if (clean.empty()) return std::string();
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()),
                                static_cast<int>(clean.size()));
  if (n < 0) return Error{"not valid base64"};
  // It decodes padding as zero bytes; drop them.
  out.resize(static_cast<size_t>(n) - (clean.size() - body));
  return out;
}

std::string base64Encode(std::string_view in) {
  if (in.empty()) return {};
  std::string out((in.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string urlEncode(std::string_view in) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  return out;
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string excerpt(std::string_view body, size_t limit) {
  std::string s(body.substr(0, limit));
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (body.size() > s.size()) s += "...";
  return s;
}

std::string authorizationValue(const std::string& bearerToken, const std::string& username,
                               const std::string& password) {
  if (!bearerToken.empty()) return "Bearer " + bearerToken;
  if (!username.empty()) return "Basic " + base64Encode(username + ":" + password);
  return "";
}

}  // namespace mlmodel::core
