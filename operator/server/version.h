#pragma once

#include <string_view>

namespace mlmodel::server {

// The operator's version, from the CMake project version.
std::string_view version();

}  // namespace mlmodel::server
