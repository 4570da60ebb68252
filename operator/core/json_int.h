#pragma once

// Whole numbers read from JSON that anyone may have written (a status, a Lease, a route).

#include <cpprest/json.h>

#include <limits>
#include <optional>

namespace mlmodel::core {

// `v` as an int when it is a number within int's range (a fraction is truncated); nullopt
// otherwise. cpprest's as_integer() casts a double such as 1e51 straight to int, which is
// undefined behaviour.
inline std::optional<int> jsonInt(const web::json::value& v) {
  if (!v.is_number()) return std::nullopt;
  const double d = v.as_double();
  if (!(d >= std::numeric_limits<int>::min() && d <= std::numeric_limits<int>::max())) {
    return std::nullopt;  // NaN fails both comparisons
  }
  return v.is_integer() ? static_cast<int>(v.as_number().to_int64()) : static_cast<int>(d);
}

}  // namespace mlmodel::core
