#include "server/secure_metrics.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "kube/client_factory.h"

namespace mlmodel::server {

core::Result<MetricsSecurity> metricsSecurity(const Options& options, const kube::Config& config,
                                              kube::ClientOptions clientOptions) {
  MetricsSecurity s;
  if (!options.metricsSecure) return s;
  if (options.metricsCertPath.empty()) {
    auto tls = selfSignedTls({"localhost"});
    if (!tls) return core::Error{"metrics certificate: " + tls.error().message};
    s.tls = std::move(tls.value());
    spdlog::info(
        "metrics: HTTPS with a self-signed certificate (--metrics-cert-path to use yours)");
  } else {
    const std::filesystem::path dir(options.metricsCertPath);
    auto tls =
        fileTls((dir / options.metricsCertName).string(), (dir / options.metricsCertKey).string());
    if (!tls) return core::Error{"--metrics-cert-path: " + tls.error().message};
    s.tls = std::move(tls.value());
    spdlog::info("metrics: HTTPS with the certificate in {}", options.metricsCertPath);
  }
  clientOptions.timeout = std::chrono::seconds(5);
  clientOptions.maxAttempts = 2;
  s.reviewer = makeKubeScrapeReviewer(kube::makeClient(config, clientOptions));
  return s;
}

}  // namespace mlmodel::server
