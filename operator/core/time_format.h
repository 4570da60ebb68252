#pragma once

#include <optional>
#include <string>

#include "core/clock.h"

namespace mlmodel::core {

// RFC 3339 in UTC with whole seconds, as Kubernetes metav1.Time: "2026-11-26T15:04:05Z".
std::string rfc3339(WallTime t);

// The same with milliseconds ("2026-11-26T15:04:05.250Z"), for times that pace work in
// steps shorter than a second.
std::string rfc3339Millis(WallTime t);

// The years a WallTime holds whole: int64 nanoseconds either side of 1970 reach from
// 1677-09-21 to 2262-04-11. Time parsers reject other years (RFC 3339 allows 0000-9999)
// instead of overflowing.
inline constexpr int kMinWallTimeYear = 1678;
inline constexpr int kMaxWallTimeYear = 2261;

// Parses what rfc3339() writes, also with fractional seconds or a numeric offset
// ("2026-11-26T15:04:05.5+01:00"); nullopt when `s` is not such a time.
std::optional<WallTime> parseRfc3339(const std::string& s);

}  // namespace mlmodel::core
