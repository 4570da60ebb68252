#include "controller/prometheus_source.h"

#include <algorithm>

#include "core/encoding.h"
#include "kube/api_error.h"

namespace mlmodel::controller {
namespace {

constexpr auto kReuseFor = std::chrono::minutes(1);
// Keys are chosen by tenants (address, Secret names): the cache must not grow with them.
constexpr size_t kMaxProviders = 256;
constexpr std::chrono::milliseconds kMaxQueryTimeout = std::chrono::seconds(30);

std::string decoded(const Json& data, const char* key) {
  if (!data.is_object() || !data.has_string_field(key)) return "";
  auto r = core::base64Decode(data.at(key).as_string());
  return r ? r.value() : "";
}

}  // namespace

core::Result<Json> PrometheusSource::secretData(const std::string& ns, const std::string& name) {
  auto s = client_.get(kube::resources::secrets, ns, name);
  if (!s) {
    return core::Error{"Secret " + ns + "/" + name + " for Prometheus: " + s.error().message, 0,
                       analysis::kReasonUnauthorized};
  }
  return s.value().has_object_field("data") ? s.value().at("data") : Json::object();
}

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
  if (!ref.authSecret.empty()) {
    auto data = secretData(ns, ref.authSecret);
    if (!data) return data.error();
    o.bearerToken = decoded(data.value(), "token");
    if (o.bearerToken.empty()) {
      o.username = decoded(data.value(), "username");
      o.password = decoded(data.value(), "password");
    }
    if (o.bearerToken.empty() && o.username.empty()) {
      return core::Error{"Secret " + ns + "/" + ref.authSecret +
                             " has neither `token` nor `username` and `password`",
                         0, analysis::kReasonUnauthorized};
    }
  }
  if (!ref.caSecret.empty()) {
    auto data = secretData(ns, ref.caSecret);
    if (!data) return data.error();
    o.caPem = decoded(data.value(), "ca.crt");
    if (o.caPem.empty()) {
      return core::Error{"Secret " + ns + "/" + ref.caSecret + " has no `ca.crt`", 0,
                         analysis::kReasonUnauthorized};
    }
  }
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
