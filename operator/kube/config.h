#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "kube/credentials.h"

// How the client finds and authenticates to the API server, like client-go's clientcmd
// and rest.InClusterConfig.
//
//   kube::LoadOptions opts{.kubeconfigFlag = flags.kubeconfig, .context = flags.context};
//   auto cfg = kube::loadConfig(opts);
//   if (!cfg) { spdlog::error("{}", cfg.error().message); return 1; }
//   spdlog::info("API server {} from {}", cfg->server, cfg->source);
namespace mlmodel::kube {

struct TlsConfig {
  std::string caPem;                // empty: system roots
  std::string certPem, keyPem;      // client certificate, PEM (from file or data)
  bool insecureSkipVerify = false;  // only when set explicitly
  std::string serverName;           // tls-server-name override, optional
};

struct Config {
  std::string server;  // https://host:port (IPv6 hosts bracketed)
  TlsConfig tls;
  std::shared_ptr<CredentialSource> credentials;  // null when auth is by client cert only
  std::string namespaceName = "default";          // context namespace / in-cluster namespace file
  std::string source;  // where it came from, for logs: "kubeconfig /path (context x)", "in-cluster"
};

struct LoadOptions {
  std::string kubeconfigFlag;  // --kubeconfig
  std::string context;         // --context override, optional
  // Seams for tests; default to the real environment/filesystem:
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::string inClusterRoot = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::string home;                    // default $HOME
  const core::Clock* clock = nullptr;  // default SystemClock; must outlive the Config
};

// Lookup order: --kubeconfig, KUBECONFIG (a ':'-separated list, merged: first file to set a
// map key wins, like kubectl), in-cluster (KUBERNETES_SERVICE_HOST/PORT, IPv6 bracketed;
// skipped when --context is given), ~/.kube/config. Errors name the file and what is wrong.
core::Result<Config> loadConfig(const LoadOptions& opts);

// Merges `files` in order (missing ones are skipped, as kubectl does, unless all are
// missing) and builds the Config of `context`, or of current-context when it is empty.
core::Result<Config> loadKubeconfig(const std::vector<std::string>& files,
                                    const std::string& context, const LoadOptions& opts);

// The pod's service account: token (re-read as it rotates), ca.crt and namespace under
// opts.inClusterRoot, server from KUBERNETES_SERVICE_HOST/PORT.
core::Result<Config> loadInCluster(const LoadOptions& opts);

}  // namespace mlmodel::kube
