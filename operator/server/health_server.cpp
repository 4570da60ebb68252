#include "server/health_server.h"

#include <map>
#include <utility>

namespace mlmodel::server {

std::string hostPort(const std::string& address) {
  return address.rfind(':', 0) == 0 ? "0.0.0.0" + address : address;
}

core::Result<std::unique_ptr<HttpServer>> startHealthServer(const std::string& address,
                                                            std::function<bool()> ready,
                                                            LivenessCheck live,
                                                            HttpServerOptions options) {
  auto healthz = [live = std::move(live)]() -> HttpResponse {
    if (live) {
      if (auto why = live(); !why.empty()) return textResponse(500, why + "\n");
    }
    return textResponse(200, "ok");
  };
  auto readyz = [ready = std::move(ready)]() -> HttpResponse {
    if (ready && !ready()) return textResponse(503, "caches not synced");
    return textResponse(200, "ok");
  };
  std::map<std::string, HttpHandler> routes{
      {"/healthz", healthz}, {"/livez", healthz}, {"/readyz", std::move(readyz)}};
  auto server = startHttpServer(hostPort(address), routes, std::move(options));
  if (!server) return core::Error{"health server: " + server.error().message};
  return server;
}

}  // namespace mlmodel::server
