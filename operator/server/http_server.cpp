#include "server/http_server.h"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace mlmodel::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using TlsStream = net::ssl::stream<tcp::socket>;

// What the server's bookkeeping needs of a connection, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes this connection to make room for a new one.
  virtual void displace() = 0;
};

// What one server's connections share; connections hold it, so it outlives them.
struct Shared {
  std::map<std::string, AsyncHttpHandler> routes;
  HttpServerOptions options;
  std::atomic<std::size_t> active{0};
  // Connections waiting for a request's headers (or a TLS handshake, or idle), longest
  // first, and those being answered (a handler, a reply being written, a close being
  // drained), longest first. At the connection cap a new one displaces the front of
  // `waiting`, else of `answering`: slow, idle, or non-reading clients cannot keep a
  // probe out. Touched only on the server's thread.
  std::list<std::weak_ptr<SessionBase>> waiting;
  std::list<std::weak_ptr<SessionBase>> answering;
  // Every open connection, so that stop() closes them (server's thread only).
  std::list<std::weak_ptr<SessionBase>> open;
  // Whether answers from other threads may still be posted: stop() shuts it before the
  // loop ends, so no thread posts into an io_context being destroyed.
  std::mutex gateMu;
  bool gateOpen = true;
};

// What a refused connection may still send us before we close: read (and drop) so that
// the close is a FIN after our reply, not a reset that could discard it at the client.
constexpr std::size_t kDrainBytes = std::size_t{64} * 1024;
constexpr auto kDrainTime = std::chrono::milliseconds(500);

// One accepted connection, plain (tcp::socket) or TLS (TlsStream). Everything runs on
// the server's single thread, but for the Respond an AsyncHttpHandler is given, which
// posts back to it.
template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  // `tls` is the context of a TLS stream (kept alive with it); null for a plain one.
  Session(tcp::socket socket, std::shared_ptr<Shared> shared,
          std::shared_ptr<net::ssl::context> tls)
      : tls_(std::move(tls)),
        stream_(makeStream(std::move(socket), tls_.get())),
        timer_(stream_.get_executor()),
        shared_(std::move(shared)),
        // The header cap is the parser's; the buffer holds a little more than one header.
        buffer_(shared_->options.maxHeaderBytes + 1024) {}
  ~Session() override {
    leave();
    if (open_) shared_->open.erase(*open_);
    shared_->active.fetch_sub(1);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() {
    open_ = shared_->open.insert(shared_->open.end(),
                                 std::weak_ptr<SessionBase>(this->shared_from_this()));
    arm(shared_->options.headerTimeout);  // for a TLS handshake and the first headers
    if constexpr (kTls) {
      enterWaiting();
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (self->closed_) return;
                                if (ec) {
                                  self->close();
                                  return;
                                }
                                self->readHeader();
                              });
    } else {
      readHeader();
    }
  }

  void displace() override { close(); }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  static constexpr std::size_t kKeepAliveRead = 1024;  // under the buffer's spare room

  static Stream makeStream(tcp::socket socket, net::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      (void)tls;
      return socket;
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  // Closes the socket when `d` passes; a later arm() (or close) supersedes it.
  void arm(std::chrono::milliseconds d) {
    const auto generation = ++generation_;
    timer_.expires_after(d);
    timer_.async_wait([self = this->shared_from_this(), generation](error_code ec) {
      if (!ec && generation == self->generation_) self->close();
    });
  }

  enum class Place { None, Waiting, Answering };

  // Moves this connection to the back of the list for `to` (see Shared).
  void moveTo(Place to) {
    if (to == place_) return;
    leave();
    if (closed_ || to == Place::None) return;
    auto& list = to == Place::Waiting ? shared_->waiting : shared_->answering;
    where_ = list.insert(list.end(), std::weak_ptr<SessionBase>(this->shared_from_this()));
    place_ = to;
  }
  void enterWaiting() { moveTo(Place::Waiting); }

  void leave() {
    if (place_ == Place::None) return;
    (place_ == Place::Waiting ? shared_->waiting : shared_->answering).erase(where_);
    place_ = Place::None;
  }

  void close() {
    leave();
    if (closed_) return;
    closed_ = true;
    ++generation_;
    timer_.cancel();
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

  void readHeader() {
    enterWaiting();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.maxHeaderBytes));
    parser_->body_limit(0);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->onHeader(ec); });
  }

  void onHeader(error_code ec) {
    moveTo(Place::Answering);
    if (closed_) return;
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
      reply(431, "request header fields too large\n", false, true);
      return;
    }
    if (ec == bhttp::error::body_limit) {  // a Content-Length over 0: see readHeader()
      reply(413, "request bodies are not accepted\n", false, true);
      return;
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted ||
        ec == net::ssl::error::stream_truncated) {
      close();
      return;
    }
    if (ec) {  // HTTP/1.0 and 1.1 only: Beast refuses other versions (the HTTP/2 preface too)
      reply(400, "bad request: " + ec.message() + "\n", false, true);
      return;
    }
    const auto& req = parser_->get();
    const bool head = req.method() == bhttp::verb::head;
    // No endpoint takes a body, and an unread one would be parsed as the next request.
    if (parser_->chunked() || (parser_->content_length() && *parser_->content_length() > 0)) {
      reply(413, "request bodies are not accepted\n", head, true);
      return;
    }
    if (req.method() != bhttp::verb::get && !head) {
      reply(405, "method not allowed\n", false, !req.keep_alive());
      return;
    }
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    const auto route = shared_->routes.find(path);
    if (route == shared_->routes.end()) {
      reply(404, "not found\n", head, !req.keep_alive());
      return;
    }
    HttpRequest request{std::string(req.method_string()), path,
                        std::string(req[bhttp::field::authorization])};
    const bool closeAfter = !req.keep_alive();
    const auto id = ++request_;
    arm(shared_->options.handlerTimeout);
    // The answer comes back through the server's thread; a closed connection or a later
    // request (after a timeout) makes it moot.
    // The session is locked only there: were it locked here, on another thread, its last
    // reference could go there too, and its destructor edit the server's lists.
    Respond answer = [weak = this->weak_from_this(), shared = shared_, ex = stream_.get_executor(),
                      id, head, closeAfter](HttpResponse r) {
      std::lock_guard gate(shared->gateMu);
      if (!shared->gateOpen) return;
      net::post(ex, [weak, id, head, closeAfter, r = std::move(r)]() mutable {
        auto self = weak.lock();
        if (!self || self->closed_ || self->request_ != id || self->answered_ == id) return;
        self->answered_ = id;
        const bool close = closeAfter || r.close;
        self->respond(std::move(r), head, close);
      });
    };
    try {
      route->second(request, std::move(answer));
    } catch (const std::exception& e) {
      spdlog::error("serving {}: {}", path, e.what());
      answered_ = id;
      respond(textResponse(500, "internal error\n"), head, true);
    }
  }

  void reply(unsigned status, std::string body, bool head, bool closeAfter) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    respond(std::move(r), head, closeAfter);
  }

  void respond(HttpResponse r, bool head, bool closeAfter) {
    closeAfter_ = closeAfter;
    response_ = {};
    response_.version(11);
    response_.result(r.status);
    response_.set(bhttp::field::content_type, r.contentType);
    if (r.status == 405) response_.set(bhttp::field::allow, "GET, HEAD");
    for (const auto& [name, value] : r.headers) response_.set(name, value);
    response_.keep_alive(!closeAfter);
    response_.body() = std::move(r.body);
    response_.prepare_payload();
    // HEAD: the same headers, Content-Length included, and no body.
    if (head) response_.body().clear();
    arm(shared_->options.writeTimeout);
    bhttp::async_write(
        stream_, response_,
        [self = this->shared_from_this()](error_code ec, std::size_t) { self->onWritten(ec); });
  }

  void onWritten(error_code ec) {
    if (closed_) return;
    if (ec) {
      close();
      return;
    }
    if (closeAfter_) {
      drainAndClose();
      return;
    }
    if (buffer_.size() > 0) {  // a pipelined request is already here
      arm(shared_->options.headerTimeout);
      readHeader();
      return;
    }
    // Keep-alive: wait (idle timeout) for the next request to start, then give its
    // headers the header timeout.
    arm(shared_->options.idleTimeout);
    enterWaiting();
    auto next = [self = this->shared_from_this()](error_code e) {
      if (self->closed_) return;
      if (e) {
        self->close();
        return;
      }
      self->arm(self->shared_->options.headerTimeout);
      self->readHeader();
    };
    if constexpr (kTls) {
      // A record may sit in TLS's buffers undecrypted, the socket quiet: read through TLS.
      stream_.async_read_some(buffer_.prepare(kKeepAliveRead),
                              [self = this->shared_from_this(), next](error_code e, std::size_t n) {
                                self->buffer_.commit(n);
                                next(e);
                              });
    } else {
      socket().async_wait(tcp::socket::wait_read, std::move(next));
    }
  }

  void drainAndClose() {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    arm(kDrainTime);
    drain();
  }

  void drain() {
    socket().async_read_some(net::buffer(scratch_),
                             [self = this->shared_from_this()](error_code ec, std::size_t n) {
                               if (self->closed_) return;
                               self->drained_ += n;
                               if (ec || self->drained_ >= kDrainBytes) {
                                 self->close();
                               } else {
                                 self->drain();
                               }
                             });
  }

  std::shared_ptr<net::ssl::context> tls_;
  Stream stream_;
  net::steady_timer timer_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
  std::array<char, 4096> scratch_{};
  std::size_t drained_ = 0;
  std::uint64_t generation_ = 0;
  Place place_ = Place::None;
  std::list<std::weak_ptr<SessionBase>>::iterator where_;  // in the list of place_
  std::optional<std::list<std::weak_ptr<SessionBase>>::iterator> open_;
  std::uint64_t request_ = 0;   // the request being answered
  std::uint64_t answered_ = 0;  // the last one answered
  bool closed_ = false;
  bool closeAfter_ = false;
};

class AsioHttpServer final : public HttpServer {
 public:
  explicit AsioHttpServer(std::shared_ptr<Shared> shared)
      : shared_(std::move(shared)), acceptor_(ioc_), retry_(ioc_) {}
  ~AsioHttpServer() override { stop(); }
  AsioHttpServer(const AsioHttpServer&) = delete;
  AsioHttpServer& operator=(const AsioHttpServer&) = delete;

  core::Status listen(const std::string& address) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return core::Error{"no port in \"" + address + "\""};
    std::string host = address.substr(0, colon);
    const std::string port = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    if (host.empty()) host = "0.0.0.0";
    error_code ec;
    tcp::resolver resolver(ioc_);
    const auto results = resolver.resolve(host, port, tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return core::Error{"resolving " + address + ": " + (ec ? ec.message() : "no address")};
    }
    const tcp::endpoint endpoint = results.begin()->endpoint();
    if (acceptor_.open(endpoint.protocol(), ec) ||
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec) ||
        acceptor_.bind(endpoint, ec) ||
        acceptor_.listen(net::socket_base::max_listen_connections, ec)) {
      return core::Error{"listening on " + address + ": " + ec.message()};
    }
    port_ = acceptor_.local_endpoint(ec).port();
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
    return core::Ok{};
  }

  unsigned short port() const override { return port_; }
  std::size_t connections() const override { return shared_->active.load(); }

  void stop() override {
    if (stopped_.exchange(true)) return;
    {
      std::lock_guard gate(shared_->gateMu);
      shared_->gateOpen = false;
    }
    // On the server's thread: no new connections, every open one closed (a client sees
    // its connection end now, not when this object goes), then the loop ends.
    net::post(ioc_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
      const auto open = shared_->open;  // closing may destroy sessions, which edit the list
      for (const auto& weak : open) {
        if (auto session = weak.lock()) session->displace();
      }
      ioc_.stop();
    });
    if (thread_.joinable()) thread_.join();
    error_code ignored;
    acceptor_.close(ignored);  // the thread is gone: nothing else touches it now
  }

 private:
  void accept() {
    acceptor_.async_accept(ioc_, [this](error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec) {
        // Out of descriptors, say: try again shortly rather than spin.
        retry_.expires_after(std::chrono::milliseconds(50));
        retry_.async_wait([this](error_code e) {
          if (!e) accept();
        });
        return;
      }
      if (shared_->active.load() >= shared_->options.maxConnections && !displaceOne()) {
        error_code ignored;
        socket.close(ignored);  // every open one is closing already
      } else {
        shared_->active.fetch_add(1);
        if (shared_->options.tls) {
          auto ctx = shared_->options.tls->context();
          std::make_shared<Session<TlsStream>>(std::move(socket), shared_, std::move(ctx))->start();
        } else {
          std::make_shared<Session<tcp::socket>>(std::move(socket), shared_, nullptr)->start();
        }
      }
      accept();
    });
  }

  // At the cap: closes the connection that has waited longest for headers (a slow-loris
  // or an idle keep-alive), else the one longest in being answered (a client that does
  // not read its reply, or holds after a 431); false when every one is closing. The
  // count drops once a session is gone, so connections still closing may pass the cap.
  bool displaceOne() {
    auto& list = shared_->waiting.empty() ? shared_->answering : shared_->waiting;
    if (list.empty()) return false;
    // Never expired here: a session leaves its list in its destructor, on this thread.
    auto session = list.front().lock();
    if (!session) return false;
    session->displace();  // leaves the list as it closes
    return true;
  }

  std::shared_ptr<Shared> shared_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::thread thread_;
  unsigned short port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

core::Result<std::unique_ptr<HttpServer>> startHttpServer(
    const std::string& address, const std::map<std::string, HttpHandler>& routes,
    HttpServerOptions options) {
  std::map<std::string, AsyncHttpHandler> async;
  for (const auto& route : routes) {
    const HttpHandler& handler = route.second;
    async.emplace(route.first,
                  [handler](const HttpRequest&, const Respond& respond) { respond(handler()); });
  }
  return startHttpServer(address, std::move(async), std::move(options));
}

core::Result<std::unique_ptr<HttpServer>> startHttpServer(
    const std::string& address, std::map<std::string, AsyncHttpHandler> routes,
    HttpServerOptions options) {
  auto shared = std::make_shared<Shared>();
  shared->routes = std::move(routes);
  shared->options = std::move(options);
  auto server = std::make_unique<AsioHttpServer>(std::move(shared));
  if (auto s = server->listen(address); !s) return s.error();
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace mlmodel::server
