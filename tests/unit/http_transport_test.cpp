// The Beast transport against scripted servers on 127.0.0.1: ordinary replies, then servers
// that attack (endless bodies and headers, dripping bytes, enormous watch lines) and TLS
// names, CAs and client certificates.
#include <gtest/gtest.h>

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "analysis/prometheus_provider.h"
#include "http/transport.h"
#include "kube/client_factory.h"
#include "kube/resource.h"
#include "registry/distribution_resolver.h"
#include "registry/reference.h"
#include "test_certs.h"
#include "test_server.h"

namespace mlmodel::http {
namespace {

using testutil::ServerConn;
using testutil::TestServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string reply(const std::string& body, const std::string& extraHeaders = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extraHeaders + "\r\n" + body;
}

// Answers every request on the connection with `response`.
TestServer::Handler answer(const std::string& response) {
  return [response](ServerConn& c) {
    while (c.readRequest()) {
      if (!c.write(response)) return;
    }
  };
}

Request get(const std::string& target, milliseconds timeout = milliseconds(5000)) {
  Request r;
  r.target = target;
  r.timeout = timeout;
  return r;
}

// The process's peak resident set (VmHWM), in bytes.
size_t peakRss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(HttpTransport, ContentLengthBodyStatusAndLowerCaseHeaders) {
  TestServer server([](ServerConn& c) {
    auto req = c.readRequest();
    ASSERT_TRUE(req);
    EXPECT_EQ(req->method, "GET");
    EXPECT_EQ(req->target, "/a/b?x=1");
    EXPECT_NE(req->head.find("\r\nx-custom: yes\r\n"), std::string::npos) << req->head;
    EXPECT_NE(req->head.find("\r\nhost: 127.0.0.1:"), std::string::npos) << req->head;
    c.write("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nX-Thing: A\r\n\r\nnope!");
  });
  auto t = makeTransport(server.url(), {});
  auto req = get("/a/b?x=1");
  req.headers["X-Custom"] = "yes";
  auto r = t->send(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "nope!");
  EXPECT_EQ(r->header("x-thing"), "A");
  EXPECT_EQ(r->header("content-length"), "5");
}

TEST(HttpTransport, ChunkedBody) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.write("5\r\nhello\r\n");
    c.write("7\r\n, world\r\n0\r\n\r\n");
  });
  auto r = makeTransport(server.url(), {})->send(get("/"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello, world");
}

TEST(HttpTransport, BodyEndedByClose) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
    c.close();
  });
  auto r = makeTransport(server.url(), {})->send(get("/"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "until the end");
}

TEST(HttpTransport, PostWithBodyAndDefaultContentType) {
  TestServer server([](ServerConn& c) {
    auto req = c.readRequest();
    ASSERT_TRUE(req);
    const bool json = req->head.find("\r\ncontent-type: application/json\r\n") != std::string::npos;
    c.write(reply(req->method + " " + req->body + (json ? " json" : " ?")));
  });
  Request req = get("/create");
  req.method = "POST";
  req.body = R"({"a":1})";
  auto r = makeTransport(server.url(), {})->send(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, R"(POST {"a":1} json)");
}

TEST(HttpTransport, HeadReplyWithContentLengthHasNoBody) {
  TestServer server(
      answer("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nDocker-Content-Digest: "
             "sha256:abc\r\n\r\n"));
  Request req = get("/v2/x/manifests/latest");
  req.method = "HEAD";
  auto r = makeTransport(server.url(), {})->send(req);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->header("docker-content-digest"), "sha256:abc");
  EXPECT_EQ(r->body, "");
}

TEST(HttpTransport, KeepsOneConnectionForSuccessiveRequests) {
  TestServer server(answer(reply("ok")));
  auto t = makeTransport(server.url(), {});
  for (int i = 0; i < 5; ++i) {
    auto r = t->send(get("/"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "ok");
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpTransport, ReconnectsWhenTheServerClosedAKeptConnection) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write(reply("once"));
    c.close();  // without saying so
  });
  auto t = makeTransport(server.url(), {});
  for (int i = 0; i < 3; ++i) {
    auto r = t->send(get("/"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "once");
  }
}

TEST(HttpTransport, PathPrefixOfTheBaseUrl) {
  TestServer server([](ServerConn& c) {
    auto req = c.readRequest();
    c.write(reply(req ? req->target : ""));
  });
  auto r = makeTransport(server.url() + "/prefix/", {})->send(get("/api/v1/query"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "/prefix/api/v1/query");
}

TEST(HttpTransport, LineBreaksInAHeaderValueAreRefused) {
  TestServer server(answer(reply("ok")));
  auto req = get("/");
  req.headers["Authorization"] = "Bearer x\r\nX-Injected: yes";
  auto r = makeTransport(server.url(), {})->send(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("invalid header \"Authorization\""), std::string::npos)
      << r.error().message;
  EXPECT_EQ(server.connections(), 0);
  auto target = makeTransport(server.url(), {})->send(get("/a b"));
  ASSERT_FALSE(target);
}

TEST(HttpTransport, ReplyEndingMidChunkFails) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly part");
    c.close();
  });
  auto r = makeTransport(server.url(), {})->send(get("/"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("reading the reply"), std::string::npos) << r.error().message;
}

TEST(HttpTransport, BadBaseUrlFailsEveryRequest) {
  auto r = makeTransport("ftp://x", {})->send(get("/"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("not http or https"), std::string::npos) << r.error().message;
}

TEST(HttpTransport, RefusedConnectionIsATransportError) {
  int port = 0;
  {
    TestServer gone(answer(""));
    port = gone.port();
  }
  auto r = makeTransport("http://127.0.0.1:" + std::to_string(port), {})->send(get("/"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
}

// --- Attacks ---

TEST(HttpTransportAttack, EndlessBodyFailsAtItsCapWithBoundedMemory) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\n\r\n");  // no length: the body ends when the server closes
    const std::string block(size_t{64} * 1024, 'x');
    while (c.write(block)) {
    }
  });
  const size_t before = peakRss();
  const auto start = Clock::now();
  auto req = get("/api/v1/query", milliseconds(20000));  // the default cap, 8 MiB
  auto r = makeTransport(server.url(), {})->send(req);
  const double took = secondsSince(start);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("body is larger than its limit of 8 MiB"), std::string::npos)
      << r.error().message;
  EXPECT_LT(took, 3.0);
  const size_t grown = peakRss() - before;
  std::printf("endless body: failed after %.3f s; peak RSS grew by %zu KiB\n", took, grown / 1024);
  EXPECT_LT(grown, size_t{48} * 1024 * 1024);
}

TEST(HttpTransportAttack, EndlessChunkedBodyFailsAtItsCap) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    while (c.write(chunk)) {
    }
  });
  auto req = get("/v2/x/manifests/latest", milliseconds(20000));
  req.maxBodyBytes = 4 * kMiB;
  const auto start = Clock::now();
  auto r = makeTransport(server.url(), {})->send(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("limit of 4 MiB"), std::string::npos) << r.error().message;
  EXPECT_LT(secondsSince(start), 3.0);
}

TEST(HttpTransportAttack, ContentLengthOverTheCapFailsBeforeTheBody) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000000000\r\n\r\n");
    while (!c.stopping() && c.write("x")) std::this_thread::sleep_for(milliseconds(50));
  });
  auto req = get("/", milliseconds(20000));
  req.maxBodyBytes = kMiB;
  const auto start = Clock::now();
  auto r = makeTransport(server.url(), {})->send(req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("limit of 1 MiB"), std::string::npos) << r.error().message;
  EXPECT_LT(secondsSince(start), 1.0);
}

TEST(HttpTransportAttack, EndlessHeaderFailsAtTheHeaderCap) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\n");
    while (c.write("X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")) {
    }
  });
  const auto start = Clock::now();
  auto r = makeTransport(server.url(), {})->send(get("/", milliseconds(20000)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("header is larger than its limit of 64 KiB"), std::string::npos)
      << r.error().message;
  EXPECT_LT(secondsSince(start), 3.0);
}

TEST(HttpTransportAttack, EndlessHeaderOnAStream) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\n");
    while (c.write("X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")) {
    }
  });
  auto r = makeTransport(server.url(), {})->stream(get("/watch", milliseconds(20000)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("header is larger than its limit of 64 KiB"), std::string::npos)
      << r.error().message;
}

TEST(HttpTransportAttack, DrippingServerFailsAtTheWholeRequestDeadline) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    // The header at once, then a body without a length a byte at a time: never idle for
    // long, so a timeout that only counts idle time never fires.
    if (!c.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")) return;
    for (int i = 0; i < 1000; ++i) {
      if (!c.write("x")) return;
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  const auto start = Clock::now();
  auto r = makeTransport(server.url(), {})->send(get("/", milliseconds(500)));
  const double took = secondsSince(start);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("deadline of 500 ms"), std::string::npos) << r.error().message;
  std::printf("dripping server: failed after %.3f s (timeout 0.5 s)\n", took);
  EXPECT_LT(took, 3.0);
  EXPECT_GE(took, 0.45);
}

TEST(HttpTransportAttack, SilentServerFailsAtTheDeadline) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    while (!c.stopping()) std::this_thread::sleep_for(milliseconds(20));
  });
  const auto start = Clock::now();
  auto r = makeTransport(server.url(), {})->stream(get("/watch", milliseconds(300)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("deadline of 300 ms"), std::string::npos) << r.error().message;
  EXPECT_LT(secondsSince(start), 3.0);
}

TEST(HttpTransportAttack, TlsHandshakeThatNeverFinishesFailsAtTheDeadline) {
  // A plain TCP server that accepts and says nothing: the client's hello goes unanswered.
  TestServer server([](ServerConn& c) {
    while (!c.stopping()) std::this_thread::sleep_for(milliseconds(20));
  });
  const std::string url = "https://127.0.0.1:" + std::to_string(server.port());
  const auto start = Clock::now();
  auto r = makeTransport(url, {})->send(get("/", milliseconds(400)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no TLS handshake within the deadline"), std::string::npos)
      << r.error().message;
  EXPECT_LT(secondsSince(start), 3.0);
}

// The callers' caps, through their real transports.

TEST(HttpTransportAttack, EndlessPrometheusReplyFailsTheQueryAtItsCap) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\":\"");
    const std::string block(size_t{64} * 1024, 'x');
    while (c.write(block)) {
    }
  });
  analysis::PrometheusOptions options;
  options.address = server.url();
  options.maxReplyBytes = 2 * kMiB;
  auto provider = analysis::PrometheusProvider::create(options);
  ASSERT_TRUE(provider) << provider.error().message;
  auto r = provider.value()->query("up");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, analysis::kReasonProviderUnavailable);
  EXPECT_NE(r.error().message.find("larger than its limit of 2 MiB"), std::string::npos)
      << r.error().message;
}

TEST(HttpTransportAttack, EndlessManifestFailsTheResolutionAt4MiB) {
  TestServer server([](ServerConn& c) {
    while (auto req = c.readRequest()) {
      if (req->method == "HEAD") {  // no digest: the resolver GETs the manifest
        if (!c.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) return;
        continue;
      }
      c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
      while (c.write(chunk)) {
      }
      return;
    }
  });
  const std::string hostPort = "127.0.0.1:" + std::to_string(server.port());
  registry::DistributionResolverOptions options;
  options.insecureRegistries = {hostPort};
  registry::DistributionResolver resolver(registry::transportFactory(), options);
  auto ref = registry::parseImageReference(hostPort + "/models/fraud:1.0");
  ASSERT_TRUE(ref) << ref.error().message;
  const auto start = Clock::now();
  auto r = resolver.resolve(ref.value(), nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("larger than its limit of 4 MiB"), std::string::npos)
      << r.error().message;
  EXPECT_LT(secondsSince(start), 3.0);
}

// --- Streams (watches) ---

TEST(HttpTransportStream, LinesAcrossChunks) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.write("4\r\none\n\r\n");
    c.write("6\r\ntwo\r\nt\r\n");
    c.write("4\r\nhree\r\n");
    c.write("6\r\n\nlast!\r\n0\r\n\r\n");
  });
  auto r = makeTransport(server.url(), {})->stream(get("/watch"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(r->lines);
  std::vector<std::string> got;
  for (;;) {
    auto line = r->lines->readLine();
    ASSERT_TRUE(line) << line.error().message;
    if (!line.value()) break;
    got.push_back(*line.value());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three", "last!"}));
}

TEST(HttpTransportStream, ErrorStatusCarriesTheBody) {
  TestServer server(answer("HTTP/1.1 410 Gone\r\nContent-Length: 7\r\n\r\nexpired"));
  auto r = makeTransport(server.url(), {})->stream(get("/watch"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 410);
  EXPECT_EQ(r->errorBody, "expired");
  EXPECT_FALSE(r->lines);
}

TEST(HttpTransportAttack, WatchLineOverItsCapFails) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.write("6\r\nsmall\n\r\n");
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    while (c.write(chunk)) {
    }
  });
  auto req = get("/watch", milliseconds(20000));
  req.maxBodyBytes = 2 * kMiB;
  auto r = makeTransport(server.url(), {})->stream(req);
  ASSERT_TRUE(r) << r.error().message;
  auto first = r->lines->readLine();
  ASSERT_TRUE(first && first.value());
  EXPECT_EQ(*first.value(), "small");
  const auto start = Clock::now();
  auto second = r->lines->readLine();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, 0);
  EXPECT_NE(second.error().message.find("a line is longer than its limit of 2 MiB"),
            std::string::npos)
      << second.error().message;
  EXPECT_LT(secondsSince(start), 3.0);
}

TEST(HttpTransportStream, CancelUnblocksAReaderInAnotherThread) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n");
    while (!c.stopping()) std::this_thread::sleep_for(milliseconds(20));
  });
  auto r = makeTransport(server.url(), {})->stream(get("/watch", milliseconds(60000)));
  ASSERT_TRUE(r) << r.error().message;
  auto first = r->lines->readLine();
  ASSERT_TRUE(first && first.value());
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(200));
    r->lines->cancel();
  });
  const auto start = Clock::now();
  auto blocked = r->lines->readLine();
  const double took = secondsSince(start);
  canceller.join();
  EXPECT_FALSE(blocked && blocked.value()) << "a line after cancel()";
  EXPECT_LT(took, 2.0);
  EXPECT_GE(took, 0.15);
}

TEST(HttpTransportAttack, DrippingWatchLineFailsAtItsDeadline) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    if (!c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n")) return;
    while (c.write("1\r\nx\r\n")) std::this_thread::sleep_for(milliseconds(100));
  });
  auto r = makeTransport(server.url(), {})->stream(get("/watch", milliseconds(500)));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->lines->readLine());
  const auto start = Clock::now();
  auto dripped = r->lines->readLine();
  const double took = secondsSince(start);
  ASSERT_FALSE(dripped);
  EXPECT_NE(dripped.error().message.find("deadline of 500 ms"), std::string::npos)
      << dripped.error().message;
  std::printf("dripping watch line: failed after %.3f s (timeout 0.5 s)\n", took);
  EXPECT_LT(took, 3.0);
}

TEST(HttpTransportStream, IdleLineTimeout) {
  TestServer server([](ServerConn& c) {
    c.readRequest();
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n");
    while (!c.stopping()) std::this_thread::sleep_for(milliseconds(20));
  });
  auto r = makeTransport(server.url(), {})->stream(get("/watch", milliseconds(300)));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->lines->readLine());
  const auto start = Clock::now();
  auto idle = r->lines->readLine();
  ASSERT_FALSE(idle);
  EXPECT_NE(idle.error().message.find("deadline of 300 ms"), std::string::npos)
      << idle.error().message;
  EXPECT_LT(secondsSince(start), 2.0);
}

// --- TLS ---

class HttpTransportTls : public ::testing::Test {
 protected:
  HttpTransportTls()
      : ca_(testutil::makeCertificate("test-ca", {}, nullptr)),
        serverCert_(testutil::makeCertificate("server", {"DNS:localhost"}, &ca_)),
        clientCert_(testutil::makeCertificate("client-x", {}, &ca_)) {}

  // A TLS server for "localhost" that asks for (but does not require) a client certificate
  // and answers with the SNI it got and the client certificate's CN.
  // `json`: the answer as a JSON string.
  std::unique_ptr<TestServer> server(bool json = false) {
    auto ctx = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
    ctx->use_certificate_chain(boost::asio::buffer(serverCert_.certPem));
    ctx->use_private_key(boost::asio::buffer(serverCert_.keyPem), boost::asio::ssl::context::pem);
    ctx->add_certificate_authority(boost::asio::buffer(ca_.certPem));
    ctx->set_verify_mode(boost::asio::ssl::verify_peer);
    return std::make_unique<TestServer>(
        [json](ServerConn& c) {
          while (c.readRequest()) {
            const char* sni = SSL_get_servername(c.ssl(), TLSEXT_NAMETYPE_host_name);
            std::string client = "none";
            if (X509* peer = SSL_get1_peer_certificate(c.ssl())) {
              char cn[256] = {};
              X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
              client = cn;
              X509_free(peer);
            }
            const std::string text = std::string("sni=") + (sni ? sni : "") + " client=" + client;
            if (!c.write(reply(json ? "\"" + text + "\"" : text))) {
              return;
            }
          }
        },
        ctx);
  }

  TlsOptions trusting() const {
    TlsOptions tls;
    tls.caPem = ca_.certPem;
    return tls;
  }

  testutil::Certificate ca_, serverCert_, clientCert_;
};

TEST_F(HttpTransportTls, ConnectsWhenTheNameMatchesAndKeepsTheConnection) {
  auto s = server();
  auto t = makeTransport(s->url("localhost"), trusting());
  for (int i = 0; i < 3; ++i) {
    auto r = t->send(get("/"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "sni=localhost client=none");
  }
  EXPECT_EQ(s->connections(), 1);  // TLS 1.3 session tickets do not spoil reuse
}

TEST_F(HttpTransportTls, FailsWhenTheNameDoesNotMatch) {
  auto s = server();
  auto r = makeTransport(s->url("127.0.0.1"), trusting())->send(get("/"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("mismatch"), std::string::npos) << r.error().message;
}

TEST_F(HttpTransportTls, ServerNameOverride) {
  auto s = server();
  auto tls = trusting();
  tls.serverName = "localhost";
  auto r = makeTransport(s->url("127.0.0.1"), tls)->send(get("/"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "sni=localhost client=none");

  tls.serverName = "elsewhere.example";
  auto wrong = makeTransport(s->url("localhost"), tls)->send(get("/"));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("mismatch"), std::string::npos) << wrong.error().message;
}

TEST_F(HttpTransportTls, FailsAgainstAnUntrustedCa) {
  auto s = server();
  auto other = testutil::makeCertificate("other-ca", {}, nullptr);
  TlsOptions tls;
  tls.caPem = other.certPem;
  auto r = makeTransport(s->url("localhost"), tls)->send(get("/"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
      << r.error().message;
  // Nor do the system's roots know our test CA.
  auto system = makeTransport(s->url("localhost"), {})->send(get("/"));
  ASSERT_FALSE(system);
}

// kubeconfig's tls-server-name reaches the transport through the kube client factory.
TEST_F(HttpTransportTls, KubeClientUsesTlsServerName) {
  auto s = server(true);
  kube::Config config;
  config.server = s->url("127.0.0.1");
  config.tls.caPem = ca_.certPem;
  config.tls.certPem = clientCert_.certPem;
  config.tls.keyPem = clientCert_.keyPem;
  config.tls.serverName = "localhost";
  kube::ClientOptions once;
  once.maxAttempts = 1;
  auto client = kube::makeClient(config, once);
  auto r = client->get(kube::resources::namespaces, "", "x");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->as_string(), "sni=localhost client=client-x");

  config.tls.serverName.clear();
  auto mismatch = kube::makeClient(config, once)->get(kube::resources::namespaces, "", "x");
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().message.find("mismatch"), std::string::npos)
      << mismatch.error().message;
}

TEST_F(HttpTransportTls, InsecureSkipVerify) {
  auto s = server();
  TlsOptions tls;
  tls.insecureSkipVerify = true;
  auto r = makeTransport(s->url("127.0.0.1"), tls)->send(get("/"));
  ASSERT_TRUE(r) << r.error().message;
}

TEST_F(HttpTransportTls, PresentsTheClientCertificate) {
  auto s = server();
  auto tls = trusting();
  tls.certPem = clientCert_.certPem;
  tls.keyPem = clientCert_.keyPem;
  auto t = makeTransport(s->url("localhost"), tls);
  auto r = t->send(get("/"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "sni=localhost client=client-x");
  auto streamed = t->stream(get("/watch"));
  ASSERT_TRUE(streamed) << streamed.error().message;
  auto line = streamed->lines->readLine();
  ASSERT_TRUE(line && line.value());
  EXPECT_EQ(*line.value(), "sni=localhost client=client-x");
}

TEST_F(HttpTransportTls, BadClientKeyFailsEveryRequest) {
  auto tls = trusting();
  tls.certPem = clientCert_.certPem;
  tls.keyPem = "not a key";
  auto r = makeTransport("https://localhost:1", tls)->send(get("/"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TLS settings"), std::string::npos) << r.error().message;
}

// A cancelled token ends an exchange at once, far before its deadline: a process that lost
// its lease does not wait on the API server.
TEST(HttpTransportCancel, ACancelledTokenAbortsTheExchangeInFlight) {
  std::atomic<int> requests{0};
  TestServer server([&](ServerConn& c) {
    if (c.readRequest()) ++requests;
    while (!c.stopping()) std::this_thread::sleep_for(milliseconds(20));
  });
  mlmodel::core::CancelToken token;
  auto req = get("/slow", milliseconds(30000));
  req.cancel = &token;
  auto transport = makeTransport(server.url(), {});
  std::thread canceller([&] {
    while (requests.load() == 0) std::this_thread::sleep_for(milliseconds(5));
    token.cancel();
  });
  const auto start = Clock::now();
  auto r = transport->send(req);
  canceller.join();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cancelled"), std::string::npos) << r.error().message;
  EXPECT_LT(secondsSince(start), 5.0);
  // Once cancelled, nothing more is sent.
  auto again = transport->send(req);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("cancelled"), std::string::npos);
  EXPECT_EQ(requests.load(), 1);
}

}  // namespace
}  // namespace mlmodel::http
