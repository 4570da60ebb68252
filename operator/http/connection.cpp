#include "http/connection.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <cerrno>

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

Connection::Connection(net::io_context& ioc, std::shared_ptr<net::ssl::context> tls)
    : strand_(net::make_strand(ioc)),
      resolver_(strand_),
      tlsContext_(std::move(tls)),
      buffer_(kBufferLimit) {
  if (tlsContext_) {
    tls_.emplace(strand_, *tlsContext_);
  } else {
    plain_.emplace(strand_);
  }
}

Connection::~Connection() {
  beast::error_code ignored;
  tcp().socket().close(ignored);
}

beast::error_code Connection::connect(const Endpoint& endpoint, const std::string& verifyName,
                                      Clock::time_point deadline) {
  auto ec = await(
      deadline,
      [host = endpoint.host, port = endpoint.port](Connection& c, auto done) {
        c.resolver_.async_resolve(
            host, port,
            [&c, done = std::move(done)](beast::error_code ec,
                                         net::ip::tcp::resolver::results_type results) mutable {
              c.endpoints_ = std::move(results);
              done(ec);
            });
      },
      false);
  if (ec) return ec;
  ec = await(deadline, [](Connection& c, auto done) {
    c.tcp().async_connect(c.endpoints_, std::move(done));
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
  net::post(strand_, [self = shared_from_this()] {
    self->resolver_.cancel();
    beast::error_code ignored;
    self->tcp().socket().close(ignored);
  });
}

bool Connection::reusable() {
  if (aborted_ || buffer_.size() != 0 || !tcp().socket().is_open()) return false;
  char c = 0;
  const auto n = ::recv(tcp().socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace mlmodel::http::detail
