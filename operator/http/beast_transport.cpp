// The transport over Boost.Beast: HTTP/1.1 on plain TCP or TLS (OpenSSL), with a deadline
// for the whole exchange and caps on what a server may send (transport.h). Idle connections
// are kept per transport and reused for the next send().
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "core/encoding.h"
#include "http/connection.h"
#include "http/io_runtime.h"
#include "http/transport.h"

namespace mlmodel::http {
namespace {

using detail::Clock;
using detail::Connection;
using detail::Endpoint;
namespace beast = detail::beast;
namespace bhttp = beast::http;
namespace net = detail::net;
using namespace std::string_view_literals;

// Idle connections kept per transport (client-go keeps 25 per host), and for how long.
constexpr size_t kMaxIdle = 16;
constexpr auto kMaxIdleTime = std::chrono::seconds(30);
// How much of a streamed body is read at once.
constexpr size_t kStreamChunk = size_t{64} * 1024;
// What an exchange fails with once its request's token is cancelled.
constexpr const char* kCancelled = "cancelled";

std::string sizeText(size_t bytes) {
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// What went wrong, in words that name the limit that was exceeded.
std::string describe(const beast::error_code& ec, const Request& request,
                     const std::string& phase) {
  if (ec == bhttp::error::body_limit) {
    return "the reply's body is larger than its limit of " + sizeText(request.maxBodyBytes);
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    return "the reply's header is larger than its limit of " + sizeText(kMaxHeaderBytes);
  }
  if (ec == beast::error::timeout) {
    return "no reply within the deadline of " + std::to_string(request.timeout.count()) + " ms (" +
           phase + ")";
  }
  return phase + ": " + ec.message();
}

// CR, LF or NUL in the request line or a header would let a value (a token from a Secret,
// a target built from a spec) end the line and smuggle in headers of its own.
std::string invalidRequest(const Request& r) {
  const auto bad = [](const std::string& s) { return s.find_first_of("\r\n\0"sv) != s.npos; };
  if (r.method.empty() || r.method.find_first_of(" \r\n\0"sv) != std::string::npos) {
    return "invalid method";
  }
  if (r.target.empty() || r.target.front() != '/' ||
      r.target.find_first_of(" \r\n\0"sv) != std::string::npos) {
    return "invalid target (it must start with / and hold no spaces or line breaks)";
  }
  for (const auto& [k, v] : r.headers) {
    if (k.empty() || bad(k) || k.find_first_of(" :"sv) != std::string::npos || bad(v)) {
      return "invalid header \"" + (bad(k) ? std::string("?") : k) + "\"";
    }
  }
  return {};
}

bool replayable(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

// A kept connection the server closed meanwhile fails before any reply byte: such a
// request is sent once more on a fresh connection, if sending it twice is harmless.
bool retryOnFreshConnection(bool reused, int attempt, bool gotSome, const beast::error_code& ec,
                            const std::string& method) {
  return reused && attempt == 0 && !gotSome && ec != beast::error::timeout && replayable(method);
}

template <class Fields>
std::map<std::string, std::string> headersOf(const Fields& fields) {
  std::map<std::string, std::string> out;
  for (const auto& f : fields) {
    auto [it, fresh] =
        out.try_emplace(core::toLower(std::string(f.name_string())), std::string(f.value()));
    if (!fresh) it->second += ", " + std::string(f.value());
  }
  return out;
}

// A streamed body split into lines, each bounded by the request's maxBodyBytes.
class BeastLineStream final : public LineStream {
 public:
  BeastLineStream(std::shared_ptr<Connection> conn,
                  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser,
                  Request request, std::string where)
      : conn_(std::move(conn)),
        parser_(std::move(parser)),
        request_(std::move(request)),
        where_(std::move(where)) {}
  ~BeastLineStream() override { conn_->abort(); }
  BeastLineStream(const BeastLineStream&) = delete;
  BeastLineStream& operator=(const BeastLineStream&) = delete;

  core::Result<std::optional<std::string>> readLine() override {
    const auto deadline = Clock::now() + request_.timeout;
    for (;;) {
      const auto nl = std::string_view(buffer_.data(), end_).find('\n', scanned_);
      if (nl != std::string::npos) {
        size_t end = nl;
        if (end > start_ && buffer_[end - 1] == '\r') --end;
        std::string line = buffer_.substr(start_, end - start_);
        start_ = scanned_ = nl + 1;
        return std::optional<std::string>(std::move(line));
      }
      scanned_ = end_;
      if (end_ - start_ > request_.maxBodyBytes) {
        release();
        return fail("a line is longer than its limit of " + sizeText(request_.maxBodyBytes));
      }
      if (parser_->is_done()) {
        // The end of the body: a last line without its newline, then nothing.
        std::string last = buffer_.substr(start_, end_ - start_);
        release();
        if (last.empty()) return std::optional<std::string>();
        return std::optional<std::string>(std::move(last));
      }
      if (auto s = fill(deadline); !s) return s.error();
    }
  }

  void cancel() override {
    cancelled_ = true;
    conn_->abort();
  }

 private:
  // Appends what arrives next; lines already returned are dropped first. The buffer grows
  // (and is zeroed) only when the room after the data is short of a chunk: zeroing 64 KiB
  // before every read cost more than parsing some of the events it carried.
  core::Status fill(Clock::time_point deadline) {
    if (cancelled_) return fail("cancelled");
    if (start_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
      end_ -= start_;
      scanned_ -= start_;
      start_ = 0;
    }
    if (buffer_.size() - end_ < kStreamChunk) buffer_.resize(end_ + kStreamChunk);
    const size_t room = buffer_.size() - end_;
    auto& body = parser_->get().body();
    body.data = buffer_.data() + end_;
    body.size = room;
    auto ec = conn_->readSome(*parser_, deadline);
    if (ec == bhttp::error::need_buffer) ec = {};
    end_ += room - body.size;
    if (!ec) return core::Ok{};
    release();
    if (cancelled_) return fail("cancelled");
    return fail(describe(ec, request_, "reading the stream"));
  }

  void release() {
    std::string().swap(buffer_);
    start_ = scanned_ = end_ = 0;
  }

  core::Error fail(const std::string& what) const { return core::Error{where_ + ": " + what}; }

  std::shared_ptr<Connection> conn_;
  std::unique_ptr<bhttp::response_parser<bhttp::buffer_body>> parser_;
  const Request request_;  // timeout: per line; maxBodyBytes: per line
  const std::string where_;
  std::atomic<bool> cancelled_{false};
  std::string buffer_;  // read up to end_, room after it; lines before start_ were returned
  size_t end_ = 0;      // where the data read so far ends in buffer_
  size_t start_ = 0;    // where the next line begins in buffer_
  size_t scanned_ = 0;  // buffer_ holds no newline between start_ and this
};

class BeastTransport final : public Transport {
 public:
  BeastTransport(std::string baseUrl, const TlsOptions& tls, net::io_context& ioc)
      : baseUrl_(std::move(baseUrl)), ioc_(ioc) {
    auto ep = detail::parseBaseUrl(baseUrl_);
    if (!ep) {
      setupError_ = ep.error().message;
      return;
    }
    endpoint_ = std::move(ep).value();
    verifyName_ = tls.serverName.empty() ? endpoint_.host : tls.serverName;
    if (endpoint_.tls) {
      try {
        tlsContext_ = makeTlsContext(tls);
      } catch (const std::exception& e) {
        setupError_ = std::string("TLS settings: ") + e.what();
      }
    }
  }

  core::Result<Response> send(const Request& request) override {
    if (!setupError_.empty()) return failure(request, setupError_);
    if (auto bad = invalidRequest(request); !bad.empty()) return failure(request, bad);
    const auto deadline = Clock::now() + request.timeout;
    auto message = toBeast(request);
    for (int attempt = 0;; ++attempt) {
      if (request.cancel && request.cancel->cancelled()) return failure(request, kCancelled);
      bool reused = false;
      auto conn = acquire(deadline, reused, request.cancel);
      if (!conn) {
        if (request.cancel && request.cancel->cancelled()) return failure(request, kCancelled);
        return failure(request, conn.error().message);
      }
      auto& c = *conn.value();
      // Cancelled mid-exchange: the connection is closed under the waiting call.
      const auto onCancel = request.cancel
                                ? request.cancel->onCancel([cp = conn.value()] { cp->abort(); })
                                : core::CancelToken::Registration{};
      bhttp::response_parser<bhttp::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(request.maxBodyBytes);
      if (request.method == "HEAD") parser.skip(true);
      const char* phase = "sending the request";
      auto ec = c.write(message, deadline);
      if (!ec) {
        phase = "reading the reply";
        // The header alone first: Beast 1.74 drops the body-limit error for a Content-Length
        // when the header and the start of the body arrive together (and then reserves
        // whatever length the server claimed), so the length is checked here.
        ec = c.readHeader(parser, deadline);
        const auto length = ec ? boost::none : parser.content_length();
        if (!ec && !parser.is_done() && length && *length > request.maxBodyBytes) {
          ec = bhttp::error::body_limit;
        }
        if (!ec && !parser.is_done()) ec = c.read(parser, deadline);
        // A TLS server that ends a body by closing without close_notify: the close is the end.
        if (ec == net::ssl::error::stream_truncated && parser.is_header_done() &&
            parser.need_eof()) {
          ec = {};
          parser.put_eof(ec);
        }
      }
      if (ec) {
        if (request.cancel && request.cancel->cancelled()) return failure(request, kCancelled);
        if (retryOnFreshConnection(reused, attempt, parser.got_some(), ec, request.method))
          continue;
        return failure(request, describe(ec, request, phase));
      }
      Response out;
      out.status = static_cast<int>(parser.get().result_int());
      out.headers = headersOf(parser.get());
      const bool keepAlive = parser.get().keep_alive();
      out.body = std::move(parser.get().body());
      if (keepAlive) release(std::move(conn).value());
      return out;
    }
  }

  core::Result<StreamResponse> stream(const Request& request) override {
    if (!setupError_.empty()) return failure(request, setupError_);
    if (auto bad = invalidRequest(request); !bad.empty()) return failure(request, bad);
    const auto deadline = Clock::now() + request.timeout;
    auto message = toBeast(request);
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      auto conn = acquire(deadline, reused);
      if (!conn) return failure(request, conn.error().message);
      auto& c = *conn.value();
      auto parser = std::make_unique<bhttp::response_parser<bhttp::buffer_body>>();
      parser->header_limit(kMaxHeaderBytes);
      // A watch has no end; its lines are bounded instead. (Not boost::none: Beast 1.74
      // compares a Content-Length with an empty optional and finds every length too long.)
      parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      const char* phase = "sending the request";
      auto ec = c.write(message, deadline);
      if (!ec) {
        phase = "reading the reply's header";
        ec = c.readHeader(*parser, deadline);
      }
      if (ec) {
        if (retryOnFreshConnection(reused, attempt, parser->got_some(), ec, request.method)) {
          continue;
        }
        return failure(request, describe(ec, request, phase));
      }
      StreamResponse out;
      out.status = static_cast<int>(parser->get().result_int());
      out.headers = headersOf(parser->get());
      if (out.status / 100 != 2) {
        auto body = readAll(c, *parser, request, deadline);
        if (!body) return failure(request, body.error().message);
        out.errorBody = std::move(body).value();
        return out;
      }
      out.lines = std::make_unique<BeastLineStream>(std::move(conn).value(), std::move(parser),
                                                    request, where(request));
      return out;
    }
  }

 private:
  static std::shared_ptr<net::ssl::context> makeTlsContext(const TlsOptions& tls) {
    auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1);
    if (tls.insecureSkipVerify) {
      ctx->set_verify_mode(net::ssl::verify_none);
    } else {
      ctx->set_verify_mode(net::ssl::verify_peer);
      // With a CA of our own only that one is trusted, as kubectl does.
      if (tls.caPem.empty()) {
        ctx->set_default_verify_paths();
      } else {
        ctx->add_certificate_authority(net::buffer(tls.caPem));
      }
    }
    if (!tls.certPem.empty()) ctx->use_certificate_chain(net::buffer(tls.certPem));
    if (!tls.keyPem.empty()) ctx->use_private_key(net::buffer(tls.keyPem), net::ssl::context::pem);
    return ctx;
  }

  bhttp::request<bhttp::string_body> toBeast(const Request& in) const {
    bhttp::request<bhttp::string_body> req;
    req.method_string(in.method);
    req.target(endpoint_.pathPrefix + in.target);
    req.version(11);
    req.set(bhttp::field::host, endpoint_.hostHeader);
    for (const auto& [k, v] : in.headers) req.set(k, v);
    if (!in.body.empty() || in.method == "POST" || in.method == "PUT" || in.method == "PATCH") {
      if (req.find(bhttp::field::content_type) == req.end()) {
        req.set(bhttp::field::content_type, "application/json");
      }
      req.body() = in.body;
      req.prepare_payload();
    }
    return req;
  }

  // An idle connection that is still open, or a new one.
  core::Result<std::shared_ptr<Connection>> acquire(Clock::time_point deadline, bool& reused,
                                                    const core::CancelToken* cancel = nullptr) {
    {
      std::lock_guard lock(mu_);
      while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        if (Clock::now() - c->idleSince < kMaxIdleTime && c->reusable()) {
          reused = true;
          return c;
        }
      }
    }
    auto c = std::make_shared<Connection>(ioc_, tlsContext_);
    const auto onCancel =
        cancel ? cancel->onCancel([c] { c->abort(); }) : core::CancelToken::Registration{};
    if (auto ec = c->connect(endpoint_, verifyName_, deadline)) {
      std::string what = ec != beast::error::timeout
                             ? "connecting to " + endpoint_.hostHeader + ": " + ec.message()
                         : c->tcpConnected() ? "no TLS handshake within the deadline"
                                             : "no connection within the deadline";
      if (!c->verifyFailure().empty()) {
        what += " (certificate for \"" + verifyName_ + "\": " + c->verifyFailure() + ")";
      }
      return core::Error{what};
    }
    return c;
  }

  void release(std::shared_ptr<Connection> c) {
    c->idleSince = Clock::now();
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
  }

  // The rest of a (non-2xx) body, up to the request's maxBodyBytes.
  static core::Result<std::string> readAll(Connection& c,
                                           bhttp::response_parser<bhttp::buffer_body>& parser,
                                           const Request& request, Clock::time_point deadline) {
    std::string out;
    while (!parser.is_done()) {
      const size_t old = out.size();
      out.resize(old + kStreamChunk);
      auto& body = parser.get().body();
      body.data = out.data() + old;
      body.size = kStreamChunk;
      auto ec = c.readSome(parser, deadline);
      if (ec == bhttp::error::need_buffer) ec = {};
      out.resize(old + (kStreamChunk - body.size));
      if (ec) return core::Error{describe(ec, request, "reading the reply")};
      if (out.size() > request.maxBodyBytes) {
        return core::Error{"the reply's body is larger than its limit of " +
                           sizeText(request.maxBodyBytes)};
      }
    }
    return out;
  }

  std::string where(const Request& request) const {
    return request.method + " " + baseUrl_ + request.target;
  }

  core::Error failure(const Request& request, const std::string& what) const {
    return core::Error{where(request) + ": " + what};
  }

  const std::string baseUrl_;
  net::io_context& ioc_;
  Endpoint endpoint_;
  std::string verifyName_;
  std::shared_ptr<net::ssl::context> tlsContext_;
  std::string setupError_;  // set: every request fails with it
  std::mutex mu_;
  std::vector<std::shared_ptr<Connection>> idle_;
};

}  // namespace

std::unique_ptr<Transport> makeTransport(const std::string& baseUrl, const TlsOptions& tls) {
  return std::make_unique<BeastTransport>(baseUrl, tls, IoRuntime::shared().context());
}

}  // namespace mlmodel::http
