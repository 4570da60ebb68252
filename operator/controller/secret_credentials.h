#pragma once

#include <string>

#include "core/result.h"
#include "kube/rest_client.h"

namespace mlmodel::controller {

// Credentials for a server a spec names (Prometheus, MLflow), from Secrets in the model's
// namespace: the auth Secret holds `token` (bearer) or `username` and `password` (basic),
// the CA Secret holds `ca.crt`.
struct SecretCredentials {
  std::string bearerToken;
  std::string username;
  std::string password;
  std::string caPem;
};

// Reads the named Secrets ("" skips one). Errors say which Secret and key are wrong, for
// `server` ("Prometheus", "MLflow"), with reason `reason`.
core::Result<SecretCredentials> readSecretCredentials(kube::Client& client, const std::string& ns,
                                                      const std::string& authSecret,
                                                      const std::string& caSecret,
                                                      const std::string& server,
                                                      const std::string& reason);

}  // namespace mlmodel::controller
