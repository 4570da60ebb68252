#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

// Small encoders the registry client needs. Internal to registry/; not a public API.
// (kube/ has its own copies, and registry/ must not depend on kube/.)
namespace mlmodel::registry::detail {

// Standard base64 with padding; whitespace is ignored and missing padding tolerated.
core::Result<std::string> base64Decode(std::string_view in);
std::string base64Encode(std::string_view in);

// "sha256:" followed by the lower-case hex SHA-256 of `data`.
std::string sha256Digest(std::string_view data);

// Percent-encodes everything outside RFC 3986's unreserved set (for query values).
std::string urlEncode(std::string_view in);

std::string toLower(std::string_view s);

}  // namespace mlmodel::registry::detail
