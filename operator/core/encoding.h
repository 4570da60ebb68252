#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace mlmodel::core {

// Standard base64 with padding, as Go's encoding/base64 writes it (kubeconfig data
// fields, Secrets, docker config auths); whitespace is ignored and missing padding
// tolerated. Errors say what is wrong and where.
Result<std::string> base64Decode(std::string_view in);
std::string base64Encode(std::string_view in);
// An Authorization header value: "Bearer <token>" when a token is given, else "Basic
// base64(user:password)" when a user is, else "". For the clients of servers a spec names.
std::string authorizationValue(const std::string& bearerToken, const std::string& username,
                               const std::string& password);

// Percent-encodes everything outside RFC 3986's unreserved set (for query values).
std::string urlEncode(std::string_view in);

// ASCII lower case (header names, URL schemes, registry hosts).
std::string toLower(std::string_view s);

// A short, single-line excerpt of a peer's body for an error message.
std::string excerpt(std::string_view body, size_t limit = 200);

}  // namespace mlmodel::core
