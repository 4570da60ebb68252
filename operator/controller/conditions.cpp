#include "controller/conditions.h"

namespace mlmodel::controller {

const Json* findCondition(const Json& conditions, const std::string& type) {
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions.as_array()) {
    if (c.has_string_field("type") && c.at("type").as_string() == type) return &c;
  }
  return nullptr;
}

Json buildConditions(const Json& previous, const std::vector<Condition>& wanted, int64_t generation,
                     const std::string& now) {
  Json out = Json::array();
  size_t i = 0;
  for (const auto& w : wanted) {
    Json c = Json::object();
    c["type"] = Json::string(w.type);
    c["status"] = Json::string(w.status);
    c["observedGeneration"] = Json::number(generation);
    std::string since = now;
    if (const Json* old = findCondition(previous, w.type);
        old && old->has_string_field("status") && old->at("status").as_string() == w.status &&
        old->has_string_field("lastTransitionTime")) {
      since = old->at("lastTransitionTime").as_string();
    }
    c["lastTransitionTime"] = Json::string(since);
    c["reason"] = Json::string(w.reason);
    c["message"] = Json::string(w.message);
    out[i++] = c;
  }
  return out;
}

}  // namespace mlmodel::controller
