#include "analysis/prometheus_provider.h"

#include <cpprest/json.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "core/base_url.h"
#include "core/encoding.h"

namespace mlmodel::analysis {
namespace {

namespace json = web::json;

// How many label sets of a several-series answer are kept for the message.
constexpr size_t kSeriesShown = 5;

// Prometheus writes sample values as Go's FormatFloat does: "1.5", "1e-05", "NaN", "+Inf".
std::optional<double> parseSampleValue(std::string s) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "+Inf" || s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (!s.empty() && s.front() == '+') s.erase(0, 1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The errorType of a body {"status":"error","errorType":...}, if it is one: one of the
// Prometheus API's own words, else "error". Nothing else of a reply is ever quoted in a
// message (status and Events are read by the model's owner, and the address is theirs to
// choose: a quoted body would let them read services they cannot reach themselves).
std::optional<std::string> apiErrorType(const json::value& v) {
  if (!v.is_object() || !v.has_string_field("status") || v.at("status").as_string() != "error") {
    return std::nullopt;
  }
  static const std::set<std::string> kKnown = {"bad_data",  "execution",     "timeout",
                                               "canceled",  "internal",      "unavailable",
                                               "not_found", "not_acceptable"};
  const std::string type = v.has_string_field("errorType") ? v.at("errorType").as_string() : "";
  return kKnown.count(type) ? type : "error";
}

json::value parseJson(const std::string& body, bool& ok) {
  std::error_code ec;
  auto v = json::value::parse(body, ec);
  ok = !ec;
  return v;
}

Labels labelsOf(const json::value& sample) {
  Labels out;
  if (!sample.is_object() || !sample.has_object_field("metric")) return out;
  for (const auto& [k, v] : sample.at("metric").as_object()) {
    out[k] = v.is_string() ? v.as_string() : v.serialize();
  }
  return out;
}

// [<unix time>, "<value>"] -> the value.
std::optional<double> pairValue(const json::value& pair) {
  if (!pair.is_array() || pair.size() != 2 || !pair.at(1).is_string()) return std::nullopt;
  return parseSampleValue(pair.at(1).as_string());
}

std::string promDurationText(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

}  // namespace

std::string formatLabels(const Labels& labels) {
  std::string name;
  std::string inner;
  for (const auto& [k, v] : labels) {
    if (k == "__name__") {
      name = v;
      continue;
    }
    if (!inner.empty()) inner += ", ";
    inner += k + "=\"" + v + "\"";
  }
  return name + "{" + inner + "}";
}

core::Result<std::unique_ptr<PrometheusProvider>> PrometheusProvider::create(
    PrometheusOptions options, PrometheusTransportFactory factory) {
  const auto url = core::splitBaseUrl(options.address);
  if (!url) {
    return core::Error{"Prometheus address \"" + options.address +
                           "\" is not an http or https URL such as http://prometheus:9090",
                       0, kReasonQueryInvalid};
  }
  if (!options.bearerToken.empty() && (!options.username.empty() || !options.password.empty())) {
    return core::Error{"Prometheus " + options.address +
                           ": give a bearer token or a username and password, not both",
                       0, kReasonQueryInvalid};
  }
  if (!factory) factory = http::makeTransport;
  http::TlsOptions tls;
  tls.caPem = options.caPem;
  tls.insecureSkipVerify = options.insecureSkipVerify;
  auto transport = factory(url->base, tls);
  return std::unique_ptr<PrometheusProvider>(
      new PrometheusProvider(std::move(options), url->base, url->prefix, std::move(transport)));
}

PrometheusProvider::PrometheusProvider(PrometheusOptions options, std::string baseUrl,
                                       std::string pathPrefix,
                                       std::unique_ptr<http::Transport> transport)
    : options_(std::move(options)),
      baseUrl_(std::move(baseUrl)),
      pathPrefix_(std::move(pathPrefix)),
      authorization_(
          core::authorizationValue(options_.bearerToken, options_.username, options_.password)),
      transport_(std::move(transport)) {}

std::string PrometheusProvider::authDescription() const {
  if (!options_.bearerToken.empty()) return "with a bearer token";
  if (!options_.username.empty()) return "as user \"" + options_.username + "\"";
  return "without credentials";
}

core::Result<QueryResult> PrometheusProvider::query(const std::string& promql) {
  http::Request req;
  req.method = "GET";
  req.target = pathPrefix_ + "/api/v1/query?query=" + core::urlEncode(promql);
  req.headers["Accept"] = "application/json";
  if (!authorization_.empty()) req.headers["Authorization"] = authorization_;
  req.timeout = options_.timeout;
  req.maxBodyBytes = options_.maxReplyBytes;
  auto resp = transport_->send(req);
  if (!resp) {
    return core::Error{"Prometheus " + options_.address + " is unreachable (query timeout " +
                           promDurationText(options_.timeout) + "): " + resp.error().message,
                       0, kReasonProviderUnavailable};
  }
  if (resp->status / 100 != 2) return httpFailure(resp.value(), promql);

  bool ok = false;
  const json::value body = parseJson(resp->body, ok);
  const std::string who = "Prometheus " + options_.address;
  if (!ok || !body.is_object() || !body.has_string_field("status")) {
    return core::Error{who + " did not answer like the Prometheus HTTP API (HTTP " +
                           std::to_string(resp->status) + ", " + std::to_string(resp->body.size()) +
                           " bytes; check the address and its path prefix)",
                       resp->status, kReasonProviderUnavailable};
  }
  if (auto type = apiErrorType(body)) {
    const bool invalid = *type == "bad_data" || *type == "execution";
    return core::Error{who + (invalid ? " rejected the query (" : " failed the query (") + *type +
                           (invalid ? "; run it in Prometheus to see why): " : "): ") + promql,
                       resp->status, invalid ? kReasonQueryInvalid : kReasonProviderUnavailable};
  }
  if (!body.has_object_field("data") || !body.at("data").has_string_field("resultType") ||
      !body.at("data").has_field("result")) {
    return core::Error{who + " answered without data.resultType and data.result", resp->status,
                       kReasonProviderUnavailable};
  }
  const json::value& data = body.at("data");
  const std::string type = data.at("resultType").as_string();
  const json::value& result = data.at("result");

  QueryResult out;
  if (body.has_array_field("warnings")) {
    for (const auto& w : body.at("warnings").as_array()) {
      if (w.is_string()) out.warnings.push_back(w.as_string());
    }
  }
  const auto malformed = [&](const std::string& what) {
    return core::Error{who + " sent a malformed " + what + " result", resp->status,
                       kReasonProviderUnavailable};
  };
  if (type == "scalar") {
    const auto v = pairValue(result);
    if (!v) return malformed("scalar");
    out.kind = QueryResult::Kind::Value;
    out.value = *v;
    out.seriesCount = 1;
    return out;
  }
  if (type == "vector") {
    if (!result.is_array()) return malformed("vector");
    const auto& samples = result.as_array();
    out.seriesCount = samples.size();
    if (samples.size() == 0) {
      out.kind = QueryResult::Kind::NoData;
      return out;
    }
    if (samples.size() > 1) {
      out.kind = QueryResult::Kind::SeveralSeries;
      for (const auto& s : samples) {
        if (out.series.size() == kSeriesShown) break;
        out.series.push_back(labelsOf(s));
      }
      return out;
    }
    const auto& sample = samples.at(0);
    const auto v = sample.is_object() && sample.has_field("value") ? pairValue(sample.at("value"))
                                                                   : std::nullopt;
    if (!v) return malformed("vector");
    out.kind = QueryResult::Kind::Value;
    out.value = *v;
    out.labels = labelsOf(sample);
    return out;
  }
  if (type == "matrix") {
    return core::Error{who +
                           ": the query returns a range vector; a check needs an instant "
                           "vector or a scalar (wrap the range in a function such as rate(), "
                           "avg_over_time() or max_over_time()): " +
                           promql,
                       resp->status, kReasonQueryInvalid};
  }
  return core::Error{who + ": the query returns " +
                         (type == "string" ? "a string" : "an unknown result type") +
                         ", not a number (a check needs an instant vector or a scalar): " + promql,
                     resp->status, kReasonQueryInvalid};
}

core::Error PrometheusProvider::httpFailure(const http::Response& resp,
                                            const std::string& promql) const {
  const std::string who = "Prometheus " + options_.address;
  const int s = resp.status;
  bool ok = false;
  const json::value body = parseJson(resp.body, ok);
  const std::string detail = ok ? apiErrorType(body).value_or("") : "";
  const std::string status = "HTTP " + std::to_string(s);
  if (s == 401 || s == 403) {
    return core::Error{who + " denied the query made " + authDescription() + " (" + status +
                           (detail.empty() ? ")" : "): " + detail),
                       s, kReasonUnauthorized};
  }
  // A 404 is the address (or its path prefix) pointing elsewhere than the API; a 429 is
  // load. Both may resolve without the query changing.
  if (s / 100 == 5 || s == 429 || s == 404 || s == 408) {
    std::string hint =
        s == 404 ? " (is the address, with its path prefix, the Prometheus API?)" : "";
    return core::Error{
        who + " is unavailable (" + status + (detail.empty() ? ")" : "): " + detail) + hint, s,
        kReasonProviderUnavailable};
  }
  if (s / 100 == 4) {
    return core::Error{who + " rejected the query (" + status +
                           (detail.empty() ? "" : ", " + detail) + "): " + promql,
                       s, kReasonQueryInvalid};
  }
  return core::Error{who + " answered " + status + (detail.empty() ? "" : ": " + detail), s,
                     kReasonProviderUnavailable};
}

}  // namespace mlmodel::analysis
