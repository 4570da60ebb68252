// The operator's HTTPS metrics server: TLS from a self-signed or mounted certificate
// (re-read when it changes), scrapes authenticated and authorized, and answers that come
// later from another thread (server/http_server.h, tls_source.h, metrics_server.h).
// Clients are the operator's own transport (it verifies the server) or raw sockets;
// everything on 127.0.0.1, every wait bounded.
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <stdlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "core/clock.h"
#include "http/transport.h"
#include "server/http_server.h"
#include "server/metrics_server.h"
#include "server/tls_source.h"
#include "support/wait_until.h"
#include "test_certs.h"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using mlmodel::http::makeTransport;
using mlmodel::http::Request;
using mlmodel::http::TlsOptions;
using mlmodel::server::AsyncHttpHandler;
using mlmodel::server::HttpRequest;
using mlmodel::server::HttpServer;
using mlmodel::server::HttpServerOptions;
using mlmodel::server::Respond;
using mlmodel::testutil::makeCertificate;
using std::chrono::milliseconds;

std::shared_ptr<prometheus::Registry> registry() {
  auto r = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter().Name("test_scrapes_total").Help("h").Register(*r).Add({}).Increment();
  return r;
}

// GET `path` over HTTPS, trusting only `caPem`; status 0 and the error when it fails.
std::pair<int, std::string> httpsGet(unsigned short port, const std::string& caPem,
                                     const std::string& authorization = "",
                                     const std::string& path = "/metrics") {
  TlsOptions tls;
  tls.caPem = caPem;
  auto t = makeTransport("https://localhost:" + std::to_string(port), tls);
  Request req;
  req.target = path;
  req.timeout = milliseconds(3000);
  if (!authorization.empty()) req.headers["Authorization"] = authorization;
  auto r = t->send(req);
  if (!r) return {0, r.error().message};
  return {r->status, r->body};
}

// What a raw client gets before the server closes (or 2 s pass): "" and closed = true
// when the server closed without a word.
struct RawResult {
  std::string received;
  bool closed = false;
};
RawResult rawExchange(unsigned short port, const std::string& send, milliseconds wait) {
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  if (!send.empty()) net::write(s, net::buffer(send));
  RawResult out;
  std::array<char, 4096> buf{};
  std::function<void()> readMore = [&] {
    s.async_read_some(net::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      out.received.append(buf.data(), n);
      if (ec) {
        out.closed = true;
        return;
      }
      readMore();
    });
  };
  readMore();
  ioc.run_for(wait);
  return out;
}

std::string tempDir() {
  std::string t = (std::filesystem::temp_directory_path() / "https-test-XXXXXX").string();
  EXPECT_NE(mkdtemp(t.data()), nullptr);
  return t;
}

void writeFile(const std::string& path, const std::string& data) {
  // Written aside and renamed, as a Secret's volume swaps its files.
  std::ofstream(path + ".tmp") << data;
  std::filesystem::rename(path + ".tmp", path);
}

// A metrics server on 127.0.0.1 with a fresh self-signed certificate and `o`'s limits.
struct SelfSignedServer {
  std::shared_ptr<mlmodel::server::TlsSource> tls;
  std::unique_ptr<mlmodel::server::HttpServer> server;
};
SelfSignedServer selfSignedServer(HttpServerOptions o = {}) {
  auto tls = mlmodel::server::selfSignedTls({"localhost"});
  EXPECT_TRUE(tls) << tls.error().message;
  if (!tls) return {};
  o.tls = tls.value();
  auto server = mlmodel::server::startMetricsServer("127.0.0.1:0", {registry()}, std::move(o));
  EXPECT_TRUE(server) << server.error().message;
  if (!server) return {};
  return {tls.value(), std::move(server.value())};
}

TEST(HttpsServer, ServesMetricsWithItsSelfSignedCertificate) {
  auto [tls, server] = selfSignedServer();
  ASSERT_TRUE(server);
  auto [status, body] = httpsGet(server->port(), tls->certificatePem());
  EXPECT_EQ(status, 200) << body;
  EXPECT_NE(body.find("test_scrapes_total 1"), std::string::npos) << body;
  // Another certificate's trust does not reach it: the client really verifies.
  auto other = makeCertificate("other-ca", {}, nullptr);
  auto refused = httpsGet(server->port(), other.certPem);
  EXPECT_EQ(refused.first, 0);
  EXPECT_NE(refused.second.find("certificate verify failed"), std::string::npos) << refused.second;
}

TEST(HttpsServer, PlainHttpToTheHttpsPortGetsNoAnswerAndIsClosed) {
  auto [tls, server] = selfSignedServer();
  ASSERT_TRUE(server);
  auto r =
      rawExchange(server->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", milliseconds(2000));
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.received.find("test_scrapes_total"), std::string::npos);
}

TEST(HttpsServer, AHandshakeThatNeverFinishesIsClosedAtTheHeaderTimeout) {
  HttpServerOptions o;
  o.headerTimeout = milliseconds(300);
  auto [tls, server] = selfSignedServer(o);
  ASSERT_TRUE(server);
  // The first bytes of a TLS record header, then nothing.
  const auto start = std::chrono::steady_clock::now();
  auto r = rawExchange(server->port(), std::string("\x16\x03\x01", 3), milliseconds(3000));
  EXPECT_TRUE(r.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  // The session goes once its last handler has run, just after the close.
  HttpServer* open = server.get();  // a lambda may not capture a structured binding
  EXPECT_TRUE(mlmodel::testutil::waitUntil([open] { return open->connections() == 0; }));
}

TEST(HttpsServer, TwoPipelinedRequestsInSeparateRecordsAreBothAnswered) {
  HttpServerOptions o;
  o.idleTimeout = milliseconds(3000);
  auto [tls, server] = selfSignedServer(o);
  ASSERT_TRUE(server);
  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_verify_mode(net::ssl::verify_none);
  net::ssl::stream<tcp::socket> s(ioc, ctx);
  s.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server->port()));
  s.handshake(net::ssl::stream_base::client);
  const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  // Two writes, two TLS records, sent back to back before any answer is read.
  net::write(s, net::buffer(req));
  net::write(s, net::buffer(req));
  std::string received;
  std::array<char, 4096> buf{};
  const auto start = std::chrono::steady_clock::now();
  std::function<void()> readMore = [&] {
    s.async_read_some(net::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      received.append(buf.data(), n);
      std::size_t answers = 0;
      for (auto at = received.find("HTTP/1.1 200"); at != std::string::npos;
           at = received.find("HTTP/1.1 200", at + 1)) {
        ++answers;
      }
      if (!ec && answers < 2) readMore();
    });
  };
  readMore();
  ioc.run_for(milliseconds(2000));
  EXPECT_NE(received.find("HTTP/1.1 200"), received.rfind("HTTP/1.1 200")) << received;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

TEST(HttpsServer, AMountedCertificateIsReloadedWhenItsFilesChange) {
  const auto dir = tempDir();
  auto ca1 = makeCertificate("ca-one", {}, nullptr);
  auto ca2 = makeCertificate("ca-two", {}, nullptr);
  auto leaf1 = makeCertificate("metrics", {"DNS:localhost"}, &ca1);
  auto leaf2 = makeCertificate("metrics", {"DNS:localhost"}, &ca2);
  writeFile(dir + "/tls.crt", leaf1.certPem);
  writeFile(dir + "/tls.key", leaf1.keyPem);
  mlmodel::core::FakeClock clock;
  auto tls =
      mlmodel::server::fileTls(dir + "/tls.crt", dir + "/tls.key", std::chrono::seconds(10), clock);
  ASSERT_TRUE(tls) << tls.error().message;
  HttpServerOptions o;
  o.tls = tls.value();
  auto server = mlmodel::server::startMetricsServer("127.0.0.1:0", {registry()}, o);
  ASSERT_TRUE(server);
  const auto port = server.value()->port();
  EXPECT_EQ(httpsGet(port, ca1.certPem).first, 200);

  // cert-manager renews it with another issuer. The files' times must differ from the
  // first pair's (same second on some filesystems): set them.
  writeFile(dir + "/tls.crt", leaf2.certPem);
  writeFile(dir + "/tls.key", leaf2.keyPem);
  const auto later = std::filesystem::file_time_type::clock::now() + std::chrono::seconds(5);
  std::filesystem::last_write_time(dir + "/tls.crt", later);
  std::filesystem::last_write_time(dir + "/tls.key", later);
  EXPECT_EQ(httpsGet(port, ca1.certPem).first, 200) << "re-read before the recheck interval";
  clock.advance(std::chrono::seconds(11));
  EXPECT_EQ(httpsGet(port, ca2.certPem).first, 200);
  EXPECT_EQ(httpsGet(port, ca1.certPem).first, 0);

  // A half-written pair (key of another certificate) keeps the one in use.
  writeFile(dir + "/tls.key", leaf1.keyPem);
  std::filesystem::last_write_time(dir + "/tls.key", later + std::chrono::seconds(5));
  clock.advance(std::chrono::seconds(11));
  EXPECT_EQ(httpsGet(port, ca2.certPem).first, 200);
  std::filesystem::remove_all(dir);
}

TEST(HttpsServer, AMissingOrMismatchedPairFailsAtStart) {
  const auto dir = tempDir();
  auto ca = makeCertificate("ca", {}, nullptr);
  auto leaf = makeCertificate("metrics", {"DNS:localhost"}, &ca);
  auto missing = mlmodel::server::fileTls(dir + "/tls.crt", dir + "/tls.key");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "cannot read " + dir + "/tls.crt");
  writeFile(dir + "/tls.crt", leaf.certPem);
  writeFile(dir + "/tls.key", ca.keyPem);
  auto mismatched = mlmodel::server::fileTls(dir + "/tls.crt", dir + "/tls.key");
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message.find("key values mismatch"), std::string::npos)
      << mismatched.error().message;
  std::filesystem::remove_all(dir);
}

TEST(HttpServerAsync, AnAnswerFromAnotherThreadIsSentAndALateOneDropped) {
  std::promise<Respond> handed;
  std::map<std::string, AsyncHttpHandler> routes{
      {"/later", [&handed](const HttpRequest& r, Respond respond) {
         EXPECT_EQ(r.authorization, "Bearer xyz");
         handed.set_value(std::move(respond));
       }}};
  auto server = mlmodel::server::startHttpServer("127.0.0.1:0", std::move(routes));
  ASSERT_TRUE(server);
  auto t = makeTransport("http://127.0.0.1:" + std::to_string(server.value()->port()), {});
  auto reply = std::async(std::launch::async, [&] {
    Request req;
    req.target = "/later";
    req.headers["Authorization"] = "Bearer xyz";
    req.timeout = milliseconds(3000);
    return t->send(req);
  });
  auto respond = handed.get_future().get();
  std::thread([respond] {
    auto r = mlmodel::server::textResponse(202, "done");
    r.headers.emplace_back("X-Answer", "late");
    respond(r);
    respond(mlmodel::server::textResponse(500, "twice"));  // a second answer is ignored
  }).join();
  auto r = reply.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->header("x-answer").value_or(""), "late");
}

TEST(HttpServerAsync, AHandlerThatNeverAnswersHasItsConnectionClosed) {
  Respond kept;
  std::map<std::string, AsyncHttpHandler> routes{
      {"/never", [&kept](const HttpRequest&, Respond respond) { kept = std::move(respond); }}};
  HttpServerOptions o;
  o.handlerTimeout = milliseconds(300);
  auto server = mlmodel::server::startHttpServer("127.0.0.1:0", std::move(routes), o);
  ASSERT_TRUE(server);
  const auto start = std::chrono::steady_clock::now();
  auto r = rawExchange(server.value()->port(), "GET /never HTTP/1.1\r\nHost: x\r\n\r\n",
                       milliseconds(3000));
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.received, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  server.value()->stop();
  kept(mlmodel::server::textResponse(200, "too late"));  // after the close: nothing happens
}

}  // namespace
