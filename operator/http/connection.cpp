#include "http/connection.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <cerrno>
#include <future>
#include <utility>
#include <vector>

#include "core/encoding.h"

namespace mlmodel::http::detail {

core::Result<Endpoint> parseBaseUrl(const std::string& url) {
  const auto bad = [&](const std::string& why) {
    return core::Error{"base URL \"" + url + "\": " + why};
  };
  const auto sep = url.find("://");
  if (sep == std::string::npos) return bad("no scheme");
  const std::string scheme = core::toLower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") return bad("the scheme is not http or https");
  Endpoint ep;
  ep.tls = scheme == "https";
  const auto pathStart = url.find_first_of("/?#", sep + 3);
  std::string authority =
      url.substr(sep + 3, pathStart == std::string::npos ? std::string::npos : pathStart - sep - 3);
  if (authority.find('@') != std::string::npos) return bad("user information is not supported");
  if (pathStart != std::string::npos) {
    if (url[pathStart] != '/') return bad("a query or fragment is not allowed");
    ep.pathPrefix = url.substr(pathStart);
    while (!ep.pathPrefix.empty() && ep.pathPrefix.back() == '/') ep.pathPrefix.pop_back();
  }
  std::string portPart;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return bad("an unclosed [ in the host");
    ep.host = authority.substr(1, close - 1);
    const std::string rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("junk after the IPv6 address");
      portPart = rest.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    ep.host = authority.substr(0, colon);
    if (colon != std::string::npos) portPart = authority.substr(colon + 1);
  }
  if (ep.host.empty()) return bad("no host");
  if (!portPart.empty()) {
    if (portPart.size() > 5 || portPart.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(portPart) < 1 || std::stoi(portPart) > 65535) {
      return bad("the port is not a number from 1 to 65535");
    }
  }
  ep.port = portPart.empty() ? (ep.tls ? "443" : "80") : portPart;
  ep.hostHeader = authority;
  return ep;
}

bool isIpAddress(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

Connection::Connection(net::io_context& resolverContext, std::shared_ptr<net::ssl::context> tls)
    : resolverContext_(resolverContext), tlsContext_(std::move(tls)), buffer_(kBufferLimit) {
  if (tlsContext_) {
    tls_.emplace(ioc_, *tlsContext_);
  } else {
    plain_.emplace(ioc_);
  }
}

Connection::~Connection() { closeSocket(); }

void Connection::closeSocket() {
  beast::error_code ignored;
  tcp().socket().close(ignored);
}

namespace {

// Resolves on the resolver's context; a caller past its deadline leaves the lookup to end
// there (getaddrinfo cannot be interrupted) and the result is dropped.
beast::error_code resolve(net::io_context& ioc, const Endpoint& endpoint,
                          Clock::time_point deadline, std::vector<net::ip::tcp::endpoint>& out) {
  using Results = net::ip::tcp::resolver::results_type;
  auto resolver = std::make_shared<net::ip::tcp::resolver>(ioc);
  auto promise = std::make_shared<std::promise<std::pair<beast::error_code, Results>>>();
  auto result = promise->get_future();
  resolver->async_resolve(endpoint.host, endpoint.port,
                          [resolver, promise](beast::error_code ec, Results results) {
                            promise->set_value({ec, std::move(results)});
                          });
  if (result.wait_until(deadline) != std::future_status::ready) {
    net::post(ioc, [resolver] { resolver->cancel(); });
    return beast::error::timeout;
  }
  auto [ec, results] = result.get();
  for (const auto& entry : results) out.push_back(entry.endpoint());
  return ec;
}

}  // namespace

beast::error_code Connection::connect(const Endpoint& endpoint, const std::string& verifyName,
                                      Clock::time_point deadline) {
  std::vector<net::ip::tcp::endpoint> endpoints;
  beast::error_code ec;
  if (isIpAddress(endpoint.host)) {
    // An address needs no lookup (and no other thread).
    endpoints.emplace_back(net::ip::make_address(endpoint.host),
                           static_cast<unsigned short>(std::stoi(endpoint.port)));
  } else {
    ec = resolve(resolverContext_, endpoint, deadline, endpoints);
    if (ec) return ec;
  }
  if (aborted_) return net::error::operation_aborted;
  ec = await(deadline, [&endpoints](Connection& c, auto done) {
    c.tcp().async_connect(endpoints, std::move(done));
  });
  if (ec) return ec;
  tcpConnected_ = true;
  if (!tls_) return ec;

  SSL* ssl = tls_->native_handle();
  const bool ip = isIpAddress(verifyName);
  // SNI carries names only (RFC 6066).
  if (!ip && SSL_set_tlsext_host_name(ssl, verifyName.c_str()) != 1) {
    return net::error::invalid_argument;
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  const int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, verifyName.c_str())
                     : X509_VERIFY_PARAM_set1_host(param, verifyName.c_str(), verifyName.size());
  if (set != 1) return net::error::invalid_argument;
  ec = await(deadline, [](Connection& c, auto done) {
    c.tls_->async_handshake(net::ssl::stream_base::client, std::move(done));
  });
  if (ec) {
    const long result = SSL_get_verify_result(ssl);
    if (result != X509_V_OK) verifyFailure_ = X509_verify_cert_error_string(result);
  }
  return ec;
}

beast::error_code Connection::write(beast::http::request<beast::http::string_body>& request,
                                    Clock::time_point deadline) {
  return await(deadline, [&request](Connection& c, auto done) {
    c.withStream([&](auto& s) { beast::http::async_write(s, request, std::move(done)); });
  });
}

void Connection::abort() {
  aborted_ = true;
  // Runs in the thread waiting on this connection, if any, or at the start of the next
  // call (which then returns at once). `this`, not a shared pointer: a handler left queued
  // is destroyed with the context, which the connection owns.
  net::post(ioc_, [this] { closeSocket(); });
}

bool Connection::reusable() {
  if (aborted_ || buffer_.size() != 0 || !tcp().socket().is_open()) return false;
  char c = 0;
  const auto n = ::recv(tcp().socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace mlmodel::http::detail
