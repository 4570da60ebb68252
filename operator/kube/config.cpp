#include "kube/config.h"

#include <cstdlib>

#include "kube/config_util.h"

namespace mlmodel::kube {
namespace {

std::optional<std::string> realGetenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
  if (!v) return std::nullopt;
  return std::string(v);
}

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

Getenv envOf(const LoadOptions& opts) { return opts.getenv ? opts.getenv : realGetenv; }

std::string envOr(const Getenv& env, const std::string& name) {
  return env(name).value_or(std::string());
}

std::vector<std::string> splitPathList(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t colon = list.find(':', start);
    const std::string item = list.substr(start, colon - start);
    if (!item.empty()) out.push_back(item);
    if (colon == std::string::npos) return out;
    start = colon + 1;
  }
}

}  // namespace

core::Result<Config> loadConfig(const LoadOptions& opts) {
  const Getenv env = envOf(opts);
  if (!opts.kubeconfigFlag.empty())
    return loadKubeconfig({opts.kubeconfigFlag}, opts.context, opts);
  if (const std::string list = envOr(env, "KUBECONFIG"); !list.empty()) {
    return loadKubeconfig(splitPathList(list), opts.context, opts);
  }

  // An explicit --context can only mean a kubeconfig, so skip in-cluster then, as
  // controller-runtime does.
  const bool inPod = !envOr(env, "KUBERNETES_SERVICE_HOST").empty() &&
                     !envOr(env, "KUBERNETES_SERVICE_PORT").empty();
  std::optional<core::Error> inClusterError;
  if (inPod && opts.context.empty()) {
    auto cfg = loadInCluster(opts);
    if (cfg) return cfg;
    inClusterError = cfg.error();
  }

  const std::string home = opts.home.empty() ? envOr(env, "HOME") : opts.home;
  const std::string homeConfig = home.empty() ? std::string() : home + "/.kube/config";
  if (!homeConfig.empty() && detail::fileExists(homeConfig)) {
    return loadKubeconfig({homeConfig}, opts.context, opts);
  }
  if (inClusterError) return *inClusterError;
  return core::Error{
      "no Kubernetes client configuration found: no --kubeconfig, KUBECONFIG is unset, "
      "not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset), and " +
      (homeConfig.empty() ? std::string("$HOME is unset") : homeConfig + " does not exist")};
}

core::Result<Config> loadInCluster(const LoadOptions& opts) {
  const Getenv env = envOf(opts);
  const std::string host = envOr(env, "KUBERNETES_SERVICE_HOST");
  const std::string port = envOr(env, "KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return core::Error{
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
        "be set (not running in a pod?)"};
  }
  Config cfg;
  cfg.server = "https://" + detail::joinHostPort(host, port);
  cfg.source = "in-cluster";

  const core::Clock& clock = opts.clock ? *opts.clock : core::SystemClock::instance();
  auto tokens = std::make_shared<TokenFileSource>(opts.inClusterRoot + "/token", clock);
  // Read once now so a missing mount fails at startup rather than on the first request.
  if (auto t = tokens->token(); !t) return core::Error{"in-cluster: " + t.error().message};
  cfg.credentials = std::move(tokens);

  const std::string caPath = opts.inClusterRoot + "/ca.crt";
  auto ca = detail::readFile(caPath);
  if (!ca) return core::Error{"in-cluster: CA " + ca.error().message};
  if (auto ok = detail::checkPemCertificates(ca.value()); !ok) {
    return core::Error{"in-cluster: CA " + caPath + ": " + ok.error().message};
  }
  cfg.tls.caPem = std::move(ca).value();

  // The namespace file is absent when the token is mounted by hand; "default" as in client-go.
  if (auto ns = detail::readFile(opts.inClusterRoot + "/namespace"); ns) {
    if (std::string name = detail::trimSpace(ns.value()); !name.empty()) cfg.namespaceName = name;
  }
  return cfg;
}

}  // namespace mlmodel::kube
