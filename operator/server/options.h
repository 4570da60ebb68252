#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"

namespace mlmodel::server {

// The operator's command line, in the conventions of controller-runtime managers.
struct Options {
  std::string kubeconfig;
  std::vector<std::string> namespaces;  // empty: every namespace
  std::string metricsBindAddress = ":8080";
  std::string healthProbeBindAddress = ":8081";
  // HTTPS for /metrics, every scrape authenticated (TokenReview) and authorized
  // (SubjectAccessReview), as kubebuilder's --metrics-secure.
  bool metricsSecure = false;
  std::string metricsCertPath;  // a folder holding the pair; empty: a self-signed one
  std::string metricsCertName = "tls.crt";
  std::string metricsCertKey = "tls.key";
  bool leaderElect = false;
  std::string leaderElectionNamespace;  // default: the namespace of the kubeconfig/pod
  std::string leaderElectionId = "mlmodel-operator-leader";
  int workers = 8;  // reconciles wait on the API server, not the CPU
  // /healthz fails once a worker has been on one key this long.
  std::chrono::seconds wedgedWorkerTimeout{60};
  // SIGTERM leaves reconciles in flight this long; then their writes are refused.
  std::chrono::seconds gracefulShutdownTimeout{15};
  std::string logLevel = "info";
  std::string logFormat = "text";
  int prometheusMaxReplyMiB = 8;             // a longer query reply fails the measurement
  std::set<std::string> insecureRegistries;  // host:port spoken to over plain HTTP
  // The trust boundary (controller/trust_policy.h): what tenants' models may name.
  std::string prometheusDefaultAddress;                // for models naming no Prometheus
  std::vector<std::string> prometheusAllowedPrefixes;  // empty: any address
  std::vector<std::string> allowedRegistries;          // empty: any registry
  std::string mlflowDefaultAddress;                    // for spec.mlflow naming no address
  std::vector<std::string> mlflowAllowedPrefixes;      // empty: any address
  bool help = false;
  bool version = false;
};

// Parses argv; an Error names the flag and says what is wrong.
core::Result<Options> parseOptions(const std::vector<std::string>& args);

std::string usage();

}  // namespace mlmodel::server
