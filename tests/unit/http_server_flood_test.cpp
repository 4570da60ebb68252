// Floods against the operator's own HTTP server (server/http_server.h), as the health and
// metrics servers run it: hundreds of slow clients that reconnect when closed, and an
// endless header, while a prober asks for /healthz and /metrics on fresh connections the
// way a kubelet and a Prometheus do. Clients are plain Asio on 127.0.0.1; every loop is
// bounded in time and bytes. A separate executable (tests/CMakeLists.txt), run serially:
// its latency bounds must not compete with other tests for the CPU.
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "server/health_server.h"
#include "server/http_server.h"
#include "server/metrics_server.h"

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using mlmodel::server::HttpServer;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

long procStatusKiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

// Raises the soft descriptor limit towards `want`; false when the hard limit is lower.
bool ensureDescriptors(rlim_t want) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur >= want) return true;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < want) return false;
  lim.rlim_cur = want;
  return setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

struct ProbeResult {
  unsigned status = 0;  // 0: no complete response
  std::chrono::microseconds took{0};
};

// GET `path` on a fresh connection, as a probe does; gives up after `timeout`.
ProbeResult probe(unsigned short port, const std::string& path, milliseconds timeout) {
  net::io_context ioc;
  tcp::socket s(ioc);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string got;
  std::array<char, 4096> buf{};
  std::function<void()> readMore = [&] {
    s.async_read_some(net::buffer(buf), [&](error_code ec, std::size_t n) {
      got.append(buf.data(), n);
      if (!ec) readMore();  // Connection: close: the response ends at EOF
    });
  };
  const auto start = SteadyClock::now();
  s.async_connect({net::ip::make_address("127.0.0.1"), port}, [&](error_code ec) {
    if (ec) return;
    net::async_write(s, net::buffer(request), [&](error_code e, std::size_t) {
      if (!e) readMore();
    });
  });
  ioc.run_for(timeout);
  ProbeResult r;
  r.took = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start);
  const auto end = got.find("\r\n\r\n");
  if (got.rfind("HTTP/1.1 ", 0) == 0 && end != std::string::npos && ioc.stopped()) {
    r.status = static_cast<unsigned>(std::stoul(got.substr(9, 3)));
  }
  return r;
}

struct FloodOptions {
  int slowClients = 500;                                 // per target
  milliseconds dripEvery{500};                           // one byte of the request each time
  milliseconds reconnectAfter{100};                      // once the server closed a slow client
  std::size_t endlessHeaderBytes = 1024u * 1024 * 1024;  // per target, over all rounds
};

struct FloodStats {
  std::atomic<long> connects{0};
  std::atomic<long> closedByServer{0};
  std::atomic<long> endlessRounds{0};
  std::atomic<long> endless431{0};
  std::atomic<long long> endlessBytes{0};
};

// The attackers: on each target, `slowClients` connections that each send an unfinished
// request a byte at a time and reconnect when the server closes them, and one that sends
// an endless header. Runs on a thread of its own until stop() or destruction.
class Flood {
 public:
  Flood(std::vector<unsigned short> ports, FloodOptions options) : options_(options) {
    std::mt19937 rng(42);
    for (auto port : ports) {
      const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
      for (int i = 0; i < options_.slowClients; ++i) {
        clients_.push_back(std::make_unique<Client>(ioc_, ep, false));
        // Spread the first bytes over one drip interval.
        clients_.back()->phase = milliseconds(rng() % options_.dripEvery.count());
      }
      clients_.push_back(std::make_unique<Client>(ioc_, ep, true));
    }
    for (auto& c : clients_) connect(*c);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Flood() { stop(); }
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;

  void stop() {
    stopping_ = true;
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  const FloodStats& stats() const { return stats_; }

 private:
  struct Client {
    Client(net::io_context& ioc, tcp::endpoint ep, bool endless)
        : socket(ioc), timer(ioc), endpoint(ep), endless(endless) {}
    tcp::socket socket;
    net::steady_timer timer;
    tcp::endpoint endpoint;
    bool endless;
    milliseconds phase{0};
    std::uint64_t generation = 0;  // handlers of an earlier connection do nothing
    std::size_t sent = 0;
    std::string received;
    std::array<char, 1024> buf{};
  };

  static const std::string& slowRequest() {
    // Never finished, and under the 8 KiB header cap: only time ends it.
    static const std::string r =
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(6000, 'a');
    return r;
  }

  void connect(Client& c) {
    const auto gen = ++c.generation;
    error_code ignored;
    c.socket.close(ignored);
    c.sent = 0;
    c.received.clear();
    c.socket.async_connect(c.endpoint, [this, &c, gen](error_code ec) {
      if (stopping_ || gen != c.generation) return;
      if (ec) {
        reconnectLater(c);
        return;
      }
      ++stats_.connects;
      if (c.endless) ++stats_.endlessRounds;
      readUntilClosed(c, gen);
      if (c.endless) {
        writeEndless(c, gen);
      } else {
        dripAfter(c, gen, c.phase);
        c.phase = options_.dripEvery;
      }
    });
  }

  void reconnectLater(Client& c) {
    const auto gen = ++c.generation;
    c.timer.expires_after(options_.reconnectAfter);
    c.timer.async_wait([this, &c, gen](error_code ec) {
      if (!ec && !stopping_ && gen == c.generation) connect(c);
    });
  }

  void readUntilClosed(Client& c, std::uint64_t gen) {
    c.socket.async_read_some(net::buffer(c.buf), [this, &c, gen](error_code ec, std::size_t n) {
      if (stopping_ || gen != c.generation) return;
      if (c.received.size() < 64) c.received.append(c.buf.data(), std::min<std::size_t>(n, 64));
      if (!ec) {
        readUntilClosed(c, gen);
        return;
      }
      ++stats_.closedByServer;
      if (c.endless && c.received.rfind("HTTP/1.1 431", 0) == 0) ++stats_.endless431;
      if (c.endless &&
          stats_.endlessBytes.load() >= static_cast<long long>(options_.endlessHeaderBytes)) {
        return;  // the byte budget is spent: this attacker stops
      }
      reconnectLater(c);
    });
  }

  void dripAfter(Client& c, std::uint64_t gen, milliseconds wait) {
    c.timer.expires_after(wait);
    c.timer.async_wait([this, &c, gen](error_code ec) {
      if (ec || stopping_ || gen != c.generation) return;
      if (c.sent >= slowRequest().size()) return;  // all sent: wait for the server
      net::async_write(c.socket, net::buffer(slowRequest().data() + c.sent, 1),
                       [this, &c, gen](error_code e, std::size_t) {
                         if (e || stopping_ || gen != c.generation) return;
                         ++c.sent;
                         dripAfter(c, gen, options_.dripEvery);
                       });
    });
  }

  void writeEndless(Client& c, std::uint64_t gen) {
    static const std::string chunk = "X-Endless: " + std::string(16 * 1024, 'a');
    static const std::string first = "GET /healthz HTTP/1.1\r\n" + chunk;
    if (stats_.endlessBytes.load() >= static_cast<long long>(options_.endlessHeaderBytes)) return;
    const std::string& data = c.sent == 0 ? first : chunk;
    net::async_write(c.socket, net::buffer(data), [this, &c, gen](error_code e, std::size_t n) {
      if (e || stopping_ || gen != c.generation) return;
      c.sent += n;
      stats_.endlessBytes += static_cast<long long>(n);
      writeEndless(c, gen);
    });
  }

  FloodOptions options_;
  net::io_context ioc_{1};  // declared first: destroyed after the sockets and timers
  std::vector<std::unique_ptr<Client>> clients_;
  std::atomic<bool> stopping_{false};
  FloodStats stats_;
  std::thread thread_;
};

std::unique_ptr<HttpServer> startHealth() {
  auto s = mlmodel::server::startHealthServer("127.0.0.1:0", [] { return true; });
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(s.value()) : nullptr;
}

std::unique_ptr<HttpServer> startMetrics() {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter().Name("flood_test_total").Help("h").Register(*registry);
  for (int i = 0; i < 50; ++i) family.Add({{"series", std::to_string(i)}}).Increment();
  auto s = mlmodel::server::startMetricsServer("127.0.0.1:0", {registry});
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(s.value()) : nullptr;
}

struct Latencies {
  std::vector<long> us;
  int failed = 0;
  long max() const { return us.empty() ? -1 : *std::max_element(us.begin(), us.end()); }
  long median() {
    if (us.empty()) return -1;
    std::nth_element(us.begin(), us.begin() + static_cast<long>(us.size() / 2), us.end());
    return us[us.size() / 2];
  }
};

TEST(HttpServerFloodTest, FiveHundredSlowClientsAndAnEndlessHeaderDoNotKeepProbesOut) {
  constexpr int kSlow = 500;
  // Per server: the slow clients, the server's side of up to its cap (64) and of the ones
  // closing, the endless header, the probes; twice over, and room for the rest.
  ASSERT_TRUE(ensureDescriptors(4096)) << "RLIMIT_NOFILE's hard limit is under 4096";
  auto health = startHealth();
  auto metrics = startMetrics();
  ASSERT_TRUE(health && metrics);
  // Warm up (first allocations of both servers), then the baseline.
  ASSERT_EQ(probe(health->port(), "/healthz", milliseconds(1000)).status, 200u);
  ASSERT_EQ(probe(metrics->port(), "/metrics", milliseconds(1000)).status, 200u);
  const long rssBefore = procStatusKiB("VmRSS:");

  // 12 s: longer than two header timeouts (5 s), so slow clients are both displaced by
  // newcomers and closed at the deadline, and reconnect.
  const auto floodFor = std::chrono::seconds(12);
  Flood flood({health->port(), metrics->port()}, FloodOptions{.slowClients = kSlow});
  Latencies healthz, scrape;
  std::size_t maxHealthConns = 0, maxMetricsConns = 0;
  const auto end = SteadyClock::now() + floodFor;
  while (SteadyClock::now() < end) {
    for (auto [server, path, lat] : {std::tuple{health.get(), "/healthz", &healthz},
                                     std::tuple{metrics.get(), "/metrics", &scrape}}) {
      const auto r = probe(server->port(), path, milliseconds(3000));
      if (r.status != 200) ++lat->failed;
      lat->us.push_back(r.took.count());
    }
    maxHealthConns = std::max(maxHealthConns, health->connections());
    maxMetricsConns = std::max(maxMetricsConns, metrics->connections());
    std::this_thread::sleep_for(milliseconds(100));  // the probe period, not a wait for logic
  }
  const long hwm = procStatusKiB("VmHWM:");
  const auto& st = flood.stats();
  std::cout << "flood: " << st.connects << " connects, " << st.closedByServer
            << " closed by the servers; endless header: " << st.endlessRounds << " rounds, "
            << st.endless431 << " answered 431, " << st.endlessBytes / 1024 << " KiB sent\n"
            << "connections open at most: health " << maxHealthConns << ", metrics "
            << maxMetricsConns << "\n"
            << "/healthz: " << healthz.us.size() << " probes, " << healthz.failed << " failed, max "
            << healthz.max() << " us, median " << healthz.median() << " us\n"
            << "/metrics: " << scrape.us.size() << " probes, " << scrape.failed << " failed, max "
            << scrape.max() << " us, median " << scrape.median() << " us\n"
            << "memory: VmRSS " << rssBefore << " KiB before, VmHWM " << hwm << " KiB after\n";
  flood.stop();

  // The flood really was one: far more connections than the cap, turned over.
  EXPECT_GE(st.connects, 2 * kSlow);
  EXPECT_GE(st.closedByServer, kSlow);
  EXPECT_GE(st.endless431, 1);
  EXPECT_EQ(healthz.failed, 0);
  EXPECT_EQ(scrape.failed, 0);
  EXPECT_LT(healthz.max(), 1000 * 1000);
  EXPECT_LT(scrape.max(), 1000 * 1000);
  EXPECT_GE(healthz.us.size(), 20u);
  // The cap (64), plus the displaced ones still closing (measured: 65 at most).
  EXPECT_LE(maxHealthConns, 80u);
  EXPECT_LE(maxMetricsConns, 80u);
  // Both servers and the 1,002 attacking clients live in this process: measured 2.8-2.9 MiB
  // of growth, bounded at about 3x that.
  EXPECT_LT(hwm - rssBefore, 8 * 1024) << "KiB grown";
}

}  // namespace
