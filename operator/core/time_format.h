#pragma once

#include <string>

#include "core/clock.h"

namespace mlmodel::core {

// RFC 3339 in UTC with whole seconds, as Kubernetes metav1.Time: "2026-11-26T15:04:05Z".
std::string rfc3339(WallTime t);

}  // namespace mlmodel::core
