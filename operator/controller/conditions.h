#pragma once

#include <cpprest/json.h>

#include <string>
#include <vector>

namespace mlmodel::controller {

using Json = web::json::value;

struct Condition {
  std::string type;
  std::string status;  // True, False, Unknown
  std::string reason;
  std::string message;
};

// The status.conditions array for `wanted`, in that order. A condition whose status did
// not change keeps its lastTransitionTime from `previous`; others get `now`. Conditions
// absent from `wanted` are dropped (kstatus: Reconciling and Stalled exist only while True).
Json buildConditions(const Json& previous, const std::vector<Condition>& wanted, int64_t generation,
                     const std::string& now);

// The condition of `type` in a status.conditions array, or null.
const Json* findCondition(const Json& conditions, const std::string& type);

}  // namespace mlmodel::controller
