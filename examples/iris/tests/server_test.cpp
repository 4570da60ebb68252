// The real iris-server binary on 127.0.0.1 with a kernel-chosen port, spoken to over real
// HTTP; /metrics is read back to check that it counted what was answered. No cluster.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Starts iris-server with `args`, waits for its "listening on" line, stops it (SIGTERM, by
// its own pid) when destroyed.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args) {
    args.insert(args.begin(), {IRIS_SERVER_PATH, "--address", "127.0.0.1", "--port", "0",
                               "--model-file", IRIS_MODEL_JSON});
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
    const std::string line = readLine(std::chrono::seconds(10));
    const std::regex re(R"(listening on 127\.0\.0\.1:(\d+))");
    std::smatch m;
    if (!std::regex_search(line, m, re)) throw std::runtime_error("no port in: " + line);
    port_ = static_cast<unsigned short>(std::stoi(m[1]));
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitExit();
    }
    close(out_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  unsigned short port() const { return port_; }

  // SIGTERM and the exit status (-1: killed after 5 s).
  int terminate() {
    kill(pid_, SIGTERM);
    return waitExit();
  }

  // Sends SIGTERM and returns at once (the server drains meanwhile); then wait().
  void signal() { kill(pid_, SIGTERM); }
  int wait() { return waitExit(); }
  std::string line(std::chrono::milliseconds timeout) { return readLine(timeout); }

 private:
  int waitExit() {
    int status = 0;
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

  std::string readLine(std::chrono::milliseconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char c = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      if (read(out_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return line;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  unsigned short port_ = 0;
};

struct Answer {
  int status = 0;
  std::string body;
};

Answer request(unsigned short port, http::verb method, const std::string& target,
               const std::string& body = "", std::size_t headerFill = 0) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  if (headerFill > 0) req.set("X-Fill", std::string(headerFill, 'a'));
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  http::write(stream, req, ec);  // a refused oversized body may break the write: read anyway
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res, ec);
  if (ec) return {0, ec.message()};
  return {static_cast<int>(res.result_int()), res.body()};
}

Answer get(unsigned short port, const std::string& target) {
  return request(port, http::verb::get, target);
}

std::string batch(const std::vector<std::vector<double>>& rows) {
  std::string data;
  for (const auto& r : rows) {
    for (double v : r) data += (data.empty() ? "" : ",") + std::to_string(v);
  }
  return R"({"id":"t","inputs":[{"name":"input-0","shape":[)" + std::to_string(rows.size()) +
         R"(,4],"datatype":"FP32","data":[)" + data + "]}]}";
}

const std::string kSetosa = batch({{5.1, 3.5, 1.4, 0.2}});

// The value of one sample of /metrics, by its series text up to the value (0 when absent).
double metric(unsigned short port, const std::string& series) {
  const std::string text = get(port, "/metrics").body;
  const auto at = text.find(series + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + series.size() + 1));
}

std::string requests(const std::string& code, const std::string& version = "v1") {
  return R"(model_requests_total{code=")" + code +
         R"(",model="iris",namespace="default",version=")" + version + R"("})";
}

TEST(IrisServer, ServesKServeV2AndCountsWhatItAnswers) {
  ServerProcess server({"--profile", "v1"});
  const auto port = server.port();
  EXPECT_EQ(get(port, "/v2/health/live").status, 200);
  EXPECT_EQ(get(port, "/v2/health/ready").status, 200);
  EXPECT_EQ(get(port, "/v2/models/iris/ready").status, 200);
  const Answer meta = get(port, "/v2/models/iris");
  EXPECT_EQ(meta.status, 200);
  EXPECT_NE(meta.body.find(R"("name":"iris")"), std::string::npos) << meta.body;
  EXPECT_NE(meta.body.find(R"("versions":["v1"])"), std::string::npos) << meta.body;

  const Answer ok = request(port, http::verb::post, "/v2/models/iris/infer",
                            batch({{5.1, 3.5, 1.4, 0.2}, {6.7, 3.0, 5.2, 2.3}}));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find(R"("name":"predict")"), std::string::npos) << ok.body;
  EXPECT_NE(ok.body.find(R"("data":[0,2])"), std::string::npos) << ok.body;

  EXPECT_EQ(request(port, http::verb::post, "/v2/models/iris/infer", "{not json").status, 400);
  EXPECT_EQ(request(port, http::verb::post, "/v2/models/iris/infer",
                    "{\"inputs\":[" + std::string(std::size_t{70} * 1024, ' ') + "]}")
                .status,
            413);
  EXPECT_EQ(request(port, http::verb::post, "/v2/models/other/infer", kSetosa).status, 404);
  EXPECT_EQ(get(port, "/v2/models/other").status, 404);
  EXPECT_EQ(request(port, http::verb::get, "/v2/health/live", "", std::size_t{16} * 1024).status,
            431);

  EXPECT_EQ(metric(port, requests("200")), 1);
  EXPECT_EQ(metric(port, requests("400")), 1);
  EXPECT_EQ(metric(port, requests("413")), 1);
  EXPECT_EQ(metric(port, requests("404")), 1);  // the unknown model's infer; not metadata
  EXPECT_EQ(metric(port, requests("500")), 0);
  const std::string lbl = R"(model="iris",namespace="default",version="v1")";
  EXPECT_EQ(metric(port, "model_request_duration_seconds_count{" + lbl + "}"), 4);
  EXPECT_EQ(metric(port, R"(model_predictions_total{class="setosa",)" + lbl + "}"), 1);
  EXPECT_EQ(metric(port, R"(model_predictions_total{class="virginica",)" + lbl + "}"), 1);
  EXPECT_EQ(metric(port, R"(model_predictions_total{class="versicolor",)" + lbl + "}"), 0);
  EXPECT_EQ(metric(port, "model_prediction_confidence_count{" + lbl + "}"), 2);
  EXPECT_EQ(metric(port, R"(model_info{algorithm="logistic_regression",model="iris",)"
                         R"(namespace="default",profile="v1",version="v1"})"),
            1);
  EXPECT_EQ(server.terminate(), 0);
}

TEST(IrisServer, TakesItsIdentityFromTheEnvironmentAndFlags) {
  setenv("MODEL_NAME", "flowers", 1);
  setenv("MODEL_VERSION", "2.0.0", 1);
  setenv("POD_NAMESPACE", "team-a", 1);
  ServerProcess server({"--profile", "v2"});
  unsetenv("MODEL_NAME");
  unsetenv("MODEL_VERSION");
  unsetenv("POD_NAMESPACE");
  const auto port = server.port();
  EXPECT_EQ(
      request(port, http::verb::post, "/v2/models/flowers/versions/2.0.0/infer", kSetosa).status,
      200);
  EXPECT_EQ(request(port, http::verb::post, "/v2/models/iris/infer", kSetosa).status, 404);
  EXPECT_EQ(
      metric(
          port,
          R"(model_requests_total{code="200",model="flowers",namespace="team-a",version="2.0.0"})"),
      1);
}

TEST(IrisServer, V3AnswersASeededShareWith500) {
  ServerProcess server({"--profile", "v3", "--error-share", "0.5", "--seed", "3"});
  int errors = 0;
  for (int i = 0; i < 100; ++i) {
    const int s = request(server.port(), http::verb::post, "/v2/models/iris/infer", kSetosa).status;
    ASSERT_TRUE(s == 200 || s == 500) << s;
    errors += s == 500 ? 1 : 0;
  }
  EXPECT_GT(errors, 30);
  EXPECT_LT(errors, 70);
  EXPECT_EQ(metric(server.port(), requests("500", "v3")), errors);
  EXPECT_EQ(metric(server.port(), requests("200", "v3")), 100 - errors);
}

TEST(IrisServer, V3SlowShareIsReallySlow) {
  ServerProcess server(
      {"--profile", "v3", "--error-share", "0", "--slow-share", "1", "--slow-ms", "200"});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(request(server.port(), http::verb::post, "/v2/models/iris/infer", kSetosa).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  const std::string lbl = R"({model="iris",namespace="default",version="v3"})";
  EXPECT_GE(metric(server.port(), "model_request_duration_seconds_sum" + lbl), 0.2);
}

TEST(IrisServer, V4Answers200WithOneClassAndItsMetricsShowIt) {
  ServerProcess server({"--profile", "v4"});
  const std::string rows =
      batch({{5.1, 3.5, 1.4, 0.2}, {5.9, 3.0, 4.2, 1.5}, {6.7, 3.0, 5.2, 2.3}});
  for (int i = 0; i < 10; ++i) {
    const Answer a = request(server.port(), http::verb::post, "/v2/models/iris/infer", rows);
    ASSERT_EQ(a.status, 200);
  }
  std::set<std::string> predicted;
  for (const char* cls : {"setosa", "versicolor", "virginica"}) {
    const double n =
        metric(server.port(), std::string(R"(model_predictions_total{class=")") + cls +
                                  R"(",model="iris",namespace="default",version="v4"})");
    if (n > 0) {
      EXPECT_EQ(n, 30) << cls;
      predicted.insert(cls);
    }
  }
  EXPECT_EQ(predicted.size(), 1U);
  EXPECT_EQ(metric(server.port(), requests("500", "v4")), 0);
}

TEST(IrisServer, ClosesAnIdleConnectionAfterTheReadTimeout) {
  ServerProcess server({"--read-timeout-ms", "300"});
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
  const auto start = std::chrono::steady_clock::now();
  char c = 0;
  beast::error_code ec;
  s.read_some(net::buffer(&c, 1), ec);  // blocks until the server closes
  EXPECT_EQ(ec, net::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(get(server.port(), "/v2/health/live").status, 200);  // still serving
}

TEST(IrisServer, RefusesLargeBodiesWithA413TheClientGetsToRead) {
  // The server stops reading at the limit; the client is still writing when the 413 goes
  // out. The reply must reach it, not a connection reset.
  ServerProcess server({});
  const std::string big = "{\"inputs\":[" + std::string(std::size_t{512} * 1024, ' ') + "]}";
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(request(server.port(), http::verb::post, "/v2/models/iris/infer", big).status, 413)
        << i;
  }
  EXPECT_EQ(metric(server.port(), requests("413")), 20);
}

TEST(IrisServer, RefusesConnectionsOverItsCap) {
  ServerProcess server({"--max-connections", "3"});
  net::io_context ioc;
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), server.port());
  std::vector<std::unique_ptr<beast::tcp_stream>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<beast::tcp_stream>(ioc));
    held.back()->connect(ep);
  }
  // Each held connection has a session once a request went through it.
  for (auto& h : held) {
    http::request<http::empty_body> req{http::verb::get, "/v2/health/live", 11};
    http::write(*h, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(*h, buf, res);
    ASSERT_EQ(res.result_int(), 200U);
  }
  // A fourth is accepted and closed at once.
  EXPECT_EQ(get(server.port(), "/v2/health/live").status, 0);
  held.pop_back();  // one leaves: room for one more
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = get(server.port(), "/v2/health/live").status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
}

TEST(IrisServer, KeepsAnHttp10ConnectionAliveWhenAsked) {
  // ApacheBench (ab -k) speaks HTTP/1.0 with "Connection: keep-alive".
  ServerProcess server({});
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port()));
  for (int i = 0; i < 2; ++i) {
    http::request<http::empty_body> req{http::verb::get, "/v2/health/live", 10};
    req.keep_alive(true);
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    EXPECT_EQ(res.version(), 10);
    EXPECT_EQ(res.result_int(), 200U);
    EXPECT_TRUE(res.keep_alive());
  }
}

// A pod being deleted: SIGTERM turns readiness to 503 (its endpoint goes) while requests
// that still arrive are answered for --drain-ms, then it exits 0.
TEST(IrisServer, DrainsOnSigtermBeforeStopping) {
  ServerProcess server({"--drain-ms", "1500"});
  ASSERT_EQ(get(server.port(), "/v2/health/ready").status, 200);
  const auto start = std::chrono::steady_clock::now();
  server.signal();
  EXPECT_NE(server.line(std::chrono::seconds(5)).find("not ready, serving 1500 ms more"),
            std::string::npos);
  EXPECT_EQ(get(server.port(), "/v2/health/ready").status, 503);
  EXPECT_EQ(get(server.port(), "/v2/health/live").status, 200);
  const Answer a = request(server.port(), http::verb::post, "/v2/models/iris/infer", kSetosa);
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(server.wait(), 0);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(1400));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(IrisServer, RefusesBadSettings) {
  const std::string cmd = std::string(IRIS_SERVER_PATH) + " --profile v7 >/dev/null 2>&1";
  EXPECT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 2);
}

}  // namespace
