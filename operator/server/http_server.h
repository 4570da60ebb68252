#pragma once

// A small HTTP/1.1 server on Boost.Asio and Beast for the operator's own endpoints
// (/healthz, /readyz, /metrics). It answers GET and HEAD by path and holds against
// hostile clients: headers are capped (431), must arrive within a deadline counted from
// accept or from the end of the previous response, idle keep-alive connections are
// closed, connections beyond a limit are closed at accept, and request bodies are refused.
// HTTP/2 is not offered (no ALPN, no h2c upgrade). It runs on its own io_context and
// thread, so that probes and scrapes answer whatever the outbound transports are doing
// on the shared runtime (and a flood of clients here does not slow the API calls there).
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/result.h"

namespace mlmodel::server {

struct HttpResponse {
  unsigned status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
};

// Runs on the server's thread: keep it short and never block on the network.
using HttpHandler = std::function<HttpResponse()>;

struct HttpServerOptions {
  std::size_t maxHeaderBytes = std::size_t{8} * 1024;  // request line and headers; more: 431
  std::chrono::milliseconds headerTimeout{5000};       // accept (or keep-alive start) to headers
  std::chrono::milliseconds idleTimeout{60000};        // keep-alive wait for the next request
  std::chrono::milliseconds writeTimeout{10000};       // to write one response
  // At the cap a new connection displaces the one that has waited longest for a
  // request's headers (slow or idle); only when every one is being answered is it closed.
  std::size_t maxConnections = 64;
};

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // The bound port (useful with port 0).
  virtual unsigned short port() const = 0;
  // Closes the listener and every connection; idempotent.
  virtual void stop() = 0;
  // Connections open now (for tests and figures).
  virtual std::size_t connections() const = 0;
};

// `address` is "host:port" or ":port" (all interfaces); `routes` maps exact paths (the
// query string is ignored) to handlers. An Error when the address cannot be bound.
core::Result<std::unique_ptr<HttpServer>> startHttpServer(const std::string& address,
                                                          std::map<std::string, HttpHandler> routes,
                                                          HttpServerOptions options = {});

}  // namespace mlmodel::server
