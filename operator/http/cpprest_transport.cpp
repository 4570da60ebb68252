// Transport over cpprestsdk. One http_client per distinct timeout, because cpprest sets
// the timeout per client, not per request; each client keeps its own connection pool.
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

#include "core/encoding.h"
#include "http/transport.h"

namespace mlmodel::http {
namespace {

namespace wh = web::http;

using core::toLower;

std::map<std::string, std::string> headersOf(const wh::http_response& r) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : r.headers()) out[toLower(k)] = v;
  return out;
}

wh::http_request toCpprest(const Request& in) {
  wh::http_request req(in.method);
  req.set_request_uri(web::uri(in.target));
  std::string contentType = "application/json";
  for (const auto& [k, v] : in.headers) {
    if (toLower(k) == "content-type") {
      contentType = v;
    } else {
      req.headers().add(k, v);
    }
  }
  if (!in.body.empty() || in.method == "POST" || in.method == "PUT" || in.method == "PATCH") {
    req.set_body(in.body, contentType);
  }
  return req;
}

// Reads the body in chunks of whatever has arrived and splits lines itself: cpprest's
// read_line takes two locks and may schedule a task per byte, which made reading watch
// events a large share of the operator's CPU time.
class CpprestLineStream final : public LineStream {
 public:
  CpprestLineStream(wh::http_response response, pplx::cancellation_token_source cancel)
      : response_(std::move(response)), body_(response_.body()), cancel_(std::move(cancel)) {}
  ~CpprestLineStream() override { cancel(); }

  core::Result<std::optional<std::string>> readLine() override {
    try {
      for (;;) {
        const auto nl = buffer_.find('\n', scanned_);
        if (nl != std::string::npos) {
          size_t end = nl;
          if (end > start_ && buffer_[end - 1] == '\r') --end;
          std::string line = buffer_.substr(start_, end - start_);
          start_ = scanned_ = nl + 1;
          return std::optional<std::string>(std::move(line));
        }
        scanned_ = buffer_.size();
        if (!fill()) {
          // The end of the body: a last line without its newline, then nothing.
          std::string last = buffer_.substr(start_);
          buffer_.clear();
          start_ = scanned_ = 0;
          if (last.empty()) return std::optional<std::string>();
          return std::optional<std::string>(std::move(last));
        }
      }
    } catch (const std::exception& e) {
      return core::Error{std::string("reading stream: ") + e.what()};
    }
  }

  void cancel() override { cancel_.cancel(); }

 private:
  // Appends what has arrived, waiting for at least one byte; false at the end of the body.
  // Lines already returned are dropped here, once per chunk rather than once per line.
  bool fill() {
    buffer_.erase(0, start_);
    scanned_ -= start_;
    start_ = 0;
    auto sb = body_.streambuf();
    constexpr size_t kMaxChunk = size_t{64} * 1024;
    const size_t want = std::clamp<size_t>(sb.in_avail(), 1, kMaxChunk);
    const size_t old = buffer_.size();
    buffer_.resize(old + want);
    size_t n = 0;
    try {
      n = sb.getn(reinterpret_cast<uint8_t*>(buffer_.data() + old), want).get();
    } catch (...) {  // a failed connection: keep only what was read
      buffer_.resize(old);
      throw;
    }
    buffer_.resize(old + n);
    return n > 0;
  }

  wh::http_response response_;
  concurrency::streams::istream body_;
  pplx::cancellation_token_source cancel_;
  std::string buffer_;  // read; lines before start_ were returned
  size_t start_ = 0;    // where the next line begins in buffer_
  size_t scanned_ = 0;  // buffer_ holds no newline between start_ and this
};

class CpprestTransport final : public Transport {
 public:
  CpprestTransport(std::string baseUrl, TlsOptions tls)
      : baseUrl_(std::move(baseUrl)), tls_(std::move(tls)) {}

  core::Result<Response> send(const Request& request) override {
    try {
      auto response = client(request.timeout).request(toCpprest(request)).get();
      Response out;
      out.status = response.status_code();
      out.headers = headersOf(response);
      out.body = response.extract_utf8string(true).get();
      return out;
    } catch (const std::exception& e) {
      return failure(request, e);
    }
  }

  core::Result<StreamResponse> stream(const Request& request) override {
    try {
      pplx::cancellation_token_source cancel;
      auto response = client(request.timeout).request(toCpprest(request), cancel.get_token()).get();
      StreamResponse out;
      out.status = response.status_code();
      out.headers = headersOf(response);
      if (out.status / 100 != 2) {
        out.errorBody = response.extract_utf8string(true).get();
        return out;
      }
      out.lines = std::make_unique<CpprestLineStream>(std::move(response), std::move(cancel));
      return out;
    } catch (const std::exception& e) {
      return failure(request, e);
    }
  }

 private:
  core::Error failure(const Request& request, const std::exception& e) const {
    return core::Error{request.method + " " + baseUrl_ + request.target + ": " + e.what()};
  }

  wh::client::http_client& client(std::chrono::milliseconds timeout) {
    std::lock_guard lock(mu_);
    auto it = clients_.find(timeout.count());
    if (it != clients_.end()) return *it->second;
    wh::client::http_client_config cfg;
    cfg.set_timeout(timeout);
    cfg.set_validate_certificates(!tls_.insecureSkipVerify);
    const TlsOptions tls = tls_;
    cfg.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) {
      if (!tls.caPem.empty()) {
        // cpprest gives every connection a context loaded with the system's whole CA bundle
        // (~0.7 MB each); with a CA of our own only that one is trusted (as kubectl does), so
        // a fresh store replaces the bundle and its memory is freed.
        X509_STORE* store = X509_STORE_new();
        if (store == nullptr) throw std::runtime_error("TLS: X509_STORE_new failed");
        SSL_CTX_set_cert_store(ctx.native_handle(), store);
        ctx.add_certificate_authority(boost::asio::buffer(tls.caPem));
      }
      if (!tls.certPem.empty()) ctx.use_certificate_chain(boost::asio::buffer(tls.certPem));
      if (!tls.keyPem.empty()) {
        ctx.use_private_key(boost::asio::buffer(tls.keyPem), boost::asio::ssl::context::pem);
      }
    });
    auto c = std::make_unique<wh::client::http_client>(baseUrl_, cfg);
    return *clients_.emplace(timeout.count(), std::move(c)).first->second;
  }

  const std::string baseUrl_;
  const TlsOptions tls_;
  std::mutex mu_;
  std::map<long, std::unique_ptr<wh::client::http_client>> clients_;
};

}  // namespace

std::unique_ptr<Transport> makeCpprestTransport(const std::string& baseUrl, const TlsOptions& tls) {
  return std::make_unique<CpprestTransport>(baseUrl, tls);
}

}  // namespace mlmodel::http
