#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "kube/credentials.h"

namespace mlmodel::kube {

inline constexpr const char* kExecApiV1 = "client.authentication.k8s.io/v1";
inline constexpr const char* kExecApiV1beta1 = "client.authentication.k8s.io/v1beta1";

// A kubeconfig `users[].user.exec` block, paths already resolved.
struct ExecConfig {
  std::string apiVersion = kExecApiV1;
  std::string command;  // absolute, or a bare name looked up in PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the operator's own
  std::string installHint;                               // shown when the command is missing
  bool provideClusterInfo = false;
  // What KUBERNETES_EXEC_INFO tells the plugin about the cluster when provideClusterInfo.
  std::string server, tlsServerName, caPem;
  bool insecureSkipVerify = false;
  std::chrono::milliseconds timeout{std::chrono::minutes(1)};
};

// What a plugin's ExecCredential said.
struct ExecCredential {
  std::string token;
  std::optional<core::WallTime> expiry;  // none: valid until the server says otherwise
};

// Parses a plugin's stdout. The error never quotes the output: it may hold a secret.
core::Result<ExecCredential> parseExecCredential(const std::string& json,
                                                 const std::string& apiVersion);

// The KUBERNETES_EXEC_INFO value: an ExecCredential with only spec set.
std::string execInfoJson(const ExecConfig& config);

// Runs a client-go credential plugin (ExecCredential, v1 or v1beta1) and caches its token
// until status.expirationTimestamp by `clock`'s wall time, or, without one, until
// invalidate(). One caller runs the plugin while concurrent callers wait for its result.
//
// `clock` must outlive the source.
class ExecCredentialSource final : public CredentialSource {
 public:
  ExecCredentialSource(ExecConfig config, const core::Clock& clock);
  core::Result<std::string> token() override;
  void invalidate() override;

 private:
  core::Result<ExecCredential> run() const;

  const ExecConfig config_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::optional<ExecCredential> cached_;  // guarded by mu_
};

}  // namespace mlmodel::kube
