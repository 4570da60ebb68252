#include "controller/mlflow_versions.h"

#include <algorithm>

#include "controller/secret_credentials.h"

namespace mlmodel::controller {
namespace {

constexpr auto kClientReuse = std::chrono::minutes(1);
constexpr size_t kMaxClients = 256;
constexpr size_t kMaxVersions = 8192;
constexpr auto kErrorReuse = std::chrono::seconds(5);

std::string clientKey(const std::string& ns, const api::MlflowSpec& s) {
  return ns + "\n" + s.address + "\n" + s.authSecret + "\n" + s.caSecret;
}

std::string versionKey(const std::string& ns, const api::MlflowSpec& s) {
  return clientKey(ns, s) + "\n" + s.model + "\n" + s.alias + "\n" + s.version;
}

// Drops what is older than `maxAge`, then the oldest while the map is full.
template <typename Map, typename Age>
void trim(Map& m, core::SteadyTime now, core::Duration maxAge, size_t max, Age age) {
  std::erase_if(m, [&](const auto& kv) { return now - age(kv.second) >= maxAge; });
  while (m.size() >= max) {
    m.erase(std::min_element(m.begin(), m.end(), [&](const auto& a, const auto& b) {
      return age(a.second) < age(b.second);
    }));
  }
}

}  // namespace

core::Result<std::shared_ptr<mlflow::Client>> MlflowVersions::clientFor(
    const std::string& ns, const api::MlflowSpec& spec) {
  const std::string key = clientKey(ns, spec);
  const auto now = clock_.steadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(key);
    if (it != clients_.end() && now - it->second.built < kClientReuse) return it->second.client;
  }
  auto creds = readSecretCredentials(client_, ns, spec.authSecret, spec.caSecret, "MLflow",
                                     mlflow::kReasonUnauthorized);
  if (!creds) return creds.error();
  auto c = mlflow::Client::create({.address = spec.address,
                                   .bearerToken = creds->bearerToken,
                                   .username = creds->username,
                                   .password = creds->password,
                                   .caPem = creds->caPem},
                                  transports_);
  if (!c) return c.error();
  std::shared_ptr<mlflow::Client> shared(std::move(c.value()));
  std::lock_guard<std::mutex> lock(mu_);
  trim(clients_, now, kClientReuse, kMaxClients, [](const CachedClient& e) { return e.built; });
  clients_[key] = {shared, now};
  return shared;
}

core::Result<mlflow::ModelVersion> MlflowVersions::lookup(const std::string& ns,
                                                          const api::MlflowSpec& spec) {
  const std::string key = versionKey(ns, spec);
  const auto now = clock_.steadyNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = versions_.find(key);
    if (it != versions_.end() && now - it->second.read < spec.interval) {
      return it->second.version;
    }
    auto err = errors_.find(key);
    if (err != errors_.end() && now - err->second.read < kErrorReuse) return err->second.error;
  }
  auto c = clientFor(ns, spec);
  if (!c) return c.error();
  auto v = spec.alias.empty() ? c.value()->byVersion(spec.model, spec.version)
                              : c.value()->byAlias(spec.model, spec.alias);
  if (!v) {
    // Kept briefly, so reconciles in between (pods, a canary's steps) do not each wait on
    // an MLflow that is down.
    std::lock_guard<std::mutex> lock(mu_);
    trim(errors_, now, kErrorReuse, kMaxVersions, [](const CachedError& e) { return e.read; });
    errors_[key] = {v.error(), now};
    return v.error();
  }
  // Only what a reconcile reads is kept: the image tag, not every tag and alias.
  mlflow::ModelVersion kept = v.value();
  const std::string image = kept.tag(spec.imageTag);
  kept.tags.clear();
  if (!image.empty() && image.size() <= 512) kept.tags.emplace_back(spec.imageTag, image);
  kept.aliases.clear();
  std::lock_guard<std::mutex> lock(mu_);
  errors_.erase(key);
  // Entries live as long as their own spec's interval; an hour bounds the rest.
  trim(versions_, now, std::chrono::hours(1), kMaxVersions,
       [](const CachedVersion& e) { return e.read; });
  versions_[key] = {kept, now};
  return kept;
}

core::Status MlflowVersions::tag(const std::string& ns, const api::MlflowSpec& spec,
                                 const std::string& version, const std::string& key,
                                 const std::string& value) {
  auto c = clientFor(ns, spec);
  if (!c) return c.error();
  return c.value()->setTag(spec.model, version, key, value);
}

}  // namespace mlmodel::controller
