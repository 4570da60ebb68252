#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "analysis/prometheus_provider.h"
#include "core/clock.h"
#include "kube/rest_client.h"
#include "rollout/planner.h"

namespace mlmodel::controller {

using Json = web::json::value;

// The Prometheus a spec names, with credentials from Secrets in the model's namespace:
// authSecretRef holds `token` (bearer) or `username` and `password` (basic), caSecretRef
// holds `ca.crt`; credentials go only to https addresses. Providers are reused for a
// minute, then the Secrets are read again, so rotated credentials take effect without a
// restart. Thread-safe.
class PrometheusSource final : public rollout::ProviderSource {
 public:
  PrometheusSource(kube::Client& client, const core::Clock& clock,
                   analysis::PrometheusTransportFactory transports = {})
      : client_(client), clock_(clock), transports_(std::move(transports)) {}

  // The largest query reply accepted (--prometheus-max-reply-mib); a longer one fails the
  // measurement. Set before the first provider() call.
  void setMaxReplyBytes(std::size_t bytes) { maxReplyBytes_ = bytes; }

  core::Result<std::shared_ptr<analysis::MetricsProvider>> provider(
      const std::string& ns, const api::PrometheusRef& ref) override;
  // Providers held: those built in the last minute, at most 256 (the oldest go first).
  std::size_t cached() const;

 private:
  core::Result<std::shared_ptr<analysis::MetricsProvider>> build(const std::string& ns,
                                                                 const api::PrometheusRef& ref);

  struct Entry {
    std::shared_ptr<analysis::MetricsProvider> provider;
    core::SteadyTime built;
  };
  kube::Client& client_;
  const core::Clock& clock_;
  const analysis::PrometheusTransportFactory transports_;
  std::size_t maxReplyBytes_ = analysis::PrometheusOptions{}.maxReplyBytes;
  mutable std::mutex mu_;
  std::map<std::string, Entry> cache_;
};

}  // namespace mlmodel::controller
