#include "analysis/template.h"

namespace mlmodel::analysis {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string escapePromString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string promDuration(std::chrono::milliseconds d) {
  const long long ms = d.count();
  // Single units only: compound durations (1m30s) need a newer Prometheus than some run.
  struct Unit {
    long long ms;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {86400000LL * 7, "w"}, {86400000LL, "d"}, {3600000LL, "h"}, {60000LL, "m"}, {1000LL, "s"}};
  if (ms > 0) {
    for (const auto& u : kUnits) {
      if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.suffix;
    }
  }
  return std::to_string(ms) + "ms";
}

core::Result<std::string> renderQuery(const std::string& tmpl, const QueryVars& vars) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  size_t pos = 0;
  while (true) {
    const size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = tmpl.find("}}", open + 2);
    if (close == std::string::npos) {
      return core::Error{"query template: unclosed placeholder \"" + tmpl.substr(open, 32) +
                         "\" at offset " + std::to_string(open)};
    }
    out.append(tmpl, pos, open - pos);
    const std::string_view key = trim(std::string_view(tmpl).substr(open + 2, close - open - 2));
    if (key == "name") {
      out += escapePromString(vars.name);
    } else if (key == "namespace") {
      out += escapePromString(vars.namespaceName);
    } else if (key == "canary.version") {
      out += escapePromString(vars.canaryVersion);
    } else if (key == "stable.version") {
      out += escapePromString(vars.stableVersion);
    } else if (key == "interval") {
      out += promDuration(vars.interval);
    } else {
      return core::Error{"query template: unknown placeholder {{" + std::string(key) +
                         "}} (known: {{name}}, {{namespace}}, {{canary.version}}, "
                         "{{stable.version}}, {{interval}})"};
    }
    pos = close + 2;
  }
  out.append(tmpl, pos, std::string::npos);
  return out;
}

}  // namespace mlmodel::analysis
