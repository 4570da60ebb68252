#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/http_server.h"

namespace mlmodel::server {

// "" while the process does its work; otherwise why it does not (the /healthz body).
using LivenessCheck = std::function<std::string()>;

// Serves /healthz and /livez (200 while `live` returns "", 500 with its reason otherwise;
// always 200 when `live` is empty) and /readyz (`ready()` says the caches have synced),
// the probes a Deployment points its kubelet at. `address` is "host:port" or ":port".
core::Result<std::unique_ptr<HttpServer>> startHealthServer(const std::string& address,
                                                            std::function<bool()> ready,
                                                            LivenessCheck live = {},
                                                            HttpServerOptions options = {});

// ":8081" -> "0.0.0.0:8081"; "localhost:1" stays.
std::string hostPort(const std::string& address);

}  // namespace mlmodel::server
