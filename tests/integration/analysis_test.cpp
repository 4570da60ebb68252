// The analysis against the local cluster's real Prometheus ($PROMETHEUS_URL, scraping
// every second). The test serves a metrics text file over HTTP (python3 -m http.server
// on a free loopback port: a real scrape target), registers it through file service
// discovery ($PROMETHEUS_TARGETS_DIR) with a job label of its own, waits until Prometheus
// has scraped it, then queries through PrometheusProvider.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "analysis/analysis_run.h"
#include "analysis/check.h"
#include "analysis/prometheus_provider.h"
#include "core/clock.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
namespace analysis = mlmodel::analysis;
namespace core = mlmodel::core;
using analysis::MetricCheck;
using analysis::NoDataPolicy;
using analysis::PrometheusOptions;
using analysis::PrometheusProvider;
using analysis::QueryResult;
using analysis::QueryVars;
using analysis::Verdict;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// A loopback port nothing listens on (at the time of asking).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::unique_ptr<PrometheusProvider> provider(const std::string& address,
                                             std::chrono::milliseconds timeout = 10s) {
  PrometheusOptions o;
  o.address = address;
  o.timeout = timeout;
  auto p = PrometheusProvider::create(o);
  EXPECT_TRUE(p) << p.error().message;
  return p ? std::move(p.value()) : nullptr;
}

// One scrape target for the whole suite: started once, stopped (by PID) at the end, and
// killed with the test process if that dies first.
class AnalysisPrometheus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setupError_ = setUpTarget(); }

  static void TearDownTestSuite() {
    std::error_code ec;
    if (!sdFile_.empty()) fs::remove(sdFile_, ec);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  void SetUp() override {
    ASSERT_TRUE(setupError_.empty()) << setupError_;
    prom_ = provider(env("PROMETHEUS_URL"));
    ASSERT_NE(prom_, nullptr);
  }

  // A selector of this suite's target, for queries.
  static std::string job() { return "job=\"" + job_ + "\""; }

  static std::string setUpTarget() {
    const std::string url = env("PROMETHEUS_URL");
    const std::string targets = env("PROMETHEUS_TARGETS_DIR");
    if (url.empty() || targets.empty()) {
      return "PROMETHEUS_URL and PROMETHEUS_TARGETS_DIR must be set: "
             "eval \"$(hack/cluster.sh env)\"";
    }
    if (!fs::is_directory(targets)) return "PROMETHEUS_TARGETS_DIR " + targets + " is missing";
    char tmpl[] = "/tmp/analysis-test-XXXXXX";
    if (!::mkdtemp(tmpl)) return "mkdtemp failed";
    dir_ = tmpl;
    // Two versions of one model (several series together), one plain gauge, one zero.
    std::ofstream(dir_ / "metrics") << "# TYPE mlmodel_it_error_rate gauge\n"
                                    << "mlmodel_it_error_rate{model=\"fraud\",version=\"1.4.0\"} "
                                       "0.034\n"
                                    << "mlmodel_it_error_rate{model=\"fraud\",version=\"1.3.2\"} "
                                       "0.002\n"
                                    << "# TYPE mlmodel_it_gauge gauge\n"
                                    << "mlmodel_it_gauge 42.5\n"
                                    << "# TYPE mlmodel_it_zero gauge\n"
                                    << "mlmodel_it_zero 0\n";
    port_ = freePort();
    if (port_ == 0) return "no free port";
    if (std::string err = startServer(); !err.empty()) return err;

    static std::mt19937 rng{std::random_device{}()};
    job_ = "analysis-it-" + std::to_string(::getpid()) + "-" +
           std::to_string(std::uniform_int_distribution<int>(100000, 999999)(rng));
    sdFile_ = fs::path(targets) / (job_ + ".json");
    const fs::path tmp = sdFile_.string() + ".tmp";
    std::ofstream(tmp) << R"([{"targets":["127.0.0.1:)" << port_ << R"("],"labels":{"job":")"
                       << job_ << R"("}}])"
                       << "\n";
    fs::rename(tmp, sdFile_);  // atomically: Prometheus never reads half a file

    // Scraped when the gauge is there (up alone is written before the first scrape ends).
    auto prom = provider(url);
    if (!prom) return "cannot make a provider for " + url;
    const std::string probe = "mlmodel_it_gauge{" + job() + "}";
    const auto end = std::chrono::steady_clock::now() + 60s;
    std::string last;
    while (std::chrono::steady_clock::now() < end) {
      auto r = prom->query(probe);
      if (r && r->kind == QueryResult::Kind::Value) return {};
      last = r ? "no data yet" : r.error().message;
      std::this_thread::sleep_for(250ms);
    }
    return "Prometheus did not scrape the target 127.0.0.1:" + std::to_string(port_) + " (job " +
           job_ + ") within 60s: " + last;
  }

  static std::string startServer() {
    const std::string port = std::to_string(port_);
    const std::string dir = dir_.string();
    const std::string log = (dir_ / "http.log").string();
    pid_ = ::fork();
    if (pid_ < 0) return "fork failed";
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      // Only async-signal-safe calls between fork and exec.
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execl("/usr/bin/python3", "python3", "-m", "http.server", "--bind", "127.0.0.1",
              "--directory", dir.c_str(), port.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < end) {
      if (accepts(port_)) return {};
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        std::ifstream in(log);
        return "python3 -m http.server exited: " +
               std::string(std::istreambuf_iterator<char>(in), {});
      }
      std::this_thread::sleep_for(50ms);
    }
    return "python3 -m http.server did not listen on port " + port + " within 20s";
  }

  static inline std::string setupError_;
  static inline fs::path dir_;
  static inline fs::path sdFile_;
  static inline std::string job_;
  static inline int port_ = 0;
  static inline pid_t pid_ = -1;

  std::unique_ptr<PrometheusProvider> prom_;
  core::SystemClock clock_;
};

TEST_F(AnalysisPrometheus, GaugeValueIsReadBack) {
  auto r = prom_->query("mlmodel_it_gauge{" + job() + "}");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->kind, QueryResult::Kind::Value);
  EXPECT_DOUBLE_EQ(r->value, 42.5);
  EXPECT_EQ(r->labels.at("job"), job_);
  EXPECT_EQ(r->labels.at("__name__"), "mlmodel_it_gauge");

  auto s = prom_->query("scalar(mlmodel_it_gauge{" + job() + "}) * 2");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->kind, QueryResult::Kind::Value);
  EXPECT_DOUBLE_EQ(s->value, 85);
}

TEST_F(AnalysisPrometheus, TemplatedQuerySelectsByLabels) {
  MetricCheck check;
  check.name = "error-rate";
  check.query = "max_over_time(mlmodel_it_error_rate{" + job() +
                R"(, model="{{name}}", version="{{ canary.version }}"}[{{interval}}]))";
  check.max = 0.01;
  QueryVars vars;
  vars.name = "fraud";
  vars.canaryVersion = "1.4.0";
  vars.stableVersion = "1.3.2";
  vars.interval = 1min;
  auto m = analysis::measure(check, *prom_, vars, clock_.wallNow());
  EXPECT_EQ(m.verdict, Verdict::Failed) << m.message;
  EXPECT_EQ(m.message, "error-rate = 0.034 > max 0.01");
  EXPECT_EQ(m.query, "max_over_time(mlmodel_it_error_rate{" + job() +
                         R"(, model="fraud", version="1.4.0"}[1m]))");

  check.query = "mlmodel_it_error_rate{" + job() + R"(, version="{{stable.version}}"})";
  m = analysis::measure(check, *prom_, vars, clock_.wallNow());
  EXPECT_EQ(m.verdict, Verdict::Passed) << m.message;
  ASSERT_TRUE(m.value);
  EXPECT_DOUBLE_EQ(*m.value, 0.002);
}

TEST_F(AnalysisPrometheus, SeveralSeriesIsAnErrorWithTheQuery) {
  const std::string q = "mlmodel_it_error_rate{" + job() + "}";
  auto r = prom_->query(q);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->kind, QueryResult::Kind::SeveralSeries);
  EXPECT_EQ(r->seriesCount, 2u);
  MetricCheck check;
  check.name = "error-rate";
  check.max = 0.01;
  auto m = analysis::evaluate(check, q, r, clock_.wallNow());
  EXPECT_EQ(m.verdict, Verdict::Error);
  EXPECT_NE(m.message.find("returned 2 series"), std::string::npos) << m.message;
  EXPECT_NE(m.message.find(q), std::string::npos) << m.message;
  EXPECT_NE(m.message.find("version=\"1.3.2\""), std::string::npos) << m.message;
}

TEST_F(AnalysisPrometheus, MissingSeriesIsNoDataAndFollowsThePolicy) {
  const std::string q = "mlmodel_it_error_rate{" + job() + R"(, version="9.9.9"})";
  auto r = prom_->query(q);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, QueryResult::Kind::NoData);
  MetricCheck check;
  check.name = "error-rate";
  check.max = 0.01;
  auto m = analysis::evaluate(check, q, r, clock_.wallNow());
  EXPECT_EQ(m.verdict, Verdict::Inconclusive);
  EXPECT_NE(m.message.find("no data"), std::string::npos) << m.message;
  check.onNoData = NoDataPolicy::Fail;
  EXPECT_EQ(analysis::evaluate(check, q, r, clock_.wallNow()).verdict, Verdict::Failed);
  check.onNoData = NoDataPolicy::Pass;
  EXPECT_EQ(analysis::evaluate(check, q, r, clock_.wallNow()).verdict, Verdict::Passed);

  // 0/0 is NaN: no data too.
  const std::string nanQuery = "mlmodel_it_zero{" + job() + "} / mlmodel_it_zero{" + job() + "}";
  auto nan = prom_->query(nanQuery);
  ASSERT_TRUE(nan) << nan.error().message;
  ASSERT_EQ(nan->kind, QueryResult::Kind::Value);
  EXPECT_TRUE(std::isnan(nan->value));
  check.onNoData = NoDataPolicy::Fail;
  auto n = analysis::evaluate(check, nanQuery, nan, clock_.wallNow());
  EXPECT_EQ(n.verdict, Verdict::Failed);
  EXPECT_NE(n.message.find("no data (the query returned NaN)"), std::string::npos) << n.message;
}

TEST_F(AnalysisPrometheus, BadQueryIsQueryInvalid) {
  auto r = prom_->query("sum(mlmodel_it_gauge{" + job() + "}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "QueryInvalid");
  EXPECT_EQ(r.error().code, 400);
  EXPECT_NE(r.error().message.find("bad_data"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("sum(mlmodel_it_gauge"), std::string::npos);

  auto range = prom_->query("mlmodel_it_gauge{" + job() + "}[10s]");
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error().reason, "QueryInvalid");
  EXPECT_NE(range.error().message.find("range vector"), std::string::npos) << range.error().message;
}

TEST_F(AnalysisPrometheus, PathPrefixThatIsNotTheApiIsProviderUnavailable) {
  auto p = provider(env("PROMETHEUS_URL") + "/no-such-prefix");
  ASSERT_NE(p, nullptr);
  auto r = p->query("up");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "ProviderUnavailable");
  EXPECT_EQ(r.error().code, 404);
}

TEST_F(AnalysisPrometheus, UnreachablePrometheusIsProviderUnavailable) {
  const int port = freePort();
  ASSERT_NE(port, 0);
  const std::string address = "http://127.0.0.1:" + std::to_string(port);
  auto p = provider(address, 3s);
  ASSERT_NE(p, nullptr);
  const auto start = std::chrono::steady_clock::now();
  auto r = p->query("up");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "ProviderUnavailable");
  EXPECT_NE(r.error().message.find("Prometheus " + address + " is unreachable"), std::string::npos)
      << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // refused, not timed out
}

TEST_F(AnalysisPrometheus, AnalysisRunFailsOnTheRealValue) {
  MetricCheck errors;
  errors.name = "error-rate";
  errors.query = "mlmodel_it_error_rate{" + job() + R"(, version="{{canary.version}}"})";
  errors.max = 0.01;
  MetricCheck gauge;
  gauge.name = "gauge";
  gauge.query = "mlmodel_it_gauge{" + job() + "}";
  gauge.min = 40;
  analysis::AnalysisRun run({errors, gauge}, {.failureLimit = 2, .consecutiveErrorLimit = 2},
                            clock_);
  QueryVars vars;
  vars.canaryVersion = "1.3.2";
  EXPECT_EQ(run.measure(*prom_, vars), Verdict::Passed) << run.message();
  EXPECT_EQ(run.state(), analysis::AnalysisState::Passed);
  vars.canaryVersion = "1.4.0";
  run.measure(*prom_, vars);
  run.measure(*prom_, vars);
  EXPECT_EQ(run.state(), analysis::AnalysisState::Failed);
  EXPECT_EQ(run.reason(), "AnalysisFailed");
  EXPECT_EQ(run.message(), "2 failed rounds (failureLimit 2); last: error-rate = 0.034 > max 0.01");
  EXPECT_EQ(run.history().size(), 6u);
}

}  // namespace
