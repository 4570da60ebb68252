// The operator's own HTTP server (server/http_server.h) and the health and metrics
// servers on it, attacked from 127.0.0.1 by clients written with plain Asio. Every client
// operation is bounded in time; no test sleeps to wait for logic.
#include "server/http_server.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "server/health_server.h"
#include "server/metrics_server.h"
#include "server/work_heartbeat.h"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using mlmodel::server::HttpServer;
using mlmodel::server::HttpServerOptions;
using mlmodel::server::startHealthServer;
using mlmodel::server::startMetricsServer;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// A raw client: what it sends is exactly what the test writes.
class Client {
 public:
  explicit Client(unsigned short port) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }

  // Writes all of `data` within `timeout`; false when the server closed or it timed out.
  bool send(const std::string& data, milliseconds timeout = milliseconds(2000)) {
    bool ok = false;
    net::async_write(socket_, net::buffer(data),
                     [&ok](boost::system::error_code ec, std::size_t) { ok = !ec; });
    run(timeout);
    return ok;
  }

  // Reads until `done(received)`, the server closes, or `timeout`. closed() then says
  // whether the server closed (EOF or reset).
  std::string readUntil(const std::function<bool(const std::string&)>& done, milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!closed_ && !done(received_) && SteadyClock::now() < deadline) {
      readSome(std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()));
    }
    return received_;
  }
  // One response: headers and a Content-Length body.
  std::string response(milliseconds timeout = milliseconds(2000)) {
    auto complete = [](const std::string& r) {
      const auto end = r.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      const auto cl = r.find("Content-Length: ");
      if (cl == std::string::npos || cl > end) return true;
      return r.size() >= end + 4 + std::stoul(r.substr(cl + 16));
    };
    auto r = readUntil(complete, timeout);
    received_.clear();
    return r;
  }
  // Waits up to `timeout` for the server to close; what arrived meanwhile is kept.
  bool waitClosed(milliseconds timeout) {
    readUntil([](const std::string&) { return false; }, timeout);
    return closed_;
  }
  bool closed() const { return closed_; }

 private:
  void readSome(milliseconds timeout) {
    std::array<char, 4096> buf{};
    socket_.async_read_some(net::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      received_.append(buf.data(), n);
      if (ec && ec != net::error::operation_aborted) closed_ = true;
    });
    run(timeout);
  }
  void run(milliseconds timeout) {
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!ioc_.stopped()) {
      socket_.cancel();
      ioc_.restart();
      ioc_.run();
    }
  }

  net::io_context ioc_;
  tcp::socket socket_{ioc_};
  std::string received_;
  bool connected_ = false;
  bool closed_ = false;
};

std::string get(const std::string& path, const std::string& method = "GET") {
  return method + " " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

std::string body(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::unique_ptr<HttpServer> healthServer(std::function<bool()> ready,
                                         mlmodel::server::LivenessCheck live = {},
                                         HttpServerOptions options = {}) {
  auto s = startHealthServer("127.0.0.1:0", std::move(ready), std::move(live), std::move(options));
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(s.value()) : nullptr;
}

std::unique_ptr<HttpServer> metricsServer(HttpServerOptions options = {}) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("test_scrapes_total")
      .Help("h")
      .Register(*registry)
      .Add({})
      .Increment();
  auto s = startMetricsServer("127.0.0.1:0", {registry}, std::move(options));
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(s.value()) : nullptr;
}

long kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

TEST(HttpServerTest, ServesEachHealthRoute) {
  bool ready = false;
  auto server = healthServer([&ready] { return ready; });
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/healthz")));
  auto r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_EQ(body(r), "ok");
  ASSERT_TRUE(c.send(get("/livez")));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
  ASSERT_TRUE(c.send(get("/readyz")));  // the same connection: keep-alive
  r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 503", 0), 0u) << r;
  EXPECT_EQ(body(r), "caches not synced");
  ready = true;
  ASSERT_TRUE(c.send(get("/readyz?verbose")));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServerTest, HealthzFailsWithTheReasonWhenTheWorkLoopIsWedged) {
  std::string why;
  auto server = healthServer([] { return true; }, [&why] { return why; });
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/healthz")));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
  why = "work loop wedged: a worker has been on default/fraud for 61 s (limit 60 s)";
  ASSERT_TRUE(c.send(get("/healthz")));
  auto r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << r;
  EXPECT_EQ(body(r), why + "\n");
  ASSERT_TRUE(c.send(get("/readyz")));  // readiness is another question
  EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServerTest, ServesMetricsInTheTextFormat) {
  auto server = metricsServer();
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/metrics")));
  auto r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4\r\n"), std::string::npos) << r;
  EXPECT_NE(body(r).find("test_scrapes_total 1"), std::string::npos) << r;
}

TEST(HttpServerTest, HeadSendsTheHeadersWithoutTheBody) {
  auto server = healthServer([] { return true; });
  Client c(server->port());
  ASSERT_TRUE(c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(c.waitClosed(milliseconds(2000)));
  auto r = c.readUntil([](const std::string&) { return true; }, milliseconds(0));
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Length: 2\r\n"), std::string::npos) << r;
  EXPECT_EQ(body(r), "");
}

TEST(HttpServerTest, UnknownPathIs404AndOtherMethodsAre405) {
  auto server = healthServer([] { return true; });
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/nope")));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 404", 0), 0u);
  ASSERT_TRUE(c.send(get("/healthz", "POST")));
  auto r = c.response();
  EXPECT_EQ(r.rfind("HTTP/1.1 405", 0), 0u) << r;
  EXPECT_NE(r.find("Allow: GET, HEAD\r\n"), std::string::npos) << r;
  ASSERT_TRUE(c.send(get("/healthz", "DELETE")));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 405", 0), 0u);
}

TEST(HttpServerTest, RequestBodiesAreRefusedAndTheConnectionClosed) {
  auto server = healthServer([] { return true; });
  {
    Client c(server->port());
    ASSERT_TRUE(c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    EXPECT_EQ(c.response().rfind("HTTP/1.1 413", 0), 0u);
    EXPECT_TRUE(c.waitClosed(milliseconds(2000)));
  }
  {
    Client c(server->port());
    ASSERT_TRUE(
        c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"));
    EXPECT_EQ(c.response().rfind("HTTP/1.1 413", 0), 0u);
    EXPECT_TRUE(c.waitClosed(milliseconds(2000)));
  }
}

TEST(HttpServerTest, Http2IsNotOffered) {
  auto server = healthServer([] { return true; });
  {
    Client c(server->port());
    ASSERT_TRUE(c.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    const auto r = c.response();
    EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;  // the preface is not HTTP/1.x
    EXPECT_TRUE(c.waitClosed(milliseconds(2000)));
  }
  {
    Client c(server->port());
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n"));
    const auto r = c.response();
    EXPECT_EQ(r.rfind("HTTP/1.1 400", 0), 0u) << r;
    EXPECT_NE(r.find("bad version"), std::string::npos) << r;
    EXPECT_TRUE(c.waitClosed(milliseconds(2000)));
  }
  Client c(server->port());
  ASSERT_TRUE(
      c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
             "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServerTest, HeaderOverTheCapIs431AndClosed) {
  auto server = healthServer([] { return true; });
  Client c(server->port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  EXPECT_EQ(c.response().rfind("HTTP/1.1 431", 0), 0u);
  EXPECT_TRUE(c.waitClosed(milliseconds(2000)));
}

TEST(HttpServerTest, SlowLorisIsClosedAtTheHeaderTimeout) {
  HttpServerOptions options;
  options.headerTimeout = milliseconds(300);
  auto server = healthServer([] { return true; }, {}, options);
  Client c(server->port());
  const std::string request = "GET /healthz HTTP/1.1\r\nX-Slow: " + std::string(1000, 'a');
  const auto start = SteadyClock::now();
  for (char byte : request) {
    // One byte, then 100 ms waiting for the server to close.
    if (!c.send(std::string(1, byte)) || c.waitClosed(milliseconds(100))) break;
    if (SteadyClock::now() - start > std::chrono::seconds(5)) break;
  }
  const auto held = SteadyClock::now() - start;
  EXPECT_TRUE(c.closed() || c.waitClosed(milliseconds(500)));
  EXPECT_GE(held, milliseconds(250));
  EXPECT_LT(held, std::chrono::seconds(3));
}

TEST(HttpServerTest, IdleKeepAliveConnectionsAreClosed) {
  HttpServerOptions options;
  options.idleTimeout = milliseconds(200);
  auto server = healthServer([] { return true; }, {}, options);
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/healthz")));
  EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
  const auto start = SteadyClock::now();
  EXPECT_TRUE(c.waitClosed(milliseconds(3000)));
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(2));
}

TEST(HttpServerTest, StopClosesEveryConnectionAtOnce) {
  auto server = healthServer([] { return true; });
  Client kept(server->port());
  ASSERT_TRUE(kept.send(get("/healthz")));
  EXPECT_EQ(kept.response().rfind("HTTP/1.1 200", 0), 0u);
  Client slow(server->port());
  ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\n"));
  server->stop();
  // Both see their connection end now, while the server object still exists.
  EXPECT_TRUE(kept.waitClosed(milliseconds(1000)));
  EXPECT_TRUE(slow.waitClosed(milliseconds(1000)));
  Client late(server->port());
  EXPECT_FALSE(late.connected() && late.send(get("/healthz")) &&
               !late.waitClosed(milliseconds(500)));
}

TEST(HttpServerTest, HalfOpenConnectionsDoNotStopAScrape) {
  auto server = metricsServer();
  std::vector<std::unique_ptr<Client>> halfOpen;
  for (int i = 0; i < 10; ++i) {
    halfOpen.push_back(std::make_unique<Client>(server->port()));
    ASSERT_TRUE(halfOpen.back()->send("GET /metr"));
  }
  const auto start = SteadyClock::now();
  Client scrape(server->port());
  ASSERT_TRUE(scrape.send(get("/metrics")));
  const auto r = scrape.response(milliseconds(1000));
  const auto took = SteadyClock::now() - start;
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_LT(took, milliseconds(1000));
  std::cout << "scrape behind 10 half-open connections: "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";
}

TEST(HttpServerTest, AtTheCapANewConnectionDisplacesTheLongestWaiting) {
  HttpServerOptions options;
  options.maxConnections = 4;
  auto server = metricsServer(options);
  std::vector<std::unique_ptr<Client>> open;
  for (int i = 0; i < 4; ++i) open.push_back(std::make_unique<Client>(server->port()));
  // The accepts happen on the server's thread: the 4 are counted once each answered.
  for (auto& c : open) {
    ASSERT_TRUE(c->send(get("/metrics")));
    ASSERT_EQ(c->response().rfind("HTTP/1.1 200", 0), 0u);
  }
  EXPECT_EQ(server->connections(), 4u);
  // All four now wait (keep-alive) for their next request: the newcomer is served and
  // the one that has waited longest is closed; the others keep working.
  Client newcomer(server->port());
  ASSERT_TRUE(newcomer.send(get("/metrics")));
  EXPECT_EQ(newcomer.response().rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_TRUE(open[0]->waitClosed(milliseconds(1000)));
  for (std::size_t i = 1; i < open.size(); ++i) {
    ASSERT_TRUE(open[i]->send(get("/metrics")));
    EXPECT_EQ(open[i]->response().rfind("HTTP/1.1 200", 0), 0u) << "connection " << i;
  }
}

TEST(HttpServerTest, AFloodOfSlowClientsDoesNotKeepAProbeOut) {
  HttpServerOptions options;
  options.maxConnections = 8;
  options.headerTimeout = std::chrono::seconds(30);  // the flood outlasts the test
  auto server = healthServer([] { return true; }, {}, options);
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<Client>(server->port()));
    ASSERT_TRUE(slow.back()->send("GET /healthz HTTP/1.1\r\nX-Slow: a"));  // never finished
  }
  const auto start = SteadyClock::now();
  Client probe(server->port());
  ASSERT_TRUE(probe.send(get("/healthz")));
  EXPECT_EQ(probe.response().rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(1));
  // Never more than the cap plus the displaced ones still closing.
  EXPECT_LE(server->connections(), 9u);
}

TEST(HttpServerTest, AnEndlessHeaderGets431AtTheCapAndMemoryStaysBounded) {
  auto server = healthServer([] { return true; });
  const long before = kib("VmRSS:");
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server->port()));
  const std::string chunk = "X-Endless: " + std::string(std::size_t{16} * 1024, 'a');
  std::size_t sent = 0;
  bool writeFailed = false;
  std::function<void()> writeMore = [&] {
    net::async_write(s, net::buffer(sent == 0 ? "GET /healthz HTTP/1.1\r\n" + chunk : chunk),
                     [&](boost::system::error_code ec, std::size_t n) {
                       sent += n;
                       if (ec) {
                         writeFailed = true;
                       } else if (sent < std::size_t{64} * 1024 * 1024) {
                         writeMore();
                       }
                     });
  };
  std::string received;
  std::array<char, 4096> buf{};
  std::function<void()> readMore = [&] {
    s.async_read_some(net::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      received.append(buf.data(), n);
      if (!ec) readMore();
    });
  };
  writeMore();
  readMore();
  ioc.run_for(std::chrono::seconds(10));
  const long after = kib("VmRSS:");
  EXPECT_TRUE(writeFailed) << "the server read " << sent << " bytes of header";
  EXPECT_LT(sent, std::size_t{64} * 1024 * 1024);
  EXPECT_EQ(received.rfind("HTTP/1.1 431", 0), 0u) << received;
  EXPECT_LT(after - before, 16 * 1024) << "KiB grown";
  std::cout << "endless header: client wrote " << sent / 1024 << " KiB before the close; RSS "
            << before << " -> " << after << " KiB\n";
}

TEST(WorkHeartbeatTest, AWorkerOnOneKeyTooLongIsAWedge) {
  mlmodel::core::FakeClock clock;
  mlmodel::server::WorkHeartbeat hb(clock, std::chrono::seconds(60));
  EXPECT_EQ(hb.wedged(), "");  // idle workers are not wedged
  {
    const mlmodel::server::WorkHeartbeat::Beat beat(hb, "default/fraud");
    clock.advance(std::chrono::seconds(60));
    EXPECT_EQ(hb.wedged(), "");
    clock.advance(std::chrono::seconds(1));
    EXPECT_EQ(hb.wedged(),
              "work loop wedged: a worker has been on default/fraud for 61 s (limit 60 s)");
  }
  EXPECT_EQ(hb.wedged(), "");  // it finished: the loop moves again
  clock.advance(std::chrono::hours(1));
  EXPECT_EQ(hb.wedged(), "");
}

}  // namespace
