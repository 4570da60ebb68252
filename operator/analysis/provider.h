#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace mlmodel::analysis {

// core::Error::reason values a MetricsProvider returns. Messages name the provider and,
// where it matters, the query, so they can go into status or an Event as they are.
// The query (or the address) is wrong: a person must fix it; retrying will not help.
inline constexpr const char* kReasonQueryInvalid = "QueryInvalid";
// Unreachable, timed out, 5xx, 429, not a Prometheus API answer: may heal by itself.
inline constexpr const char* kReasonProviderUnavailable = "ProviderUnavailable";
// 401/403: the credentials are missing or wrong.
inline constexpr const char* kReasonUnauthorized = "Unauthorized";

using Labels = std::map<std::string, std::string>;

// What an instant query returned, before any threshold is applied.
struct QueryResult {
  enum class Kind {
    Value,          // a scalar, or a vector of exactly one sample: `value`
    NoData,         // an empty vector
    SeveralSeries,  // a vector of more than one sample: `seriesCount`, `series`
  };
  Kind kind = Kind::NoData;
  double value = 0;                     // Kind::Value; may be NaN or +-Inf
  Labels labels{};                      // Kind::Value: the one series' labels (empty for a scalar)
  size_t seriesCount = 0;               // samples in the result
  std::vector<Labels> series{};         // Kind::SeveralSeries: the first few label sets
  std::vector<std::string> warnings{};  // the provider's warnings, if any

  static QueryResult ofValue(double v, Labels l = {}) {
    QueryResult r;
    r.kind = Kind::Value;
    r.value = v;
    r.labels = std::move(l);
    r.seriesCount = 1;
    return r;
  }
  static QueryResult noData() { return QueryResult{}; }
};

// `{__name__="up", job="x"}` as `up{job="x"}`, for messages.
std::string formatLabels(const Labels& labels);

// Runs instant queries against a metrics backend.
//   auto r = provider.query(R"(sum(rate(http_requests_total{code=~"5.."}[1m])))");
//   if (!r) ... r.error().reason is one of the kReason* above ...
//   else if (r->kind == QueryResult::Kind::Value) use(r->value);
// Implementations: PrometheusProvider; FakeMetricsProvider (fake_provider.h) for tests.
// Implementations are thread-safe.
class MetricsProvider {
 public:
  virtual ~MetricsProvider() = default;
  // Evaluates `promql` (already rendered) at the provider's current time.
  virtual core::Result<QueryResult> query(const std::string& promql) = 0;
};

}  // namespace mlmodel::analysis
