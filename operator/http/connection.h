#pragma once

// One HTTP/1.1 connection over Boost.Beast, plain or TLS, driven from a blocking caller.
// The connection has an I/O context of its own that the calling thread runs while it waits:
// the socket's readiness wakes the caller directly, with no hand-off to another thread and
// back (on shared I/O threads those hand-offs were half the operator's CPU at 1,000
// models). A call ends at its result, its deadline, or abort() from any thread. Internal
// to the Beast transport.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/result.h"

namespace mlmodel::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
using Clock = std::chrono::steady_clock;

// The parts of a base URL, "https://host:port/prefix".
struct Endpoint {
  bool tls = false;
  std::string host;        // without the brackets of an IPv6 address
  std::string port;        // always set: the scheme's default when the URL has none
  std::string hostHeader;  // the authority as written, for the Host header
  std::string pathPrefix;  // "" or "/prefix", without a trailing slash
};
core::Result<Endpoint> parseBaseUrl(const std::string& url);

bool isIpAddress(const std::string& host);

class Connection {
 public:
  // What the read buffer may hold: a whole header (kMaxHeaderBytes) and then some.
  static constexpr std::size_t kBufferLimit = std::size_t{128} * 1024;

  // `tls` null: plain TCP. `resolverContext` resolves host names (run by other threads: a
  // lookup cannot be interrupted, so one past its deadline is left to finish there).
  Connection(net::io_context& resolverContext, std::shared_ptr<net::ssl::context> tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Resolves, connects and (for TLS) handshakes with SNI and verification against
  // `verifyName` (when the context verifies at all). Every call returns beast::error::timeout
  // at `deadline` and net::error::operation_aborted after abort().
  beast::error_code connect(const Endpoint& endpoint, const std::string& verifyName,
                            Clock::time_point deadline);
  beast::error_code write(beast::http::request<beast::http::string_body>& request,
                          Clock::time_point deadline);
  template <class Parser>
  beast::error_code read(Parser& parser, Clock::time_point deadline) {
    return await(deadline, [&parser](Connection& c, auto done) {
      c.withStream(
          [&](auto& s) { beast::http::async_read(s, c.buffer_, parser, std::move(done)); });
    });
  }
  template <class Parser>
  beast::error_code readHeader(Parser& parser, Clock::time_point deadline) {
    return await(deadline, [&parser](Connection& c, auto done) {
      c.withStream(
          [&](auto& s) { beast::http::async_read_header(s, c.buffer_, parser, std::move(done)); });
    });
  }
  template <class Parser>
  beast::error_code readSome(Parser& parser, Clock::time_point deadline) {
    return await(deadline, [&parser](Connection& c, auto done) {
      c.withStream(
          [&](auto& s) { beast::http::async_read_some(s, c.buffer_, parser, std::move(done)); });
    });
  }

  // Closes the socket; an operation in progress in another thread returns. Thread-safe.
  void abort();
  // Idle, nothing buffered, and the peer has not closed: fit to carry another request.
  bool reusable();
  // Why the last TLS handshake failed verification ("hostname mismatch", ...), or "".
  std::string verifyFailure() const { return verifyFailure_; }
  // Whether connect() got as far as an open TCP connection (a failure after is TLS's).
  bool tcpConnected() const { return tcpConnected_; }

  Clock::time_point idleSince{};

 private:
  // Starts start(*this, done) and runs this connection's I/O context on the calling thread
  // until done(ec, ...), the deadline (the socket is closed, the operation ends with it) or
  // abort(). One caller at a time.
  template <class Start>
  beast::error_code await(Clock::time_point deadline, Start start) {
    ioc_.restart();
    if (aborted_) return net::error::operation_aborted;
    bool finished = false;
    beast::error_code result;
    start(*this, [&finished, &result](beast::error_code ec, auto&&...) {
      finished = true;
      result = ec;
    });
    while (!finished) {
      if (ioc_.run_one_until(deadline) != 0 || finished) continue;
      // Out of work with no answer (cannot happen while an operation is pending): no spin.
      if (Clock::now() < deadline) return net::error::operation_aborted;
      closeSocket();
      ioc_.restart();
      while (!finished && ioc_.run_one() != 0) {
      }
      return beast::error::timeout;
    }
    if (aborted_ && result) return net::error::operation_aborted;
    return result;
  }
  void closeSocket();

  template <class F>
  void withStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }
  beast::tcp_stream& tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  net::io_context ioc_{1};  // first: the objects below are bound to it
  net::io_context& resolverContext_;
  std::shared_ptr<net::ssl::context> tlsContext_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::atomic<bool> aborted_{false};
  std::string verifyFailure_;
  bool tcpConnected_ = false;
};

}  // namespace mlmodel::http::detail
