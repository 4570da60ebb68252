#include "controller/prometheus_source.h"

#include <algorithm>

#include "controller/secret_credentials.h"
#include "core/encoding.h"
#include "kube/api_error.h"

namespace mlmodel::controller {
namespace {

constexpr auto kReuseFor = std::chrono::minutes(1);
// Keys are chosen by tenants (address, Secret names): the cache must not grow with them.
constexpr size_t kMaxProviders = 256;
constexpr std::chrono::milliseconds kMaxQueryTimeout = std::chrono::seconds(30);

}  // namespace

core::Result<std::shared_ptr<analysis::MetricsProvider>> PrometheusSource::build(
    const std::string& ns, const api::PrometheusRef& ref) {
  if (!ref.authSecret.empty() && core::toLower(ref.address).rfind("https://", 0) != 0) {
    // The policy refuses such a spec first (controller/trust_policy.h); this keeps a token
    // off the wire whatever path led here.
    return core::Error{"Prometheus " + ref.address +
                           ": credentials are only sent over https (authSecretRef " +
                           ref.authSecret + ")",
                       0, analysis::kReasonUnauthorized};
  }
  analysis::PrometheusOptions o;
  o.address = ref.address;
  // The CRD allows at most 30 s; objects written before that rule get it too.
  o.timeout = std::min<std::chrono::milliseconds>(ref.timeout, kMaxQueryTimeout);
  o.maxReplyBytes = maxReplyBytes_;
  auto creds = readSecretCredentials(client_, ns, ref.authSecret, ref.caSecret, "Prometheus",
                                     analysis::kReasonUnauthorized);
  if (!creds) return creds.error();
  o.bearerToken = creds->bearerToken;
  o.username = creds->username;
  o.password = creds->password;
  o.caPem = creds->caPem;
  auto p = analysis::PrometheusProvider::create(std::move(o), transports_);
  if (!p) return p.error();
  return std::shared_ptr<analysis::MetricsProvider>(std::move(p.value()));
}

core::Result<std::shared_ptr<analysis::MetricsProvider>> PrometheusSource::provider(
    const std::string& ns, const api::PrometheusRef& ref) {
  const std::string key = ns + "\n" + ref.address + "\n" + ref.authSecret + "\n" + ref.caSecret +
                          "\n" + std::to_string(ref.timeout.count());
  const auto now = clock_.steadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.built < kReuseFor) return it->second.provider;
  }
  auto built = build(ns, ref);
  if (!built) return built.error();
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(cache_, [&](const auto& kv) { return now - kv.second.built >= kReuseFor; });
  if (cache_.size() >= kMaxProviders && !cache_.count(key)) {
    cache_.erase(std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.built < b.second.built;
    }));
  }
  cache_[key] = {built.value(), now};
  return built.value();
}

std::size_t PrometheusSource::cached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

}  // namespace mlmodel::controller
