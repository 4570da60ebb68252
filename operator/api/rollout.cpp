#include "api/rollout.h"

#include <limits>

#include "api/json_fields.h"

namespace mlmodel::api {
namespace {

using core::Error;

Error invalid(const std::string& path, const std::string& what) {
  return Error{path + ": " + what, 0, "InvalidSpec"};
}

// Sets `out` from an optional field when present; returns the error otherwise.
#define MLMODEL_READ(expr, out)          \
  do {                                   \
    auto r_ = (expr);                    \
    if (!r_) return r_.error();          \
    if (r_.value()) (out) = *r_.value(); \
  } while (0)

core::Status readDuration(const JsonFields& f, const char* field, Millis& out) {
  auto s = f.string(field);
  if (!s) return s.error();
  if (!s.value()) return core::Ok{};
  auto d = parseDuration(*s.value());
  if (!d) {
    return invalid(f.pathOf(field),
                   "invalid duration \"" + *s.value() + "\" (write e.g. 30s, 5m or 1h30m)");
  }
  out = *d;
  return core::Ok{};
}

// Reads an integer field within [min, max]; `out` keeps its default when the field is absent.
core::Status readInt(const JsonFields& f, const char* field, int& out, int min,
                     int max = std::numeric_limits<int>::max()) {
  auto v = f.integer(field);
  if (!v) return v.error();
  if (!v.value()) return core::Ok{};
  const int64_t n = *v.value();
  if (n < min || n > max) {
    std::string want = "within " + std::to_string(min) + ".." + std::to_string(max);
    if (max == std::numeric_limits<int>::max()) {
      want = n < min ? "at least " + std::to_string(min) : "at most " + std::to_string(max);
    }
    return invalid(f.pathOf(field), "must be " + want + ", got " + std::to_string(n));
  }
  out = static_cast<int>(n);
  return core::Ok{};
}

core::Result<std::optional<PrometheusRef>> decodePrometheus(const JsonFields& parent) {
  auto obj = parent.object("prometheus");
  if (!obj) return obj.error();
  if (!obj.value()) return std::optional<PrometheusRef>{};
  const std::string path = parent.pathOf("prometheus");
  JsonFields f(*obj.value(), path);
  PrometheusRef p;
  MLMODEL_READ(f.string("address"), p.address);
  if (p.address.empty()) return invalid(path + ".address", "required");
  for (auto [field, out] :
       {std::pair{"authSecretRef", &p.authSecret}, std::pair{"caSecretRef", &p.caSecret}}) {
    auto ref = f.object(field);
    if (!ref) return ref.error();
    if (!ref.value()) continue;
    JsonFields r(*ref.value(), f.pathOf(field));
    MLMODEL_READ(r.string("name"), *out);
  }
  if (auto d = readDuration(f, "timeout", p.timeout); !d) return d.error();
  return std::optional<PrometheusRef>(p);
}

core::Result<std::vector<MetricSpec>> decodeMetrics(const JsonFields& parent) {
  std::vector<MetricSpec> out;
  auto arr = parent.array("metrics");
  if (!arr) return arr.error();
  if (!arr.value()) return out;
  size_t i = 0;
  for (const auto& item : arr.value()->as_array()) {
    const std::string path = parent.pathOf("metrics") + "[" + std::to_string(i++) + "]";
    if (!item.is_object()) return invalid(path, "expected an object, got " + describeType(item));
    JsonFields f(item, path);
    MetricSpec m;
    MLMODEL_READ(f.string("name"), m.name);
    if (m.name.empty()) return invalid(path + ".name", "required");
    MLMODEL_READ(f.string("query"), m.query);
    if (m.query.empty()) return invalid(path + ".query", "required");
    auto min = f.number("min");
    if (!min) return min.error();
    m.min = min.value();
    auto max = f.number("max");
    if (!max) return max.error();
    m.max = max.value();
    // As the CRD's rules, for a cluster whose CRD is older than this operator.
    if (!m.min && !m.max) return invalid(path, "set min, max or both");
    if (m.min && m.max && *m.min > *m.max) {
      return invalid(path + ".min", "must not exceed max");
    }
    MLMODEL_READ(f.string("onNoData"), m.onNoData);
    if (m.onNoData != "Fail" && m.onNoData != "Pass" && m.onNoData != "Inconclusive") {
      return invalid(path + ".onNoData",
                     "\"" + m.onNoData + "\" is not one of Fail, Pass, Inconclusive");
    }
    out.push_back(std::move(m));
  }
  return out;
}

core::Result<AnalysisSpec> decodeAnalysis(const JsonFields& canary) {
  AnalysisSpec a;
  auto obj = canary.object("analysis");
  if (!obj) return obj.error();
  if (!obj.value()) return a;
  JsonFields f(*obj.value(), canary.pathOf("analysis"));
  if (auto d = readDuration(f, "interval", a.interval); !d) return d.error();
  if (auto r = readInt(f, "failureLimit", a.failureLimit, 1); !r) return r.error();
  if (auto r = readInt(f, "consecutiveErrorLimit", a.consecutiveErrorLimit, 1); !r) {
    return r.error();
  }
  auto prom = decodePrometheus(f);
  if (!prom) return prom.error();
  a.prometheus = prom.value();
  auto metrics = decodeMetrics(f);
  if (!metrics) return metrics.error();
  a.metrics = std::move(metrics.value());
  return a;
}

core::Result<CanarySpec> decodeCanary(const Json& obj, const std::string& path) {
  JsonFields f(obj, path);
  CanarySpec c;
  auto steps = f.array("steps");
  if (!steps) return steps.error();
  if (steps.value()) {
    size_t i = 0;
    int last = 0;
    for (const auto& item : steps.value()->as_array()) {
      const std::string sp = f.pathOf("steps") + "[" + std::to_string(i++) + "]";
      if (!item.is_object()) return invalid(sp, "expected an object, got " + describeType(item));
      JsonFields s(item, sp);
      CanaryStep step;
      if (auto r = readInt(s, "weight", step.weight, 1, 99); !r) return r.error();
      if (step.weight == 0) return invalid(s.pathOf("weight"), "required");
      if (step.weight <= last) {
        return invalid(s.pathOf("weight"), "weights must increase strictly");
      }
      last = step.weight;
      if (auto d = readDuration(s, "pause", step.pause); !d) return d.error();
      c.steps.push_back(step);
    }
  }
  if (auto d = readDuration(f, "progressDeadline", c.progressDeadline); !d) return d.error();
  auto traffic = f.object("traffic");
  if (!traffic) return traffic.error();
  if (traffic.value()) {
    JsonFields t(*traffic.value(), f.pathOf("traffic"));
    auto gw = t.object("gatewayAPI");
    if (!gw) return gw.error();
    if (gw.value()) {
      c.traffic.kind = TrafficSpec::Kind::GatewayAPI;
      JsonFields g(*gw.value(), t.pathOf("gatewayAPI"));
      MLMODEL_READ(g.string("httpRoute"), c.traffic.httpRoute);
      if (c.traffic.httpRoute.empty()) return invalid(g.pathOf("httpRoute"), "required");
    }
  }
  auto analysis = decodeAnalysis(f);
  if (!analysis) return analysis.error();
  c.analysis = std::move(analysis.value());
  return c;
}

}  // namespace

std::optional<Millis> parseDuration(const std::string& s) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    int64_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      const int digit = s[i++] - '0';
      if (n > (kMax - digit) / 10) return std::nullopt;
      n = n * 10 + digit;
    }
    int64_t unit = 0;
    if (s.compare(i, 2, "ms") == 0) {
      unit = 1;
      i += 2;
    } else if (i < s.size() && s[i] == 's') {
      unit = 1000;
      ++i;
    } else if (i < s.size() && s[i] == 'm') {
      unit = 60'000;
      ++i;
    } else if (i < s.size() && s[i] == 'h') {
      unit = 3'600'000;
      ++i;
    } else {
      return std::nullopt;
    }
    if (n > (kMax - total) / unit) return std::nullopt;
    total += n * unit;
  }
  return Millis(total);
}

core::Result<RolloutSpec> decodeRollout(const Json& rollout) {
  RolloutSpec r;
  if (rollout.is_null()) return r;
  if (!rollout.is_object()) {
    return invalid("spec.rollout", "expected an object, got " + describeType(rollout));
  }
  JsonFields f(rollout, "spec.rollout");
  MLMODEL_READ(f.boolean("paused"), r.paused);
  auto canary = f.object("canary");
  if (!canary) return canary.error();
  if (canary.value()) {
    auto c = decodeCanary(*canary.value(), f.pathOf("canary"));
    if (!c) return c.error();
    r.canary = std::move(c.value());
  }
  return r;
}

core::Result<MonitoringSpec> decodeMonitoring(const Json& monitoring) {
  MonitoringSpec m;
  if (monitoring.is_null()) return m;
  if (!monitoring.is_object()) {
    return invalid("spec.monitoring", "expected an object, got " + describeType(monitoring));
  }
  JsonFields f(monitoring, "spec.monitoring");
  MLMODEL_READ(f.boolean("enabled"), m.enabled);
  if (auto d = readDuration(f, "interval", m.interval); !d) return d.error();
  if (auto r = readInt(f, "failureLimit", m.failureLimit, 1); !r) return r.error();
  MLMODEL_READ(f.boolean("rollbackOnFailure"), m.rollbackOnFailure);
  auto prom = decodePrometheus(f);
  if (!prom) return prom.error();
  m.prometheus = prom.value();
  auto metrics = decodeMetrics(f);
  if (!metrics) return metrics.error();
  m.metrics = std::move(metrics.value());
  return m;
}

}  // namespace mlmodel::api
