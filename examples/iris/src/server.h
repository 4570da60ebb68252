#pragma once
// The iris model server: KServe V2 REST on Boost.Beast, one io_context run by a few threads,
// each connection on its own strand, with strict limits (body, header, read timeout,
// connection count).
//
//   iris::Server server(options, handler);   // binds; server.port() is the bound port
//   server.run();                            // until SIGTERM/SIGINT or server.stop()
//
// Routes (model name and version from the Handler's identity):
//   GET  /v2/health/live, /v2/health/ready, /v2, /metrics
//   GET  /v2/models/<name>[/versions/<v>]            model metadata
//   GET  /v2/models/<name>[/versions/<v>]/ready
//   POST /v2/models/<name>[/versions/<v>]/infer      counted in model_requests_total

#include <atomic>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "metrics.h"
#include "model.h"

namespace iris {

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: the kernel chooses
  std::size_t bodyLimit = 64 * 1024;
  std::uint32_t headerLimit = 8 * 1024;
  std::chrono::milliseconds readTimeout{10000};
  std::chrono::milliseconds writeTimeout{10000};
  std::size_t maxConnections = 256;
  int threads = 2;
  // On SIGTERM keep serving this long (after onDrain) before stopping, so that requests
  // kube-proxy still sends while the endpoint is being removed are answered; 0: stop at
  // once. A second signal stops at once.
  std::chrono::milliseconds drain{0};
  std::function<void()> onDrain;
};

// One answer, before it is written: what the transport needs and what metrics record.
struct Reply {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string contentType = "application/json";
  std::string body;
  std::chrono::milliseconds delay{0};  // write no sooner than this after the request
  bool inference = false;              // counted in model_requests_total
  std::vector<Prediction> predictions;
};

// Routing and inference, independent of sockets (unit-testable).
class Handler {
 public:
  Handler(Identity id, ServedModel& model, Metrics& metrics);
  Reply handle(boost::beast::http::verb method, const std::string& target,
               const std::string& body) const;
  // Whether a request to `target` is an inference request (also for requests refused before
  // their body is read, such as 413).
  bool isInference(const std::string& target) const;
  // Records a written reply in the metrics.
  void record(const Reply& reply, double seconds) const;
  // From now on the readiness endpoints answer 503 (inference goes on): the pod is leaving.
  void drain() { draining_ = true; }

 private:
  Identity id_;
  std::atomic<bool> draining_{false};
  ServedModel& model_;
  Metrics& metrics_;
};

class Server {
 public:
  Server(ServerOptions options, const Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  std::uint16_t port() const;
  void run();   // blocks until stop() or SIGTERM/SIGINT
  void stop();  // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace iris
