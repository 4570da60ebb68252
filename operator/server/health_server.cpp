#include "server/health_server.h"

#include <cpprest/http_listener.h>

namespace mlmodel::server {
namespace {

namespace wh = web::http;

class CpprestHealthServer final : public HealthServer {
 public:
  CpprestHealthServer(const std::string& url, std::function<bool()> ready)
      : listener_(url), ready_(std::move(ready)) {
    listener_.support(wh::methods::GET, [this](const wh::http_request& req) { handle(req); });
  }
  ~CpprestHealthServer() override { stop(); }

  core::Status open() {
    try {
      listener_.open().wait();
      return core::Ok{};
    } catch (const std::exception& e) {
      return core::Error{std::string("health server: ") + e.what()};
    }
  }
  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    try {
      listener_.close().wait();
    } catch (const std::exception&) {
      // Closing a listener that failed to open throws; nothing is left to release.
    }
  }

 private:
  void handle(const wh::http_request& req) const {
    const auto path = req.relative_uri().path();
    if (path == "/healthz" || path == "/livez") {
      req.reply(wh::status_codes::OK, "ok");
    } else if (path == "/readyz") {
      if (ready_()) {
        req.reply(wh::status_codes::OK, "ok");
      } else {
        req.reply(wh::status_codes::ServiceUnavailable, "caches not synced");
      }
    } else {
      req.reply(wh::status_codes::NotFound, "not found");
    }
  }

  wh::experimental::listener::http_listener listener_;
  std::function<bool()> ready_;
  bool stopped_ = false;
};

}  // namespace

std::string hostPort(const std::string& address) {
  return address.rfind(':', 0) == 0 ? "0.0.0.0" + address : address;
}

core::Result<std::unique_ptr<HealthServer>> startHealthServer(const std::string& address,
                                                              std::function<bool()> ready) {
  auto server =
      std::make_unique<CpprestHealthServer>("http://" + hostPort(address), std::move(ready));
  if (auto s = server->open(); !s) return s.error();
  return std::unique_ptr<HealthServer>(std::move(server));
}

}  // namespace mlmodel::server
