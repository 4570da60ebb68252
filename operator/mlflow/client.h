#pragma once

#include <cpprest/json.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/transport.h"

namespace mlmodel::mlflow {

// Reasons of the Errors below, as conditions and Events show them.
inline constexpr const char* kReasonUnavailable = "ModelRegistryUnavailable";  // retried
inline constexpr const char* kReasonUnauthorized = "ModelRegistryUnauthorized";
inline constexpr const char* kReasonModelNotFound = "RegisteredModelNotFound";
inline constexpr const char* kReasonAliasNotFound = "AliasNotFound";
inline constexpr const char* kReasonVersionNotFound = "ModelVersionNotFound";
inline constexpr const char* kReasonInvalid = "ModelRegistryInvalid";  // a bad address

// One model version as MLflow's registry holds it.
struct ModelVersion {
  std::string name;
  std::string version;  // MLflow numbers versions: "7"
  std::string status;   // READY, PENDING_REGISTRATION, FAILED_REGISTRATION
  std::string runId;
  std::string source;  // where the artifacts are, e.g. s3://bucket/models/7
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<std::string> aliases;

  // The value of tag `key`, "" when the version has none.
  std::string tag(const std::string& key) const;
};

using TransportFactory = std::function<std::unique_ptr<http::Transport>(
    const std::string& baseUrl, const http::TlsOptions& tls)>;

struct ClientOptions {
  // The tracking server's base URL, http or https, with an optional path prefix
  // (https://mlflow.example/team-a for a server behind a proxy).
  std::string address{};
  // At most one of: a bearer token (MLFLOW_TRACKING_TOKEN), or basic auth (MLflow's
  // basic-auth app: MLFLOW_TRACKING_USERNAME and _PASSWORD).
  std::string bearerToken{};
  std::string username{};
  std::string password{};
  std::string caPem{};  // for an https address; empty: the system's roots
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::size_t maxReplyBytes = http::kMiB;  // a version with many tags stays far below
};

// The model registry part of MLflow's REST API (/api/2.0/mlflow/...). Errors carry one of
// the kReason* reasons; their messages quote nothing of a reply but its status and
// MLflow's error_code (the address is the model owner's to choose, so a quoted body could
// show them a service they cannot reach themselves). Thread-safe.
//   auto c = Client::create({.address = "http://mlflow.mlops:5000"});
//   auto v = c.value()->byAlias("fraud-detector", "champion");   // v->version == "7"
class Client {
 public:
  // An Error (kReasonInvalid) when the address is not an http(s) URL, or when both a token
  // and basic credentials are given.
  static core::Result<std::unique_ptr<Client>> create(ClientOptions options,
                                                      TransportFactory factory = {});

  // GET registered-models/alias: the version an alias points at.
  core::Result<ModelVersion> byAlias(const std::string& model, const std::string& alias);
  // GET model-versions/get.
  core::Result<ModelVersion> byVersion(const std::string& model, const std::string& version);
  // POST model-versions/set-tag: adds or replaces one tag of a version.
  core::Status setTag(const std::string& model, const std::string& version, const std::string& key,
                      const std::string& value);

  const std::string& address() const { return options_.address; }

 private:
  Client(ClientOptions options, std::string prefix, std::unique_ptr<http::Transport> transport);
  core::Result<http::Response> call(http::Request req, const std::string& what);
  core::Result<ModelVersion> readVersion(const std::string& target, const std::string& what,
                                         const char* on404, const char* on400);

  const ClientOptions options_;
  const std::string prefix_;
  const std::string authorization_;
  const std::unique_ptr<http::Transport> transport_;
};

// A model version from the `model_version` object of a reply; nullopt when it lacks a
// name or a version.
std::optional<ModelVersion> decodeModelVersion(const web::json::value& v);

}  // namespace mlmodel::mlflow
