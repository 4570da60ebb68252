#include "server/metrics_server.h"

#include <prometheus/text_serializer.h>

#include <map>
#include <utility>

#include "server/health_server.h"

namespace mlmodel::server {
namespace {

// The server and the authorizer its handler uses, stopped in that order's reverse: no
// review answers into a stopped server, no request reaches a stopped authorizer.
class GuardedServer final : public HttpServer {
 public:
  GuardedServer(std::unique_ptr<ScrapeAuthorizer> auth, std::unique_ptr<HttpServer> server)
      : auth_(std::move(auth)), server_(std::move(server)) {}
  ~GuardedServer() override { stop(); }
  GuardedServer(const GuardedServer&) = delete;
  GuardedServer& operator=(const GuardedServer&) = delete;

  unsigned short port() const override { return server_->port(); }
  std::size_t connections() const override { return server_->connections(); }
  void stop() override {
    auth_->stop();
    server_->stop();
  }

 private:
  std::unique_ptr<ScrapeAuthorizer> auth_;  // destroyed after the server
  std::unique_ptr<HttpServer> server_;
};

}  // namespace

std::string renderMetrics(const Collectables& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    auto more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

core::Result<std::unique_ptr<HttpServer>> startMetricsServer(
    const std::string& address, Collectables collectables, HttpServerOptions options,
    std::shared_ptr<ScrapeReviewer> reviewer, ScrapeAuthOptions auth) {
  AsyncHttpHandler metrics = [collectables = std::move(collectables)](const HttpRequest&,
                                                                      const Respond& respond) {
    respond(textResponse(200, renderMetrics(collectables), "text/plain; version=0.0.4"));
  };
  std::unique_ptr<ScrapeAuthorizer> authorizer;
  if (reviewer) {
    authorizer = std::make_unique<ScrapeAuthorizer>(std::move(reviewer), auth);
    metrics = authorizer->guard(std::move(metrics));
  }
  std::map<std::string, AsyncHttpHandler> routes{{"/metrics", std::move(metrics)}};
  auto server = startHttpServer(hostPort(address), std::move(routes), std::move(options));
  if (!server) return core::Error{"metrics server on " + address + ": " + server.error().message};
  if (!authorizer) return server;
  return std::unique_ptr<HttpServer>(
      std::make_unique<GuardedServer>(std::move(authorizer), std::move(server.value())));
}

}  // namespace mlmodel::server
