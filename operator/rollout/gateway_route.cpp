#include "rollout/gateway_route.h"

#include "core/json_read.h"

namespace mlmodel::rollout {
namespace {

// A backendRef to the core Service of this name in the route's namespace (kind, group and
// namespace may be left out; a ref into another namespace names a different Service).
bool refersTo(const Json& ref, const std::string& service, const std::string& routeNs) {
  const std::string kind = core::jsonString(ref, {"kind"});
  const std::string group = core::jsonString(ref, {"group"});
  const std::string ns = core::jsonString(ref, {"namespace"});
  return core::jsonString(ref, {"name"}) == service && (kind.empty() || kind == "Service") &&
         group.empty() && (ns.empty() || ns == routeNs);
}

int weightOf(const Json& ref) { return core::jsonInt32(ref, {"weight"}, 1); }

const Json* rulesOf(const Json& route) {
  if (!route.has_object_field("spec") || !route.at("spec").has_array_field("rules")) {
    return nullptr;
  }
  return &route.at("spec").at("rules");
}

// Which backendRefs of `rule` point at the stable and canary Services.
struct Refs {
  int stable = -1;
  int canary = -1;
};
Refs refsIn(const Json& rule, const std::string& stable, const std::string& canary,
            const std::string& routeNs) {
  Refs r;
  if (!rule.is_object() || !rule.has_array_field("backendRefs")) return r;
  const auto& refs = rule.at("backendRefs").as_array();
  int i = 0;
  for (const auto& ref : refs) {
    if (r.stable < 0 && refersTo(ref, stable, routeNs)) r.stable = i;
    if (r.canary < 0 && refersTo(ref, canary, routeNs)) r.canary = i;
    ++i;
  }
  return r;
}

}  // namespace

RouteWeights currentWeights(const Json& route, const std::string& stableService,
                            const std::string& canaryService) {
  RouteWeights w;
  const Json* rules = rulesOf(route);
  if (!rules) return w;
  const std::string ns = core::jsonString(route, {"metadata", "namespace"});
  for (const auto& rule : rules->as_array()) {
    const Refs r = refsIn(rule, stableService, canaryService, ns);
    if (r.stable < 0 || r.canary < 0) continue;
    const auto& refs = rule.at("backendRefs");
    w.stable = weightOf(refs.at(static_cast<size_t>(r.stable)));
    w.canary = weightOf(refs.at(static_cast<size_t>(r.canary)));
    break;
  }
  return w;
}

core::Result<Json> routeWeightsApply(const Json& route, const std::string& stableService,
                                     const std::string& canaryService, int canaryWeight) {
  const std::string name = core::jsonString(route, {"metadata", "name"});
  const std::string ns = core::jsonString(route, {"metadata", "namespace"});
  if (canaryWeight < 0 || canaryWeight > 100) {
    return core::Error{"HTTPRoute " + ns + "/" + name + ": canary weight " +
                           std::to_string(canaryWeight) + " is outside 0..100",
                       0, "InvalidWeight"};
  }
  const Json* rules = rulesOf(route);
  Json out = Json::object();
  out["apiVersion"] = Json::string(httpRoutes.group + "/" + httpRoutes.version);
  out["kind"] = Json::string("HTTPRoute");
  out["metadata"]["name"] = Json::string(name);
  out["metadata"]["namespace"] = Json::string(ns);
  // The version read: a route changed since (another edit of its rules) makes the apply
  // fail with 409 instead of overwriting that edit with the rules as they were read.
  if (const std::string rv = core::jsonString(route, {"metadata", "resourceVersion"});
      !rv.empty()) {
    out["metadata"]["resourceVersion"] = Json::string(rv);
  }
  Json newRules = rules ? *rules : Json::array();
  bool found = false;
  for (size_t i = 0; i < newRules.size(); ++i) {
    Json& rule = newRules[i];
    const Refs r = refsIn(rule, stableService, canaryService, ns);
    if (r.stable < 0 || r.canary < 0) continue;
    found = true;
    rule["backendRefs"][static_cast<size_t>(r.stable)]["weight"] = Json::number(100 - canaryWeight);
    rule["backendRefs"][static_cast<size_t>(r.canary)]["weight"] = Json::number(canaryWeight);
  }
  if (!found) {
    return core::Error{"HTTPRoute " + ns + "/" + name + " has no rule with backendRefs to both " +
                           stableService + " and " + canaryService +
                           ": add them (the operator sets their weights)",
                       0, "RouteInvalid"};
  }
  out["spec"]["rules"] = newRules;
  return out;
}

}  // namespace mlmodel::rollout
