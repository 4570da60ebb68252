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
      if (auto why = live(); !why.empty()) return {500, "text/plain; charset=utf-8", why + "\n"};
    }
    return {200, "text/plain; charset=utf-8", "ok"};
  };
  auto readyz = [ready = std::move(ready)]() -> HttpResponse {
    if (ready && !ready()) return {503, "text/plain; charset=utf-8", "caches not synced"};
    return {200, "text/plain; charset=utf-8", "ok"};
  };
  std::map<std::string, HttpHandler> routes{
      {"/healthz", healthz}, {"/livez", healthz}, {"/readyz", std::move(readyz)}};
  auto server = startHttpServer(hostPort(address), std::move(routes), options);
  if (!server) return core::Error{"health server: " + server.error().message};
  return server;
}

}  // namespace mlmodel::server
