#pragma once

// A scripted HTTP server on 127.0.0.1 for transport tests, in plain blocking Asio: each
// accepted connection runs the handler in a thread of its own. The handler may misbehave
// as it likes (endless bodies, dripping bytes); the destructor shuts every connection down
// and joins all threads, so a test's server never outlives the test.
//   TestServer server([](ServerConn& c) {
//     auto req = c.readRequest();
//     c.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
//   });
//   auto transport = http::makeTransport(server.url(), {});
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/encoding.h"

namespace mlmodel::testutil {

namespace tnet = boost::asio;
using tcp = tnet::ip::tcp;

struct RawRequest {
  std::string method;
  std::string target;
  std::string head;  // request line and header fields, header names lower-cased
  std::string body;
};

class ServerConn {
 public:
  ServerConn(tcp::socket& socket, tnet::ssl::context* tls, const std::atomic<bool>& stop)
      : socket_(socket), stop_(stop) {
    if (tls) tls_ = std::make_unique<tnet::ssl::stream<tcp::socket&>>(socket_, *tls);
  }

  bool handshake() {
    if (!tls_) return true;
    boost::system::error_code ec;
    tls_->handshake(tnet::ssl::stream_base::server, ec);
    return !ec;
  }
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }

  // The next request, or nullopt when the client is gone.
  std::optional<RawRequest> readRequest() {
    size_t end = 0;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!readMore()) return std::nullopt;
    }
    RawRequest r;
    r.head = core::toLower(pending_.substr(0, end + 4));
    const std::string original = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    const auto sp1 = original.find(' ');
    const auto sp2 = original.find(' ', sp1 + 1);
    r.method = original.substr(0, sp1);
    r.target = original.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t length = 0;
    if (auto cl = r.head.find("\r\ncontent-length:"); cl != std::string::npos) {
      length = std::stoul(r.head.substr(cl + 17));
    }
    while (pending_.size() < length) {
      if (!readMore()) return std::nullopt;
    }
    r.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return r;
  }

  // False once the client has gone or the server is stopping.
  bool write(std::string_view data) {
    if (stop_) return false;
    boost::system::error_code ec;
    if (tls_) {
      tnet::write(*tls_, tnet::buffer(data), ec);
    } else {
      tnet::write(socket_, tnet::buffer(data), ec);
    }
    if (!ec) written_ += data.size();
    return !ec && !stop_;
  }
  size_t written() const { return written_; }
  bool stopping() const { return stop_; }
  void close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
  }

 private:
  bool readMore() {
    char buf[4096];
    boost::system::error_code ec;
    const size_t n =
        tls_ ? tls_->read_some(tnet::buffer(buf), ec) : socket_.read_some(tnet::buffer(buf), ec);
    if (ec || stop_) return false;
    pending_.append(buf, n);
    return true;
  }

  tcp::socket& socket_;
  const std::atomic<bool>& stop_;
  std::unique_ptr<tnet::ssl::stream<tcp::socket&>> tls_;
  std::string pending_;
  size_t written_ = 0;
};

class TestServer {
 public:
  using Handler = std::function<void(ServerConn&)>;

  explicit TestServer(Handler handler, std::shared_ptr<tnet::ssl::context> tls = nullptr)
      : handler_(std::move(handler)),
        tls_(std::move(tls)),
        acceptor_(ioc_, tcp::endpoint(tnet::ip::make_address("127.0.0.1"), 0)),
        port_(acceptor_.local_endpoint().port()),
        thread_([this] { acceptLoop(); }) {}

  ~TestServer() {
    stop_ = true;
    {
      tcp::socket poke(ioc_);
      boost::system::error_code ec;
      poke.connect(acceptor_.local_endpoint(), ec);
    }
    thread_.join();
    {
      std::lock_guard lock(mu_);
      for (auto& s : sockets_) ::shutdown(s->native_handle(), SHUT_RDWR);
    }
    for (auto& w : workers_) w.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(port_);
  }
  int connections() const { return connections_; }

 private:
  void acceptLoop() {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (stop_) return;
      if (ec) continue;
      ++connections_;
      std::lock_guard lock(mu_);
      sockets_.push_back(socket);  // kept open until the end: the fd is never reused meanwhile
      workers_.emplace_back([this, socket] {
        ServerConn conn(*socket, tls_.get(), stop_);
        if (conn.handshake()) handler_(conn);
      });
    }
  }

  Handler handler_;
  std::shared_ptr<tnet::ssl::context> tls_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  tnet::io_context ioc_;
  tcp::acceptor acceptor_;
  int port_;
  std::mutex mu_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> workers_;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace mlmodel::testutil
