#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"

namespace mlmodel::server {

// Serves /healthz (the process is alive) and /readyz (`ready()` says the caches have
// synced), the probes a Deployment points its kubelet at.
class HealthServer {
 public:
  virtual ~HealthServer() = default;
  virtual void stop() = 0;
};

// `address` is "host:port" or ":port" (all interfaces).
core::Result<std::unique_ptr<HealthServer>> startHealthServer(const std::string& address,
                                                              std::function<bool()> ready);

// ":8081" -> "0.0.0.0:8081"; "localhost:1" stays.
std::string hostPort(const std::string& address);

}  // namespace mlmodel::server
