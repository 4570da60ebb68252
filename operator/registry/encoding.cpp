#include "registry/encoding.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cctype>

namespace mlmodel::registry::detail {
std::string sha256Digest(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char b : md) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 0xf]);
  }
  return out;
}

}  // namespace mlmodel::registry::detail
