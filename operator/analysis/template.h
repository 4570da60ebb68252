#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mlmodel::analysis {

// What a metric query's placeholders stand for during one canary rollout.
struct QueryVars {
  std::string name{};                                            // {{name}}: the MLModel's name
  std::string namespaceName{};                                   // {{namespace}}
  std::string canaryVersion{};                                   // {{canary.version}}
  std::string stableVersion{};                                   // {{stable.version}}
  std::chrono::milliseconds interval{std::chrono::seconds(30)};  // {{interval}}, e.g. "30s"
};

// Fills in a PromQL template. Placeholders are {{name}}, {{namespace}},
// {{canary.version}}, {{stable.version}} and {{interval}}; spaces inside the braces are
// allowed ({{ name }}). String values are escaped for a PromQL double-quoted string
// (backslash, quote, newline), so they belong inside "..." label values:
//   renderQuery(R"(up{job="{{name}}", version="{{canary.version}}"}[{{interval}}])", vars)
// An unknown or unclosed placeholder is an Error that names it.
core::Result<std::string> renderQuery(const std::string& tmpl, const QueryVars& vars);

// `d` as a PromQL duration in its largest exact unit: 30s, 1m, 90s, 1h, 1500ms.
std::string promDuration(std::chrono::milliseconds d);

// `s` escaped for the inside of a PromQL double-quoted string.
std::string escapePromString(std::string_view s);

}  // namespace mlmodel::analysis
