#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "server/http_server.h"
#include "server/scrape_auth.h"

namespace mlmodel::server {

using Collectables = std::vector<std::shared_ptr<prometheus::Collectable>>;

// Every family of `collectables`, in order, in the Prometheus text format 0.0.4.
std::string renderMetrics(const Collectables& collectables);

// Serves renderMetrics(collectables) at /metrics with the content type
// "text/plain; version=0.0.4". The server keeps the collectables alive. `address` is
// "host:port" or ":port" (every interface); port 0 picks a free one (see port()).
// HTTPS when options.tls is set; with a `reviewer`, every scrape needs a bearer token
// the API server accepts, of a user allowed to `get` /metrics (401 and 403 otherwise).
core::Result<std::unique_ptr<HttpServer>> startMetricsServer(
    const std::string& address, Collectables collectables, HttpServerOptions options = {},
    std::shared_ptr<ScrapeReviewer> reviewer = nullptr, ScrapeAuthOptions auth = {});

}  // namespace mlmodel::server
