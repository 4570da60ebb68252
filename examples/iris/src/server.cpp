#include "server.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "kserve.h"

namespace iris {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kDrainLimit = std::size_t{1024} * 1024;

Reply json(http::status s, std::string body) {
  Reply r;
  r.status = s;
  r.body = std::move(body);
  return r;
}

Reply error(http::status s, const std::string& message) {
  return json(s, kserve::errorBody(message));
}

// "/v2/models/<name>[/versions/<v>][/<action>]" split into its parts.
struct ModelPath {
  std::string name, version, action;
};

std::optional<ModelPath> parseModelPath(std::string_view path) {
  constexpr std::string_view prefix = "/v2/models/";
  if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
  path.remove_prefix(prefix.size());
  std::vector<std::string> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    parts.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  ModelPath m;
  if (parts.empty() || parts[0].empty()) return std::nullopt;
  m.name = parts[0];
  std::size_t i = 1;
  if (parts.size() > 2 && parts[1] == "versions") {
    m.version = parts[2];
    i = 3;
  }
  if (parts.size() == i + 1) {
    m.action = parts[i];
  } else if (parts.size() != i) {
    return std::nullopt;
  }
  return m;
}

std::string_view pathOf(const std::string& target) {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

}  // namespace

Handler::Handler(Identity id, ServedModel& model, Metrics& metrics)
    : id_(std::move(id)), model_(model), metrics_(metrics) {}

bool Handler::isInference(const std::string& target) const {
  const auto m = parseModelPath(pathOf(target));
  return m && m->action == "infer";
}

Reply Handler::handle(http::verb method, const std::string& target, const std::string& body) const {
  const std::string_view path = pathOf(target);
  const bool get = method == http::verb::get;
  if (path == "/v2/health/live" || path == "/v2/health/ready") {
    if (!get) return error(http::status::method_not_allowed, "use GET");
    if (path.ends_with("live")) return json(http::status::ok, R"({"live":true})");
    if (draining_) return json(http::status::service_unavailable, R"({"ready":false})");
    return json(http::status::ok, R"({"ready":true})");
  }
  if (path == "/v2" || path == "/v2/") {
    if (!get) return error(http::status::method_not_allowed, "use GET");
    return json(http::status::ok, kserve::serverMetadata());
  }
  if (path == "/metrics") {
    if (!get) return error(http::status::method_not_allowed, "use GET");
    Reply r = json(http::status::ok, metrics_.exposition());
    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  }
  const auto m = parseModelPath(path);
  if (!m) return error(http::status::not_found, "not found");
  const bool infer = m->action == "infer";
  Reply r = [&] {
    if (m->name != id_.model) return error(http::status::not_found, "unknown model " + m->name);
    if (!m->version.empty() && m->version != id_.version) {
      return error(http::status::not_found, "unknown version " + m->version);
    }
    if (m->action.empty()) {
      if (!get) return error(http::status::method_not_allowed, "use GET");
      return json(http::status::ok,
                  kserve::modelMetadata(id_.model, id_.version, model_.algorithm()));
    }
    if (m->action == "ready") {
      if (!get) return error(http::status::method_not_allowed, "use GET");
      return json(http::status::ok, R"({"ready":true})");
    }
    if (!infer) return error(http::status::not_found, "not found");
    if (method != http::verb::post) return error(http::status::method_not_allowed, "use POST");
    std::string why;
    auto req = kserve::parseInferRequest(body, why);
    if (!req) return error(http::status::bad_request, why);
    Outcome o = model_.infer(req->rows);
    Reply ok = o.failed ? error(http::status::internal_server_error, o.error)
                        : json(http::status::ok, kserve::inferResponse(id_.model, id_.version,
                                                                       req->id, o.predictions));
    ok.delay = o.delay;
    ok.predictions = std::move(o.predictions);
    return ok;
  }();
  r.inference = infer;
  return r;
}

void Handler::record(const Reply& reply, double seconds) const {
  if (!reply.inference) return;
  metrics_.observeRequest(static_cast<int>(reply.status), seconds);
  for (const auto& p : reply.predictions) {
    metrics_.observePrediction(static_cast<std::size_t>(p.cls), p.confidence());
  }
}

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ServerOptions& options, const Handler& handler,
          std::atomic<std::size_t>& active)
      : stream_(std::move(socket)),
        timer_(stream_.get_executor()),
        options_(options),
        handler_(handler),
        active_(active) {}
  ~Session() { active_.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.bodyLimit);
    parser_->header_limit(options_.headerLimit);
    stream_.expires_after(options_.readTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (!ec) return dispatch();
    if (ec == http::error::body_limit) return refuse(http::status::payload_too_large);
    if (ec == http::error::header_limit) {
      return refuse(http::status::request_header_fields_too_large);
    }
    // Not HTTP (a parse error) gets a 400; the peer leaving, a timeout or a reset, nothing.
    const bool parseError =
        ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (parseError) return refuse(http::status::bad_request);
    close();
  }

  void refuse(http::status status) {
    Reply r = error(status, std::string(http::obsolete_reason(status)));
    // The request line is parsed before the limits are checked: its target is known (empty
    // for a request line too long to finish).
    r.inference = handler_.isInference(std::string(target()));
    start_ = Clock::now();
    write(std::move(r), false);
  }

  std::string_view target() const {
    const auto t = parser_->get().target();
    return {t.data(), t.size()};
  }

  void dispatch() {
    start_ = Clock::now();
    const auto& req = parser_->get();
    Reply r;
    try {
      r = handler_.handle(req.method(), std::string(target()), req.body());
    } catch (const std::exception& e) {
      // Nothing may escape a handler of the shared io_context: answer, keep serving.
      r = error(http::status::internal_server_error, e.what());
      r.inference = handler_.isInference(std::string(target()));
    }
    const bool keepAlive = req.keep_alive();
    if (r.delay.count() > 0) {
      timer_.expires_after(r.delay);
      timer_.async_wait([self = shared_from_this(), r = std::move(r), keepAlive](
                            beast::error_code) mutable { self->write(std::move(r), keepAlive); });
      return;
    }
    write(std::move(r), keepAlive);
  }

  void write(Reply r, bool keepAlive) {
    handler_.record(r, std::chrono::duration<double>(Clock::now() - start_).count());
    res_ = {};
    // The request's HTTP version (1.0 clients need "Connection: keep-alive" to keep it).
    res_.version(parser_->get().version() == 10 ? 10 : 11);
    res_.result(r.status);
    res_.set(http::field::server, "mlmodel-iris");
    res_.set(http::field::content_type, r.contentType);
    res_.keep_alive(keepAlive);
    res_.body() = std::move(r.body);
    res_.prepare_payload();
    stream_.expires_after(options_.writeTimeout);
    http::async_write(stream_, res_,
                      [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        if (!keepAlive) return self->lingeringClose();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // After a reply that ends the connection (a refused body, for one), the client may still
  // be sending: closing with unread data would reset the connection and could destroy the
  // reply before the client reads it. Half-close, then read and discard what still comes,
  // for at most a second and 1 MiB.
  void lingeringClose() {
    close();
    stream_.expires_after(std::chrono::seconds(1));
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (!ec && self->drained_ < kDrainLimit) self->drain();
                            });
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  const ServerOptions& options_;
  const Handler& handler_;
  std::atomic<std::size_t>& active_;
  Clock::time_point start_;
  std::array<char, 4096> discard_{};
  std::size_t drained_ = 0;
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, const Handler& h)
      : options(std::move(o)),
        handler(h),
        ioc(options.threads),
        acceptor(net::make_strand(ioc)),
        signals(ioc, SIGTERM, SIGINT),
        drainTimer(ioc) {
    const tcp::endpoint ep(net::ip::make_address(options.address), options.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(net::socket_base::max_listen_connections);
    signals.async_wait([this](beast::error_code ec, int) {
      if (!ec) onSignal();
    });
    accept();
  }

  void onSignal() {
    if (options.drain.count() <= 0) {
      stopNow();
      return;
    }
    if (options.onDrain) options.onDrain();
    drainTimer.expires_after(options.drain);
    drainTimer.async_wait([this](beast::error_code ec) {
      if (!ec) stopNow();
    });
    signals.async_wait([this](beast::error_code ec, int) {
      if (!ec) stopNow();
    });
  }

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        if (active.fetch_add(1) >= options.maxConnections) {
          active.fetch_sub(1);
          beast::error_code ignored;
          s.close(ignored);  // over the cap: refuse rather than queue
        } else {
          std::make_shared<Session>(std::move(s), options, handler, active)->start();
        }
      }
      accept();
    });
  }

  void stopNow() {
    net::post(acceptor.get_executor(), [this] {
      beast::error_code ignored;
      acceptor.close(ignored);
      signals.cancel(ignored);
      drainTimer.cancel();
      ioc.stop();
    });
  }

  ServerOptions options;
  const Handler& handler;
  // Before ioc: sessions still queued in ioc decrement it when ioc destroys them.
  std::atomic<std::size_t> active{0};
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer drainTimer;
};

Server::Server(ServerOptions options, const Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.threads; ++i)
    threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void Server::stop() { impl_->stopNow(); }

}  // namespace iris
