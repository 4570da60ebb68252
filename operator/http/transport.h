#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/cancel.h"
#include "core/result.h"

namespace mlmodel::http {

inline constexpr std::size_t kMiB = std::size_t{1024} * 1024;
// What a reply's status line and header fields may take in all.
inline constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;

// One HTTP exchange. Header names in a Response are lower-case.
struct Request {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/api/v1/pods?limit=500"
  std::map<std::string, std::string> headers;
  std::string body;
  // send(): the deadline for the whole exchange (connect, TLS handshake, write, header, body).
  // stream(): the deadline for connect to header; then each line must arrive within it.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // send(): the largest body accepted; a longer reply fails the request at once.
  // stream(): the longest line accepted (and the largest body of a non-2xx reply).
  std::size_t maxBodyBytes = 8 * kMiB;
  // Optional: cancelled, the exchange aborts at once (send() only) and fails "cancelled".
  const core::CancelToken* cancel = nullptr;
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

// Sends requests to one server; safe to use from several threads at once. Implementations:
// the Boost.Beast one (makeTransport); fakes in unit tests. A transport-level failure
// (refused, reset, TLS, deadline, a reply over its limits) is an Error with code 0.
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
  // The name sent as SNI and checked against the server's certificate; empty: the host of
  // the base URL (kubeconfig's tls-server-name).
  std::string serverName;
};

// A transport for `baseUrl` (http or https://host[:port][/path-prefix]) over Boost.Beast,
// on the process's shared I/O threads (http/io_runtime.h). A base URL that does not parse
// or TLS settings that do not load make every request fail with that error.
std::unique_ptr<Transport> makeTransport(const std::string& baseUrl, const TlsOptions& tls);

}  // namespace mlmodel::http
