#pragma once

// A small HTTP/1.1 server on Boost.Asio and Beast for the operator's own endpoints
// (/healthz, /readyz, /metrics). It answers GET and HEAD by path and holds against
// hostile clients: headers are capped (431), must arrive within a deadline counted from
// accept or from the end of the previous response, idle keep-alive connections are
// closed, connections beyond a limit are closed at accept, and request bodies are refused.
// HTTP/2 is not offered (no ALPN, no h2c upgrade). With HttpServerOptions::tls it speaks
// HTTPS only (the handshake counts against the header deadline). It runs on its own io_context and
// thread, so that probes and scrapes answer whatever the outbound transports are doing
// on the shared runtime (and a flood of clients here does not slow the API calls there).
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "server/tls_source.h"

namespace mlmodel::server {

struct HttpRequest {
  std::string method;         // GET or HEAD (others are answered 405 before any handler)
  std::string path;           // without the query string
  std::string authorization;  // the Authorization header; "" when absent
};

struct HttpResponse {
  unsigned status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. WWW-Authenticate
  bool close = false;  // close the connection after this response
};

inline HttpResponse textResponse(unsigned status, std::string body,
                                 std::string contentType = "text/plain; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.contentType = std::move(contentType);
  r.body = std::move(body);
  return r;
}

// Runs on the server's thread: keep it short and never block on the network.
using HttpHandler = std::function<HttpResponse()>;

// Called once per response, from any thread, at any time later (or never: the
// connection is closed at HttpServerOptions::handlerTimeout).
using Respond = std::function<void(HttpResponse)>;
// Runs on the server's thread and returns at once; work that waits (an API call) goes
// elsewhere and calls `respond` when done.
using AsyncHttpHandler = std::function<void(const HttpRequest&, Respond respond)>;

struct HttpServerOptions {
  std::size_t maxHeaderBytes = std::size_t{8} * 1024;  // request line and headers; more: 431
  std::chrono::milliseconds headerTimeout{5000};       // accept (or keep-alive start) to headers
  std::chrono::milliseconds idleTimeout{60000};        // keep-alive wait for the next request
  std::chrono::milliseconds writeTimeout{10000};       // to write one response
  // At the cap a new connection displaces the one that has waited longest for a
  // request's headers (slow or idle), or else the one longest in being answered (a
  // client not reading its reply); it is closed only while every one is closing.
  std::size_t maxConnections = 64;
  std::chrono::milliseconds handlerTimeout{15000};  // an AsyncHttpHandler's answer
  std::shared_ptr<TlsSource> tls;                   // set: HTTPS only
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
core::Result<std::unique_ptr<HttpServer>> startHttpServer(
    const std::string& address, std::map<std::string, AsyncHttpHandler> routes,
    HttpServerOptions options = {});
core::Result<std::unique_ptr<HttpServer>> startHttpServer(
    const std::string& address, const std::map<std::string, HttpHandler>& routes,
    HttpServerOptions options = {});

}  // namespace mlmodel::server
