#pragma once

#include <string>
#include <string_view>

#include "core/encoding.h"
#include "core/result.h"

// Small encoders the registry client needs. Internal to registry/; not a public API.
namespace mlmodel::registry::detail {

using core::base64Decode;  // core/encoding.h
using core::base64Encode;
using core::excerpt;
using core::toLower;
using core::urlEncode;

// "sha256:" followed by the lower-case hex SHA-256 of `data`.
std::string sha256Digest(std::string_view data);

}  // namespace mlmodel::registry::detail
