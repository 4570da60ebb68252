#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "analysis/provider.h"
#include "http/transport.h"

namespace mlmodel::analysis {

// Makes the transport for one server ("scheme://host:port") with its TLS settings. Tests
// inject fakes; the default is http::makeTransport.
using PrometheusTransportFactory = std::function<std::unique_ptr<http::Transport>(
    const std::string& baseUrl, const http::TlsOptions& tls)>;

struct PrometheusOptions {
  // The HTTP API's base URL: http or https, with an optional path prefix for a
  // Prometheus behind a proxy or started with --web.route-prefix, e.g.
  // https://monitoring.example/prometheus.
  std::string address{};
  // At most one of these: a bearer token, or basic auth (username + password).
  std::string bearerToken{};
  std::string username{};
  std::string password{};
  std::string caPem{};  // the CA bundle for an https address; empty: the system's roots
  bool insecureSkipVerify = false;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};  // per query
  // The largest reply read; a longer one fails the query (ProviderUnavailable).
  std::size_t maxReplyBytes = 8 * http::kMiB;
};

// Instant queries over the Prometheus HTTP API: GET <address>/api/v1/query?query=...,
// evaluated at Prometheus' now. A scalar or a one-sample vector is a value (the strings
// "NaN", "+Inf" included); an empty vector is no data; several samples are
// Kind::SeveralSeries; a range vector or a string is an Error saying what to write
// instead. Errors carry one of the kReason* reasons:
//   4xx, errorType bad_data or execution      -> QueryInvalid (with Prometheus' words)
//   401, 403                                  -> Unauthorized
//   unreachable, timeout, 5xx, 429, 404, junk -> ProviderUnavailable
// Thread-safe.
//   auto p = PrometheusProvider::create({.address = "http://prometheus:9090",
//                                        .bearerToken = token});
//   if (!p) return p.error();
//   auto r = p.value()->query("up");
class PrometheusProvider final : public MetricsProvider {
 public:
  // An Error (reason QueryInvalid) when the address is not an http(s) URL or both a token
  // and basic credentials are given.
  static core::Result<std::unique_ptr<PrometheusProvider>> create(
      PrometheusOptions options, PrometheusTransportFactory factory = {});

  core::Result<QueryResult> query(const std::string& promql) override;

  // scheme://host[:port] and the path prefix ("" or "/prefix") the address split into.
  const std::string& baseUrl() const { return baseUrl_; }
  const std::string& pathPrefix() const { return pathPrefix_; }

 private:
  PrometheusProvider(PrometheusOptions options, std::string baseUrl, std::string pathPrefix,
                     std::unique_ptr<http::Transport> transport);

  core::Error httpFailure(const http::Response& resp, const std::string& promql) const;
  std::string authDescription() const;

  const PrometheusOptions options_;
  const std::string baseUrl_;
  const std::string pathPrefix_;
  const std::string authorization_;  // the Authorization header value, or empty
  const std::unique_ptr<http::Transport> transport_;
};

}  // namespace mlmodel::analysis
