// Secure metrics against the real API server: the HTTPS metrics server asks it to review
// each scraper's token (TokenReview) and access (SubjectAccessReview on get /metrics),
// as a ServiceMonitor's bearer token would be checked in a cluster. What a scraper sees:
// 401 without a valid token, 403 without a role granting /metrics, 200 with one; a new
// binding and a revoked token count once their cached verdicts expire.
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "cluster_env.h"
#include "http/transport.h"
#include "kube/rest_client.h"
#include "server/metrics_server.h"
#include "server/scrape_auth.h"
#include "server/tls_source.h"

namespace mlmodel::testing {
namespace {

namespace res = kube::resources;
const kube::ResourceType kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", false};
const kube::ResourceType kClusterRoleBindings{"rbac.authorization.k8s.io", "v1",
                                              "clusterrolebindings", false};

class MetricsAuthTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    role_ = "it-metrics-reader-" + ns_;
    auto role = parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",
      "metadata":{},"rules":[{"nonResourceURLs":["/metrics"],"verbs":["get"]}]})");
    role["metadata"]["name"] = Json::string(role_);
    ASSERT_TRUE(client().create(kClusterRoles, "", role));
    for (auto sa : {"reader", "stranger"}) {
      auto obj = parse(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{}})");
      obj["metadata"]["name"] = Json::string(sa);
      ASSERT_TRUE(client().create(res::serviceAccounts, ns_, obj));
    }
    bind("reader");

    auto tls = server::selfSignedTls({"localhost"});
    ASSERT_TRUE(tls) << tls.error().message;
    caPem_ = tls.value()->certificatePem();
    auto registry = std::make_shared<prometheus::Registry>();
    prometheus::BuildCounter().Name("it_scrapes_total").Help("h").Register(*registry).Add({});
    server::HttpServerOptions o;
    o.tls = tls.value();
    server::ScrapeAuthOptions auth;
    auth.allowedTtl = std::chrono::seconds(1);
    auth.forbiddenTtl = std::chrono::seconds(1);
    auth.unauthenticatedTtl = std::chrono::seconds(1);
    std::shared_ptr<kube::Client> reviews = kube::makeClient(clusterConfig());
    auto s = server::startMetricsServer("127.0.0.1:0", {registry}, o,
                                        server::makeKubeScrapeReviewer(reviews), auth);
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(s.value());
  }
  void TearDown() override {
    server_.reset();
    for (const auto& b : bindings_) (void)client().remove(kClusterRoleBindings, "", b);
    (void)client().remove(kClusterRoles, "", role_);
    ClusterTest::TearDown();
  }

  void bind(const std::string& sa) {
    auto b = parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",
      "metadata":{},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole"},
      "subjects":[{"kind":"ServiceAccount"}]})");
    const std::string name = role_ + "-" + sa;
    b["metadata"]["name"] = Json::string(name);
    b["roleRef"]["name"] = Json::string(role_);
    b["subjects"][0]["name"] = Json::string(sa);
    b["subjects"][0]["namespace"] = Json::string(ns_);
    ASSERT_TRUE(client().create(kClusterRoleBindings, "", b));
    bindings_.push_back(name);
  }

  std::string token(const std::string& sa) {
    auto req = parse(R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
      "spec":{"expirationSeconds":3600}})");
    auto r = client().createSubresource(res::serviceAccounts, ns_, sa, "token", req);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r.value().at("status").at("token").as_string() : "";
  }

  // A scrape as Prometheus makes it: HTTPS, verifying the certificate, a bearer token.
  http::Response scrape(const std::string& bearer) {
    http::TlsOptions tls;
    tls.caPem = caPem_;
    auto t = http::makeTransport("https://localhost:" + std::to_string(server_->port()), tls);
    http::Request req;
    req.target = "/metrics";
    req.timeout = std::chrono::seconds(10);
    if (!bearer.empty()) req.headers["Authorization"] = "Bearer " + bearer;
    auto r = t->send(req);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r.value() : http::Response{};
  }

  std::string role_;
  std::vector<std::string> bindings_;
  std::string caPem_;
  std::unique_ptr<server::HttpServer> server_;
};

TEST_F(MetricsAuthTest, OnlyAuthenticatedAuthorizedScrapesGetTheMetrics) {
  auto none = scrape("");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate").value_or(""), "Bearer realm=\"metrics\"");
  EXPECT_EQ(none.body, "Unauthorized: a bearer token is required\n");

  auto forged = scrape("eyJhbGciOiJSUzI1NiJ9.e30.bm90LWEtc2lnbmF0dXJl");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.body, "Unauthorized: the token was not accepted\n");

  auto stranger = scrape(token("stranger"));
  EXPECT_EQ(stranger.status, 403);
  EXPECT_EQ(stranger.body, "Forbidden: user \"system:serviceaccount:" + ns_ +
                               ":stranger\" may not get /metrics\n");

  auto reader = scrape(token("reader"));
  EXPECT_EQ(reader.status, 200) << reader.body;
  EXPECT_NE(reader.body.find("it_scrapes_total 0"), std::string::npos) << reader.body;
}

TEST_F(MetricsAuthTest, ANewBindingAndARevokedTokenCountOnceTheirVerdictsExpire) {
  const auto strangerToken = token("stranger");
  EXPECT_EQ(scrape(strangerToken).status, 403);
  bind("stranger");
  EXPECT_TRUE(eventually([&] { return scrape(strangerToken).status == 200; }))
      << "the new binding never counted";

  const auto readerToken = token("reader");
  EXPECT_EQ(scrape(readerToken).status, 200);
  // Its ServiceAccount deleted, the token is no longer accepted.
  ASSERT_TRUE(client().remove(res::serviceAccounts, ns_, "reader"));
  EXPECT_TRUE(eventually([&] { return scrape(readerToken).status == 401; }))
      << "the revoked token kept reading the metrics";
}

}  // namespace
}  // namespace mlmodel::testing
