#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"

namespace mlmodel::http {

// One HTTP exchange. Header names in a Response are lower-case.
struct Request {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/api/v1/pods?limit=500"
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;

  std::optional<std::string> header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }
};

// A response body read as it arrives, line by line (a Kubernetes watch sends one JSON
// event per line). The body is never buffered whole.
class LineStream {
 public:
  virtual ~LineStream() = default;
  // The next line without its newline; nullopt at the end of the body. An Error when the
  // connection fails or goes quiet for longer than the request's timeout.
  virtual core::Result<std::optional<std::string>> readLine() = 0;
  // Aborts the connection; a readLine() blocked in another thread returns.
  virtual void cancel() = 0;
};

struct StreamResponse {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string errorBody;              // the whole body, when status is not 2xx
  std::unique_ptr<LineStream> lines;  // set when status is 2xx
};

// Sends requests to one server. Implementations: CpprestTransport; fakes in unit tests.
// A transport-level failure (refused, reset, TLS, timeout) is an Error with code 0.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual core::Result<Response> send(const Request& request) = 0;
  virtual core::Result<StreamResponse> stream(const Request& request) = 0;
};

// TLS settings for a transport, in PEM.
struct TlsOptions {
  std::string caPem;  // empty: the system's roots
  std::string certPem;
  std::string keyPem;
  bool insecureSkipVerify = false;
};

// A transport over cpprestsdk for `baseUrl` (scheme://host:port).
std::unique_ptr<Transport> makeCpprestTransport(const std::string& baseUrl, const TlsOptions& tls);

}  // namespace mlmodel::http
