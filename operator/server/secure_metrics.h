#pragma once

#include <memory>

#include "core/result.h"
#include "kube/config.h"
#include "kube/rest_client.h"
#include "server/options.h"
#include "server/scrape_auth.h"
#include "server/tls_source.h"

namespace mlmodel::server {

// What --metrics-secure asks of the metrics server: a certificate (mounted, or made at
// start) and the API server's reviews of every scrape. Both null when it is off.
struct MetricsSecurity {
  std::shared_ptr<TlsSource> tls;
  std::shared_ptr<ScrapeReviewer> reviewer;
};

// `clientOptions` are the operator's; the reviews get a client of their own with a
// short timeout (a scrape waits on them).
core::Result<MetricsSecurity> metricsSecurity(const Options& options, const kube::Config& config,
                                              kube::ClientOptions clientOptions);

}  // namespace mlmodel::server
