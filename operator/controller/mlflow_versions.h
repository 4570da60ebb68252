#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/mlflow_spec.h"
#include "core/clock.h"
#include "kube/rest_client.h"
#include "mlflow/client.h"

namespace mlmodel::controller {

// Where a reconcile reads MLflow: the version a spec.mlflow names, and the tags it writes
// back. Fakes stand in for it in unit tests.
class VersionSource {
 public:
  virtual ~VersionSource() = default;
  // The version `spec` names in namespace `ns` (its Secrets), at most spec.interval old.
  virtual core::Result<mlflow::ModelVersion> lookup(const std::string& ns,
                                                    const api::MlflowSpec& spec) = 0;
  virtual core::Status tag(const std::string& ns, const api::MlflowSpec& spec,
                           const std::string& version, const std::string& key,
                           const std::string& value) = 0;
};

// MLflow over its REST API, with credentials from the spec's Secrets. A lookup is reused
// for spec.interval (a failed one for 5 s), so reconciles between two reads (pod changes, our own
// status writes) cost MLflow nothing; clients are rebuilt every minute so rotated Secrets take
// effect. Both caches are bounded: keys are chosen by tenants. Thread-safe.
class MlflowVersions final : public VersionSource {
 public:
  MlflowVersions(kube::Client& client, const core::Clock& clock,
                 mlflow::TransportFactory transports = {})
      : client_(client), clock_(clock), transports_(std::move(transports)) {}

  core::Result<mlflow::ModelVersion> lookup(const std::string& ns,
                                            const api::MlflowSpec& spec) override;
  core::Status tag(const std::string& ns, const api::MlflowSpec& spec, const std::string& version,
                   const std::string& key, const std::string& value) override;

 private:
  core::Result<std::shared_ptr<mlflow::Client>> clientFor(const std::string& ns,
                                                          const api::MlflowSpec& spec);

  struct CachedClient {
    std::shared_ptr<mlflow::Client> client;
    core::SteadyTime built;
  };
  struct CachedVersion {
    mlflow::ModelVersion version;
    core::SteadyTime read;
  };
  struct CachedError {
    core::Error error;
    core::SteadyTime read;
  };
  kube::Client& client_;
  const core::Clock& clock_;
  const mlflow::TransportFactory transports_;
  std::mutex mu_;
  std::map<std::string, CachedClient> clients_;
  std::map<std::string, CachedVersion> versions_;
  std::map<std::string, CachedError> errors_;
};

}  // namespace mlmodel::controller
