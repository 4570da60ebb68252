#include "server/metrics_server.h"

#include <prometheus/text_serializer.h>

#include <map>
#include <utility>

#include "server/health_server.h"

namespace mlmodel::server {

std::string renderMetrics(const Collectables& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    auto more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

core::Result<std::unique_ptr<HttpServer>> startMetricsServer(const std::string& address,
                                                             Collectables collectables,
                                                             HttpServerOptions options) {
  std::map<std::string, HttpHandler> routes{
      {"/metrics", [collectables = std::move(collectables)]() -> HttpResponse {
         return {200, "text/plain; version=0.0.4", renderMetrics(collectables)};
       }}};
  auto server = startHttpServer(hostPort(address), std::move(routes), options);
  if (!server) return core::Error{"metrics server on " + address + ": " + server.error().message};
  return server;
}

}  // namespace mlmodel::server
