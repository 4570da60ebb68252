#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "analysis/check.h"
#include "analysis/prometheus_provider.h"
#include "fake_transport.h"

using namespace std::chrono_literals;
using mlmodel::analysis::PrometheusOptions;
using mlmodel::analysis::PrometheusProvider;
using mlmodel::analysis::QueryResult;
using mlmodel::testutil::FakeTransport;
namespace analysis = mlmodel::analysis;
namespace core = mlmodel::core;
namespace http = mlmodel::http;

namespace {

// Hands the provider a transport that forwards to a FakeTransport the test scripts, and
// remembers what it was made with.
class Forward final : public http::Transport {
 public:
  explicit Forward(FakeTransport& to) : to_(to) {}
  core::Result<http::Response> send(const http::Request& r) override { return to_.send(r); }
  core::Result<http::StreamResponse> stream(const http::Request& r) override {
    return to_.stream(r);
  }

 private:
  FakeTransport& to_;
};

class PrometheusProviderTest : public ::testing::Test {
 protected:
  std::unique_ptr<PrometheusProvider> make(PrometheusOptions o) {
    auto p = PrometheusProvider::create(
        std::move(o), [this](const std::string& base, const http::TlsOptions& tls) {
          baseUrl_ = base;
          tls_ = tls;
          return std::make_unique<Forward>(fake_);
        });
    EXPECT_TRUE(p) << p.error().message;
    return p ? std::move(p.value()) : nullptr;
  }
  std::unique_ptr<PrometheusProvider> make() {
    PrometheusOptions o;
    o.address = "http://prom:9090";
    return make(o);
  }
  // Answers the next query with `result` of `type`.
  void answer(const std::string& type, const std::string& result) {
    fake_.respond(200, R"({"status":"success","data":{"resultType":")" + type + R"(","result":)" +
                           result + "}}");
  }

  FakeTransport fake_;
  std::string baseUrl_;
  http::TlsOptions tls_;
};

TEST_F(PrometheusProviderTest, ScalarIsAValue) {
  auto p = make();
  answer("scalar", R"([1700000000.5,"1.5"])");
  auto r = p->query("scalar(1.5)");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, QueryResult::Kind::Value);
  EXPECT_DOUBLE_EQ(r->value, 1.5);
}

TEST_F(PrometheusProviderTest, OneElementVectorIsAValueWithLabels) {
  auto p = make();
  answer("vector", R"([{"metric":{"__name__":"up","job":"x"},"value":[1700000000,"1e-05"]}])");
  auto r = p->query("up");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, QueryResult::Kind::Value);
  EXPECT_DOUBLE_EQ(r->value, 1e-05);
  EXPECT_EQ(r->labels.at("job"), "x");
  EXPECT_EQ(analysis::formatLabels(r->labels), R"(up{job="x"})");
}

TEST_F(PrometheusProviderTest, EmptyVectorIsNoData) {
  auto p = make();
  answer("vector", "[]");
  auto r = p->query("absent_metric");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, QueryResult::Kind::NoData);
}

TEST_F(PrometheusProviderTest, NaNAndInfinitiesAreValues) {
  auto p = make();
  answer("vector", R"([{"metric":{},"value":[1,"NaN"]}])");
  answer("scalar", R"([1,"+Inf"])");
  answer("scalar", R"([1,"-Inf"])");
  auto nan = p->query("0/0");
  ASSERT_TRUE(nan) << nan.error().message;
  EXPECT_EQ(nan->kind, QueryResult::Kind::Value);
  EXPECT_TRUE(std::isnan(nan->value));
  auto inf = p->query("1/0");
  ASSERT_TRUE(inf);
  EXPECT_TRUE(std::isinf(inf->value) && inf->value > 0);
  auto ninf = p->query("-1/0");
  ASSERT_TRUE(ninf);
  EXPECT_TRUE(std::isinf(ninf->value) && ninf->value < 0);
}

TEST_F(PrometheusProviderTest, SeveralSeriesAreCountedAndBecomeAnErrorWithTheQuery) {
  auto p = make();
  std::string samples;
  for (int i = 0; i < 7; ++i) {
    if (i) samples += ",";
    samples += R"({"metric":{"pod":"p)" + std::to_string(i) + R"("},"value":[1,"1"]})";
  }
  answer("vector", "[" + samples + "]");
  const std::string q = R"(rate(req{app="fraud"}[1m]))";
  auto r = p->query(q);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->kind, QueryResult::Kind::SeveralSeries);
  EXPECT_EQ(r->seriesCount, 7u);
  EXPECT_EQ(r->series.size(), 5u);  // bounded
  analysis::MetricCheck c;
  c.name = "rate";
  c.max = 1;
  auto m = analysis::evaluate(c, q, r, core::WallTime{});
  EXPECT_EQ(m.verdict, analysis::Verdict::Error);
  EXPECT_NE(m.message.find("returned 7 series"), std::string::npos) << m.message;
  EXPECT_NE(m.message.find(q), std::string::npos) << m.message;
  EXPECT_NE(m.message.find(R"({pod="p0"})"), std::string::npos) << m.message;
}

TEST_F(PrometheusProviderTest, MatrixIsAnErrorAskingForAnInstantVector) {
  auto p = make();
  answer("matrix", R"([{"metric":{},"values":[[1,"1"],[2,"2"]]}])");
  auto r = p->query("up[1m]");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "QueryInvalid");
  EXPECT_NE(r.error().message.find("range vector"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("instant vector"), std::string::npos);
  EXPECT_NE(r.error().message.find("up[1m]"), std::string::npos);
}

TEST_F(PrometheusProviderTest, StringResultIsAnError) {
  auto p = make();
  answer("string", R"([1,"hello"])");
  auto r = p->query(R"("hello")");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "QueryInvalid");
  EXPECT_NE(r.error().message.find("returns a string"), std::string::npos) << r.error().message;
}

// The reply's own text is never quoted (status and Events are the model owner's to read, and
// the address is theirs to choose): only the API's errorType, from its known set.
TEST_F(PrometheusProviderTest, StatusErrorCarriesErrorTypeNotText) {
  auto p = make();
  fake_.respond(200, R"({"status":"error","errorType":"execution","error":"many-to-many"})");
  fake_.respond(200, R"({"status":"error","errorType":"timeout","error":"query timed out"})");
  auto r = p->query("a * b");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "QueryInvalid");
  EXPECT_NE(r.error().message.find("rejected the query (execution; run it in Prometheus"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("many-to-many"), std::string::npos) << r.error().message;
  auto t = p->query("slow");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().reason, "ProviderUnavailable");
  EXPECT_NE(t.error().message.find("failed the query (timeout): slow"), std::string::npos);
  EXPECT_EQ(t.error().message.find("query timed out"), std::string::npos);
  fake_.respond(500, R"({"status":"error","errorType":"s3cret-from-inside","error":"x"})");
  auto u = p->query("up");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().message.find("s3cret"), std::string::npos) << u.error().message;
  EXPECT_NE(u.error().message.find("(HTTP 500): error"), std::string::npos) << u.error().message;
}

TEST_F(PrometheusProviderTest, BadDataIsQueryInvalid) {
  auto p = make();
  fake_.respond(
      400,
      R"({"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected \")\""})");
  auto r = p->query("sum(");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "QueryInvalid");
  EXPECT_EQ(r.error().code, 400);
  EXPECT_NE(r.error().message.find("(HTTP 400, bad_data)"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("parse error"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("sum("), std::string::npos);
  fake_.respond(422,
                R"({"status":"error","errorType":"execution","error":"found duplicate series"})");
  auto e = p->query("x");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().reason, "QueryInvalid");
}

TEST_F(PrometheusProviderTest, ServerErrorsAndTransportFailuresAreProviderUnavailable) {
  auto p = make();
  fake_.respond(503, R"({"status":"error","errorType":"unavailable","error":"shutting down"})");
  fake_.respond(502, "<html>Bad Gateway</html>", {{"content-type", "text/html"}});
  fake_.fail("GET http://prom:9090/api/v1/query: Connection refused");
  fake_.respond(404, "404 page not found", {{"content-type", "text/plain"}});
  fake_.respond(200, "<html>login</html>", {{"content-type", "text/html"}});
  for (const char* want :
       {"(HTTP 503): unavailable", "(HTTP 502)", "Connection refused", "path prefix",
        "did not answer like the Prometheus HTTP API (HTTP 200"}) {
    auto r = p->query("up");
    ASSERT_FALSE(r) << want;
    EXPECT_EQ(r.error().reason, "ProviderUnavailable") << r.error().message;
    EXPECT_NE(r.error().message.find(want), std::string::npos) << r.error().message;
    for (const char* body : {"shutting down", "Bad Gateway", "page not found", "login"}) {
      EXPECT_EQ(r.error().message.find(body), std::string::npos) << r.error().message;
    }
    EXPECT_NE(r.error().message.find("Prometheus http://prom:9090"), std::string::npos);
  }
}

TEST_F(PrometheusProviderTest, DeniedIsUnauthorized) {
  PrometheusOptions o;
  o.address = "https://prom.example";
  o.username = "alice";
  o.password = "pw";
  auto p = make(o);
  fake_.respond(401, "Unauthorized", {{"content-type", "text/plain"}});
  fake_.respond(403, "Forbidden", {{"content-type", "text/plain"}});
  for (int code : {401, 403}) {
    auto r = p->query("up");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().reason, "Unauthorized");
    EXPECT_EQ(r.error().code, code);
    EXPECT_NE(r.error().message.find("as user \"alice\""), std::string::npos) << r.error().message;
  }
}

TEST_F(PrometheusProviderTest, BearerToken) {
  PrometheusOptions o;
  o.address = "https://prom.example:9443";
  o.bearerToken = "t0ken";
  o.caPem = "-----BEGIN CERTIFICATE-----...";
  o.timeout = 3s;
  auto p = make(o);
  answer("scalar", R"([1,"1"])");
  ASSERT_TRUE(p->query("up"));
  const auto req = fake_.requests().at(0);
  EXPECT_EQ(req.headers.at("Authorization"), "Bearer t0ken");
  EXPECT_EQ(req.timeout, 3s);
  EXPECT_EQ(baseUrl_, "https://prom.example:9443");
  EXPECT_EQ(tls_.caPem, o.caPem);
  EXPECT_FALSE(tls_.insecureSkipVerify);
}

TEST_F(PrometheusProviderTest, BasicAuth) {
  PrometheusOptions o;
  o.address = "http://prom:9090";
  o.username = "Aladdin";
  o.password = "open sesame";
  auto p = make(o);
  answer("scalar", R"([1,"1"])");
  ASSERT_TRUE(p->query("up"));
  EXPECT_EQ(fake_.requests().at(0).headers.at("Authorization"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_F(PrometheusProviderTest, NoAuthSendsNoAuthorizationAndDefaultsTimeout) {
  auto p = make();
  answer("scalar", R"([1,"1"])");
  ASSERT_TRUE(p->query("up"));
  const auto req = fake_.requests().at(0);
  EXPECT_EQ(req.headers.count("Authorization"), 0u);
  EXPECT_EQ(req.timeout, 10s);
  EXPECT_EQ(req.method, "GET");
}

TEST_F(PrometheusProviderTest, UrlHasThePathPrefixAndTheEncodedQuery) {
  PrometheusOptions o;
  o.address = "https://monitoring.example/prometheus/";
  auto p = make(o);
  EXPECT_EQ(baseUrl_, "https://monitoring.example");
  EXPECT_EQ(p->pathPrefix(), "/prometheus");
  answer("vector", "[]");
  ASSERT_TRUE(p->query(R"(sum(rate(req{code=~"5..",v="1 2"}[1m])) / 2 + 1)"));
  EXPECT_EQ(fake_.requests().at(0).target,
            "/prometheus/api/v1/query?query=sum%28rate%28req%7Bcode%3D~%225..%22%2Cv%3D%221%202%22"
            "%7D%5B1m%5D%29%29%20%2F%202%20%2B%201");
}

TEST_F(PrometheusProviderTest, UrlWithoutPrefix) {
  auto p = make();
  answer("vector", "[]");
  ASSERT_TRUE(p->query("up"));
  EXPECT_EQ(fake_.requests().at(0).target, "/api/v1/query?query=up");
  EXPECT_EQ(baseUrl_, "http://prom:9090");
}

TEST(PrometheusProviderCreate, RejectsBadOptions) {
  for (const char* address : {"prom:9090", "ftp://prom", "http://", "http://prom/x?y=1"}) {
    PrometheusOptions o;
    o.address = address;
    auto p = PrometheusProvider::create(o);
    ASSERT_FALSE(p) << address;
    EXPECT_NE(p.error().message.find("not an http or https URL"), std::string::npos);
  }
  PrometheusOptions both;
  both.address = "http://prom:9090";
  both.bearerToken = "t";
  both.username = "u";
  auto p = PrometheusProvider::create(both);
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("not both"), std::string::npos);
}

}  // namespace
