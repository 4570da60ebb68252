// The REST client as its callers see it: which request each verb sends, which failures are
// retried and how long it waits, and what an error says.
#include "kube/rest_client.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "fake_transport.h"
#include "kube/api_error.h"
#include "kube/credentials.h"

using namespace std::chrono_literals;
using mlmodel::core::Duration;
using mlmodel::core::Result;
using mlmodel::http::Request;
using mlmodel::kube::ApplyOptions;
using mlmodel::kube::Client;
using mlmodel::kube::ClientOptions;
using mlmodel::kube::CredentialSource;
using mlmodel::kube::DeleteOptions;
using mlmodel::kube::Json;
using mlmodel::kube::ListOptions;
using mlmodel::kube::PatchType;
using mlmodel::kube::ResourceType;
using mlmodel::kube::WatchOptions;
using mlmodel::testutil::FakeTransport;
namespace resources = mlmodel::kube::resources;
namespace kube = mlmodel::kube;

namespace {

const ResourceType kModels{"serving.mlops.dev", "v1alpha1", "mlmodels", true};

Json J(const std::string& text) { return Json::parse(text); }

std::string status(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":)" + std::to_string(code) +
         R"(,"reason":")" + reason + R"(","message":")" + message + R"("})";
}

std::string listPage(const std::vector<std::string>& names, const std::string& cont,
                     const std::string& rv = "100") {
  std::string items;
  for (const auto& n : names) {
    if (!items.empty()) items += ",";
    items += R"({"metadata":{"name":")" + n + R"(","namespace":"ml"}})";
  }
  std::string meta = R"("resourceVersion":")" + rv + "\"";
  if (!cont.empty()) meta += R"(,"continue":")" + cont + "\"";
  return R"({"kind":"ConfigMapList","metadata":{)" + meta + R"(},"items":[)" + items + "]}";
}

std::vector<std::string> names(const std::vector<Json>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.at("metadata").at("name").as_string());
  return out;
}

// Hands out "token-1", then "token-2" after an invalidate(), and so on; counts the calls.
class CountingCredentials final : public CredentialSource {
 public:
  Result<std::string> token() override {
    std::lock_guard lock(mu_);
    ++tokens_;
    return "token-" + std::to_string(generation_);
  }
  void invalidate() override {
    std::lock_guard lock(mu_);
    ++invalidations_;
    ++generation_;
  }
  int invalidations() const {
    std::lock_guard lock(mu_);
    return invalidations_;
  }

 private:
  mutable std::mutex mu_;
  int generation_ = 1;
  int tokens_ = 0;
  int invalidations_ = 0;
};

class RestClientTest : public ::testing::Test {
 protected:
  RestClientTest() { makeClient(nullptr); }

  void makeClient(std::shared_ptr<CredentialSource> credentials, int maxAttempts = 5) {
    auto transport = std::make_unique<FakeTransport>();
    fake_ = transport.get();
    ClientOptions options;
    options.maxAttempts = maxAttempts;
    options.sleep = [this](Duration d) { delays_.push_back(d); };
    client_ = std::make_unique<Client>(std::move(transport), std::move(credentials), options);
  }

  Request request(size_t i) const { return fake_->requests().at(i); }
  size_t sent() const { return fake_->requestCount(); }

  FakeTransport* fake_ = nullptr;
  std::unique_ptr<Client> client_;
  std::vector<Duration> delays_;
};

// ---- paths and query strings ------------------------------------------------------------

TEST_F(RestClientTest, GetAddressesNamespacedClusterScopedAndSubresourcePaths) {
  fake_->respond(200, R"({"metadata":{"name":"x"}})");
  fake_->respond(200, R"({"metadata":{"name":"ml"}})");
  fake_->respond(200, R"({"spec":{"replicas":3}})");
  fake_->respond(200, R"({"metadata":{"name":"mlmodels.serving.mlops.dev"}})");

  auto cm = client_->get(resources::configMaps, "ml", "x");
  ASSERT_TRUE(cm) << cm.error().message;
  EXPECT_EQ(cm.value().at("metadata").at("name").as_string(), "x");
  ASSERT_TRUE(client_->get(resources::namespaces, "", "ml"));
  auto scale = client_->get(resources::deployments, "ml", "fraud", "scale");
  ASSERT_TRUE(scale);
  EXPECT_EQ(scale.value().at("spec").at("replicas").as_integer(), 3);
  ASSERT_TRUE(client_->get(resources::customResourceDefinitions, "", "mlmodels.serving.mlops.dev"));

  EXPECT_EQ(request(0).method, "GET");
  EXPECT_EQ(request(0).target, "/api/v1/namespaces/ml/configmaps/x");
  EXPECT_EQ(request(1).target, "/api/v1/namespaces/ml");
  EXPECT_EQ(request(2).target, "/apis/apps/v1/namespaces/ml/deployments/fraud/scale");
  EXPECT_EQ(request(3).target,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/mlmodels.serving.mlops.dev");
  EXPECT_EQ(request(0).headers.at("Accept"), "application/json");
  EXPECT_EQ(request(0).headers.at("User-Agent"), "mlmodel-operator");
  EXPECT_EQ(request(0).headers.count("Authorization"), 0u);
}

TEST_F(RestClientTest, ListEncodesSelectorsAndPageSize) {
  fake_->respond(200, listPage({"a"}, ""));
  fake_->respond(200, listPage({}, ""));
  ListOptions o;
  o.labelSelector = "app.kubernetes.io/name in (fraud,churn),tier!=canary";
  o.fieldSelector = "metadata.name=x";
  o.limit = 50;

  auto r = client_->list(kModels, "ml", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(names(r.value().items), std::vector<std::string>{"a"});
  EXPECT_EQ(r.value().resourceVersion, "100");
  EXPECT_EQ(request(0).target,
            "/apis/serving.mlops.dev/v1alpha1/namespaces/ml/mlmodels"
            "?labelSelector=app.kubernetes.io%2Fname%20in%20%28fraud%2Cchurn%29%2Ctier%21%3Dcanary"
            "&fieldSelector=metadata.name%3Dx&limit=50");

  // All namespaces, default page size, no selectors.
  ASSERT_TRUE(client_->list(resources::deployments, ""));
  EXPECT_EQ(request(1).target, "/apis/apps/v1/deployments?limit=500");
}

TEST_F(RestClientTest, CreatePostsTheObjectToTheCollection) {
  fake_->respond(201, R"({"metadata":{"name":"x","uid":"u1"}})");
  auto r = client_->create(resources::configMaps, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().at("metadata").at("uid").as_string(), "u1");
  EXPECT_EQ(request(0).method, "POST");
  EXPECT_EQ(request(0).target, "/api/v1/namespaces/ml/configmaps");
  EXPECT_EQ(J(request(0).body), J(R"({"metadata":{"name":"x"}})"));
}

TEST_F(RestClientTest, ACancelledClientSendsNothingAndRetriesNothing) {
  auto transport = std::make_unique<FakeTransport>();
  fake_ = transport.get();
  mlmodel::core::CancelToken token;
  ClientOptions options;
  options.cancel = &token;
  options.sleep = [](mlmodel::core::Duration) {};
  client_ = std::make_unique<Client>(std::move(transport), nullptr, options);
  fake_->respond(200, R"({"metadata":{"name":"x"}})");
  ASSERT_TRUE(client_->get(resources::configMaps, "ml", "x"));
  EXPECT_EQ(fake_->requests().at(0).cancel, &token) << "the transport can abort it in flight";
  token.cancel();
  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "GET /api/v1/namespaces/ml/configmaps/x: cancelled");
  EXPECT_EQ(sent(), 1u);
}

TEST_F(RestClientTest, AClosedWriteGateFailsWritesUnsentAndLetsReadsThrough) {
  auto transport = std::make_unique<FakeTransport>();
  fake_ = transport.get();
  bool open = false;
  ClientOptions options;
  options.writeGate = [&open]() -> mlmodel::core::Status {
    if (open) return mlmodel::core::Ok{};
    return mlmodel::core::Error{"this process lost its lease"};
  };
  client_ = std::make_unique<Client>(std::move(transport), nullptr, options);
  const auto obj = J(R"({"metadata":{"name":"x"}})");
  auto created = client_->create(resources::configMaps, "ml", obj);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message,
            "POST /api/v1/namespaces/ml/configmaps: this process lost its lease");
  EXPECT_FALSE(client_->apply(resources::configMaps, "ml", "x", obj, {.fieldManager = "m"}));
  EXPECT_FALSE(client_->remove(resources::configMaps, "ml", "x"));
  EXPECT_EQ(sent(), 0u) << "nothing reached the server, and nothing was retried";
  fake_->respond(200, R"({"metadata":{"name":"x"}})");
  EXPECT_TRUE(client_->get(resources::configMaps, "ml", "x"));
  open = true;
  fake_->respond(201, R"({"metadata":{"name":"x"}})");
  EXPECT_TRUE(client_->create(resources::configMaps, "ml", obj));
  EXPECT_EQ(sent(), 2u);
}

TEST_F(RestClientTest, CreateSubresourcePostsToTheObjectsSubresource) {
  fake_->respond(201, R"({"status":{"token":"abc"}})");
  auto r = client_->createSubresource(resources::serviceAccounts, "ml", "runner", "token",
                                      J(R"({"spec":{"audiences":["api"]}})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(request(0).method, "POST");
  EXPECT_EQ(request(0).target, "/api/v1/namespaces/ml/serviceaccounts/runner/token");
}

TEST_F(RestClientTest, UpdatePutsToTheNamedObjectOrItsStatus) {
  fake_->respond(200, R"({"metadata":{"name":"fraud","resourceVersion":"8"}})");
  fake_->respond(200, R"({"metadata":{"name":"fraud","resourceVersion":"9"}})");
  const auto obj = J(R"({"metadata":{"name":"fraud","resourceVersion":"7"},"spec":{}})");

  ASSERT_TRUE(client_->update(kModels, "ml", obj));
  ASSERT_TRUE(client_->update(kModels, "ml", obj, "status"));
  EXPECT_EQ(request(0).method, "PUT");
  EXPECT_EQ(request(0).target, "/apis/serving.mlops.dev/v1alpha1/namespaces/ml/mlmodels/fraud");
  EXPECT_EQ(request(1).target,
            "/apis/serving.mlops.dev/v1alpha1/namespaces/ml/mlmodels/fraud/status");
  EXPECT_EQ(J(request(0).body), obj);
}

TEST_F(RestClientTest, UpdateWithoutANameFailsWithoutSending) {
  auto r = client_->update(kModels, "ml", J(R"({"metadata":{}})"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("metadata.name"), std::string::npos) << r.error().message;
  EXPECT_EQ(sent(), 0u);
}

TEST_F(RestClientTest, RemoveSendsPreconditionsAndPropagationPolicy) {
  fake_->respond(200, R"({"kind":"Status","status":"Success"})");
  fake_->respond(202, R"({"metadata":{"name":"ml"}})");
  DeleteOptions o;
  o.uid = "u1";
  o.resourceVersion = "42";
  o.propagationPolicy = "Foreground";

  ASSERT_TRUE(client_->remove(resources::deployments, "ml", "fraud", o));
  ASSERT_TRUE(client_->remove(resources::namespaces, "", "ml"));
  EXPECT_EQ(request(0).method, "DELETE");
  EXPECT_EQ(request(0).target, "/apis/apps/v1/namespaces/ml/deployments/fraud");
  const auto body = J(request(0).body);
  EXPECT_EQ(body.at("kind").as_string(), "DeleteOptions");
  EXPECT_EQ(body.at("preconditions").at("uid").as_string(), "u1");
  EXPECT_EQ(body.at("preconditions").at("resourceVersion").as_string(), "42");
  EXPECT_EQ(body.at("propagationPolicy").as_string(), "Foreground");
  EXPECT_EQ(request(1).target, "/api/v1/namespaces/ml");
  const auto plain = J(request(1).body);
  EXPECT_FALSE(plain.has_field("preconditions"));
  EXPECT_FALSE(plain.has_field("propagationPolicy"));
}

TEST_F(RestClientTest, PatchSendsTheContentTypeOfEachPatchKind) {
  for (int i = 0; i < 3; ++i) fake_->respond(200, R"({"metadata":{"name":"fraud"}})");
  ASSERT_TRUE(client_->patch(resources::deployments, "ml", "fraud", PatchType::Merge,
                             J(R"({"spec":{"replicas":2}})")));
  ASSERT_TRUE(client_->patch(resources::deployments, "ml", "fraud", PatchType::Json,
                             J(R"([{"op":"replace","path":"/spec/replicas","value":2}])")));
  ASSERT_TRUE(client_->patch(kModels, "ml", "fraud", PatchType::StrategicMerge,
                             J(R"({"status":{"phase":"Ready"}})"), "status"));

  EXPECT_EQ(request(0).method, "PATCH");
  EXPECT_EQ(request(0).target, "/apis/apps/v1/namespaces/ml/deployments/fraud");
  EXPECT_EQ(request(0).headers.at("Content-Type"), "application/merge-patch+json");
  EXPECT_EQ(request(1).headers.at("Content-Type"), "application/json-patch+json");
  EXPECT_EQ(J(request(1).body), J(R"([{"op":"replace","path":"/spec/replicas","value":2}])"));
  EXPECT_EQ(request(2).headers.at("Content-Type"), "application/strategic-merge-patch+json");
  EXPECT_EQ(request(2).target,
            "/apis/serving.mlops.dev/v1alpha1/namespaces/ml/mlmodels/fraud/status");
}

TEST_F(RestClientTest, ApplyIsAnApplyPatchWithFieldManagerAndForce) {
  fake_->respond(200, R"({"metadata":{"name":"fraud"}})");
  fake_->respond(200, R"({"metadata":{"name":"fraud"}})");
  const auto obj = J(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fraud"}})");

  ApplyOptions forced;
  forced.fieldManager = "mlmodel-operator";
  forced.force = true;
  ASSERT_TRUE(client_->apply(resources::deployments, "ml", "fraud", obj, forced));
  ApplyOptions polite;
  polite.fieldManager = "mlmodel operator/status";
  ASSERT_TRUE(client_->apply(kModels, "ml", "fraud", obj, polite, "status"));

  EXPECT_EQ(request(0).method, "PATCH");
  EXPECT_EQ(
      request(0).target,
      "/apis/apps/v1/namespaces/ml/deployments/fraud?fieldManager=mlmodel-operator&force=true");
  EXPECT_EQ(request(0).headers.at("Content-Type"), "application/apply-patch+yaml");
  EXPECT_EQ(J(request(0).body), obj);
  EXPECT_EQ(request(1).target,
            "/apis/serving.mlops.dev/v1alpha1/namespaces/ml/mlmodels/fraud/status"
            "?fieldManager=mlmodel%20operator%2Fstatus");
}

TEST_F(RestClientTest, AnApplyOfAFieldOutsideTheSchemaIsABadRequestNotRetried) {
  // kubernetes/kubernetes#139253: the API server answers it with 500 and no reason.
  fake_->respond(500,
                 R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":)"
                 R"("failed to create typed patch object (ml/fraud; apps/v1, Kind=Deployment): )"
                 R"(.spec.template.spec.hostNetwrk: field not declared in schema","code":500})");
  ApplyOptions o;
  o.fieldManager = "mlmodel-operator";
  auto r = client_->apply(resources::deployments, "ml", "fraud", J("{}"), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(sent(), 1u) << "sending it again gets the same answer";
  EXPECT_EQ(r.error().code, 400);
  EXPECT_EQ(r.error().reason, "BadRequest");
  EXPECT_TRUE(kube::isRejectedObject(r.error()));
  EXPECT_NE(r.error().message.find(": 500 failed to create typed patch object"), std::string::npos)
      << "the text keeps what the server said: " << r.error().message;
  EXPECT_NE(r.error().message.find(".spec.template.spec.hostNetwrk"), std::string::npos);
}

TEST_F(RestClientTest, TheServersWarningsAreLoggedOncePerText) {
  auto out = std::make_shared<std::ostringstream>();
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(*out)));
  const std::map<std::string, std::string> warned{
      {"warning", R"(299 - "unknown field \"spec.foo\"", 299 - "second")"}};
  fake_->respond(200, "{}", warned);
  fake_->respond(200, "{}", warned);
  fake_->respond(422, status(422, "Invalid", "bad"), warned);
  // No ASSERT before the logger is put back: its sink writes into `out`.
  EXPECT_TRUE(client_->get(resources::deployments, "ml", "a"));
  EXPECT_TRUE(client_->get(resources::deployments, "ml", "b"));
  EXPECT_FALSE(client_->get(resources::deployments, "ml", "c"));
  spdlog::set_default_logger(previous);
  const std::string log = out->str();
  const std::string first = R"(the API server warned about GET /apis/apps/v1/namespaces/ml/)"
                            R"(deployments/a: unknown field "spec.foo")";
  EXPECT_NE(log.find(first), std::string::npos) << log;
  EXPECT_NE(log.find("deployments/a: second"), std::string::npos) << log;
  EXPECT_EQ(log.find("deployments/b"), std::string::npos) << log;
  EXPECT_EQ(log.find("deployments/c"), std::string::npos) << log;
}

TEST_F(RestClientTest, ApplyWithoutAFieldManagerFailsWithoutSending) {
  auto r = client_->apply(resources::deployments, "ml", "fraud", J("{}"), ApplyOptions{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("fieldManager"), std::string::npos);
  EXPECT_EQ(sent(), 0u);
}

TEST_F(RestClientTest, WatchAsksForBookmarksFromAVersionWithALongerTimeout) {
  fake_->respondStream(200, {});
  WatchOptions o;
  o.resourceVersion = "123";
  o.labelSelector = "app=fraud";
  o.timeoutSeconds = 60;
  auto w = client_->watch(resources::pods, "ml", o);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(request(0).method, "GET");
  EXPECT_EQ(request(0).target,
            "/api/v1/namespaces/ml/pods?watch=true&resourceVersion=123&labelSelector=app%3Dfraud"
            "&allowWatchBookmarks=true&timeoutSeconds=60");
  // The connection outlives the server-side timeout, so the server is the one to end it.
  EXPECT_GT(request(0).timeout, std::chrono::seconds(60));
}

// ---- retries ----------------------------------------------------------------------------

TEST_F(RestClientTest, ServerErrorOnGetIsRetriedWithGrowingBackoff) {
  fake_->respond(503, status(503, "ServiceUnavailable", "etcd leader changed"));
  fake_->respond(500, status(500, "InternalError", "try again"));
  fake_->respond(200, R"({"metadata":{"name":"x"}})");

  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(sent(), 3u);
  ASSERT_EQ(delays_.size(), 2u);
  EXPECT_GT(delays_[0], Duration::zero());
  EXPECT_GT(delays_[1], delays_[0]);
  EXPECT_LE(delays_[1], std::chrono::seconds(5));
}

TEST_F(RestClientTest, ServerErrorOnGetGivesUpAfterMaxAttempts) {
  makeClient(nullptr, 3);
  for (int i = 0; i < 3; ++i) fake_->respond(500, status(500, "InternalError", "still down"));
  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 500);
  EXPECT_NE(r.error().message.find("still down"), std::string::npos) << r.error().message;
  EXPECT_EQ(sent(), 3u);
  EXPECT_EQ(delays_.size(), 2u);
}

TEST_F(RestClientTest, ServerErrorOnPostIsNotRetried) {
  fake_->respond(500, status(500, "InternalError", "boom"));
  auto r = client_->create(resources::configMaps, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 500);
  EXPECT_TRUE(kube::isServerError(r.error()));
  EXPECT_EQ(sent(), 1u);
  EXPECT_TRUE(delays_.empty());
}

TEST_F(RestClientTest, ServerErrorOnPutAndMergePatchIsNotRetried) {
  fake_->respond(502, "bad gateway");
  fake_->respond(502, "bad gateway");
  EXPECT_FALSE(client_->update(kModels, "ml", J(R"({"metadata":{"name":"fraud"}})")));
  EXPECT_FALSE(client_->patch(kModels, "ml", "fraud", PatchType::Merge, J("{}")));
  EXPECT_EQ(sent(), 2u);
  EXPECT_TRUE(delays_.empty());
}

TEST_F(RestClientTest, ServerErrorOnDeleteAndApplyIsRetried) {
  fake_->respond(503, "");
  fake_->respond(200, R"({"kind":"Status","status":"Success"})");
  fake_->respond(504, "");
  fake_->respond(200, R"({"metadata":{"name":"fraud"}})");
  ASSERT_TRUE(client_->remove(resources::deployments, "ml", "fraud"));
  ApplyOptions o;
  o.fieldManager = "mlmodel-operator";
  ASSERT_TRUE(client_->apply(resources::deployments, "ml", "fraud", J("{}"), o));
  EXPECT_EQ(sent(), 4u);
  EXPECT_EQ(delays_.size(), 2u);
}

TEST_F(RestClientTest, TooManyRequestsWaitsRetryAfterThenSucceeds) {
  fake_->respond(429, status(429, "TooManyRequests", "slow down"), {{"retry-after", "3"}});
  fake_->respond(200, R"({"metadata":{"name":"x"}})");
  ASSERT_TRUE(client_->get(resources::configMaps, "ml", "x"));
  ASSERT_EQ(delays_.size(), 1u);
  EXPECT_EQ(delays_[0], std::chrono::seconds(3));
  EXPECT_EQ(sent(), 2u);
}

TEST_F(RestClientTest, TooManyRequestsIsRetriedForPostToo) {
  fake_->respond(429, status(429, "TooManyRequests", "slow down"), {{"retry-after", "3"}});
  fake_->respond(201, R"({"metadata":{"name":"x"}})");
  auto r = client_->create(resources::configMaps, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(delays_, std::vector<Duration>{std::chrono::seconds(3)});
  EXPECT_EQ(sent(), 2u);
  EXPECT_EQ(request(1).method, "POST");
  EXPECT_EQ(request(1).body, request(0).body);
}

TEST_F(RestClientTest, TooManyRequestsWithoutRetryAfterBacksOff) {
  fake_->respond(429, "");
  fake_->respond(200, "{}");
  ASSERT_TRUE(client_->get(resources::configMaps, "ml", "x"));
  ASSERT_EQ(delays_.size(), 1u);
  EXPECT_GT(delays_[0], Duration::zero());
  EXPECT_LT(delays_[0], std::chrono::seconds(1));
}

TEST_F(RestClientTest, TooManyRequestsToTheLastAttemptIsReturned) {
  makeClient(nullptr, 2);
  fake_->respond(429, status(429, "TooManyRequests", "slow down"), {{"retry-after", "1"}});
  fake_->respond(429, status(429, "TooManyRequests", "slow down"), {{"retry-after", "1"}});
  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_FALSE(r);
  EXPECT_TRUE(kube::isTooManyRequests(r.error()));
  EXPECT_EQ(sent(), 2u);
}

TEST_F(RestClientTest, TransportFailureIsRetriedForGetOnly) {
  fake_->fail("connection refused");
  fake_->respond(200, R"({"metadata":{"name":"x"}})");
  ASSERT_TRUE(client_->get(resources::configMaps, "ml", "x"));
  EXPECT_EQ(sent(), 2u);
  EXPECT_EQ(delays_.size(), 1u);

  fake_->fail("connection reset by peer");
  auto r = client_->create(resources::configMaps, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(kube::isTransportError(r.error()));
  EXPECT_NE(r.error().message.find("connection reset"), std::string::npos);
  EXPECT_EQ(sent(), 3u);
  EXPECT_EQ(delays_.size(), 1u);
}

// ---- credentials ------------------------------------------------------------------------

TEST_F(RestClientTest, UnauthorizedInvalidatesCredentialsAndRetriesOnce) {
  auto creds = std::make_shared<CountingCredentials>();
  makeClient(creds);
  fake_->respond(401, status(401, "Unauthorized", "Unauthorized"));
  fake_->respond(200, R"({"metadata":{"name":"x"}})");

  // A POST too: the server did not act on a request it did not authenticate.
  auto r = client_->create(resources::configMaps, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(creds->invalidations(), 1);
  ASSERT_EQ(sent(), 2u);
  EXPECT_EQ(request(0).headers.at("Authorization"), "Bearer token-1");
  EXPECT_EQ(request(1).headers.at("Authorization"), "Bearer token-2");
  EXPECT_TRUE(delays_.empty());
}

TEST_F(RestClientTest, SecondUnauthorizedIsReturned) {
  auto creds = std::make_shared<CountingCredentials>();
  makeClient(creds);
  fake_->respond(401, status(401, "Unauthorized", "Unauthorized"));
  fake_->respond(401, status(401, "Unauthorized", "token expired"));

  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 401);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_NE(r.error().message.find("token expired"), std::string::npos) << r.error().message;
  EXPECT_EQ(creds->invalidations(), 1);
  EXPECT_EQ(sent(), 2u);
}

TEST_F(RestClientTest, UnauthorizedWithoutCredentialsIsReturnedAtOnce) {
  fake_->respond(401, status(401, "Unauthorized", "Unauthorized"));
  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 401);
  EXPECT_EQ(sent(), 1u);
}

TEST_F(RestClientTest, UnauthorizedWatchReopensWithFreshCredentials) {
  auto creds = std::make_shared<CountingCredentials>();
  makeClient(creds);
  fake_->respondStream(401, {}, status(401, "Unauthorized", "Unauthorized"));
  fake_->respondStream(200, {});
  auto w = client_->watch(resources::pods, "ml", WatchOptions{});
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(creds->invalidations(), 1);
  ASSERT_EQ(sent(), 2u);
  EXPECT_EQ(request(1).headers.at("Authorization"), "Bearer token-2");
}

// ---- errors -----------------------------------------------------------------------------

TEST_F(RestClientTest, NotFoundCarriesCodeReasonAndStatusMessage) {
  fake_->respond(404, status(404, "NotFound", R"(configmaps \"x\" not found)"));
  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_FALSE(r);
  EXPECT_TRUE(kube::isNotFound(r.error()));
  EXPECT_EQ(r.error().code, 404);
  EXPECT_EQ(r.error().reason, "NotFound");
  EXPECT_NE(r.error().message.find(R"(configmaps "x" not found)"), std::string::npos)
      << r.error().message;
  // It names the request.
  EXPECT_NE(r.error().message.find("GET /api/v1/namespaces/ml/configmaps/x"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(sent(), 1u);
}

TEST_F(RestClientTest, AlreadyExistsAndConflictAreTold) {
  fake_->respond(409, status(409, "AlreadyExists", R"(configmaps \"x\" already exists)"));
  fake_->respond(409, status(409, "Conflict",
                             "Operation cannot be fulfilled on configmaps \\\"x\\\": the object "
                             "has been modified; please apply your changes to the latest version"));

  auto created = client_->create(resources::configMaps, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_FALSE(created);
  EXPECT_TRUE(kube::isAlreadyExists(created.error()));
  EXPECT_FALSE(kube::isConflict(created.error()));
  EXPECT_NE(created.error().message.find("already exists"), std::string::npos);

  auto updated = client_->update(resources::configMaps, "ml",
                                 J(R"({"metadata":{"name":"x","resourceVersion":"1"}})"));
  ASSERT_FALSE(updated);
  EXPECT_TRUE(kube::isConflict(updated.error()));
  EXPECT_FALSE(kube::isAlreadyExists(updated.error()));
  EXPECT_EQ(updated.error().reason, "Conflict");
  EXPECT_NE(updated.error().message.find("the object has been modified"), std::string::npos);
  EXPECT_EQ(sent(), 2u);
}

TEST_F(RestClientTest, ExpiredAndInvalidAreTold) {
  fake_->respond(410, status(410, "Expired", "too old resource version: 1 (500)"));
  fake_->respond(
      422, status(422, "Invalid",
                  R"(MLModel.serving.mlops.dev \"x\" is invalid: spec.image: Required value)"));

  auto listed = client_->list(kModels, "ml");
  ASSERT_FALSE(listed);
  EXPECT_TRUE(kube::isGone(listed.error()));
  EXPECT_EQ(listed.error().reason, "Expired");
  EXPECT_NE(listed.error().message.find("too old resource version"), std::string::npos);

  auto created = client_->create(kModels, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_FALSE(created);
  EXPECT_TRUE(kube::isInvalid(created.error()));
  EXPECT_EQ(created.error().reason, "Invalid");
  EXPECT_NE(created.error().message.find("spec.image: Required value"), std::string::npos)
      << created.error().message;
}

TEST_F(RestClientTest, NonJsonErrorBodyIsShownRaw) {
  fake_->respond(502, "<html><body>502 Bad Gateway (nginx)</body></html>",
                 {{"content-type", "text/html"}});
  auto r = client_->create(resources::configMaps, "ml", J(R"({"metadata":{"name":"x"}})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, 502);
  EXPECT_EQ(r.error().reason, "");
  EXPECT_NE(r.error().message.find("<html><body>502 Bad Gateway (nginx)</body></html>"),
            std::string::npos)
      << r.error().message;
}

TEST_F(RestClientTest, WatchOpenErrorIsTyped) {
  fake_->respondStream(410, {}, status(410, "Expired", "too old resource version: 5 (90)"));
  WatchOptions o;
  o.resourceVersion = "5";
  auto w = client_->watch(resources::pods, "ml", o);
  ASSERT_FALSE(w);
  EXPECT_TRUE(kube::isGone(w.error()));
  EXPECT_EQ(w.error().reason, "Expired");
  EXPECT_NE(w.error().message.find("too old resource version"), std::string::npos);
}

// A write whose caller only needs to know it worked does not decode the reply at all.
TEST_F(RestClientTest, ADiscardedReplyIsNotDecoded) {
  fake_->respond(200, "not json");
  fake_->respond(201, "not json either");
  fake_->respond(200, "{");
  auto applied =
      client_->apply(resources::configMaps, "ml", "x", Json::object(),
                     ApplyOptions{"mlmodel-operator", true, mlmodel::kube::Reply::Discard});
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_TRUE(applied.value().is_null());
  EXPECT_TRUE(
      client_->create(resources::configMaps, "ml", Json::object(), mlmodel::kube::Reply::Discard));
  EXPECT_TRUE(client_->patch(resources::configMaps, "ml", "x", PatchType::Merge, Json::object(),
                             "status", mlmodel::kube::Reply::Discard));
  ASSERT_EQ(sent(), 3u);
  EXPECT_EQ(request(2).target, "/api/v1/namespaces/ml/configmaps/x/status");
  // An error is still an error.
  fake_->respond(409, R"({"kind":"Status","reason":"Conflict","message":"changed"})");
  auto conflict = client_->patch(resources::configMaps, "ml", "x", PatchType::Merge, Json::object(),
                                 "", mlmodel::kube::Reply::Discard);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, 409);
}

TEST_F(RestClientTest, SuccessWithANonJsonBodyIsAnError) {
  fake_->respond(200, "not json");
  auto r = client_->get(resources::configMaps, "ml", "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not JSON"), std::string::npos) << r.error().message;
}

// ---- list pages -------------------------------------------------------------------------

TEST_F(RestClientTest, ListFollowsContinueTokensAcrossPages) {
  fake_->respond(200, listPage({"a", "b"}, "c1", "90"));
  fake_->respond(200, listPage({"c", "d"}, "c2", "90"));
  fake_->respond(200, listPage({"e"}, "", "90"));
  ListOptions o;
  o.limit = 2;

  auto r = client_->list(resources::configMaps, "ml", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(names(r.value().items), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(r.value().resourceVersion, "90");
  ASSERT_EQ(sent(), 3u);
  EXPECT_EQ(request(0).target, "/api/v1/namespaces/ml/configmaps?limit=2");
  EXPECT_EQ(request(1).target, "/api/v1/namespaces/ml/configmaps?limit=2&continue=c1");
  EXPECT_EQ(request(2).target, "/api/v1/namespaces/ml/configmaps?limit=2&continue=c2");
}

TEST_F(RestClientTest, ListRestartsFromTheFirstPageWhenTheContinueTokenExpired) {
  fake_->respond(200, listPage({"a", "b"}, "c1", "90"));
  fake_->respond(410, status(410, "Expired", "The provided continue parameter is too old"));
  fake_->respond(200, listPage({"a", "c"}, "c9", "120"));
  fake_->respond(200, listPage({"d"}, "", "120"));
  ListOptions o;
  o.limit = 2;

  auto r = client_->list(resources::configMaps, "ml", o);
  ASSERT_TRUE(r) << r.error().message;
  // Only the new snapshot: pages of two snapshots are never mixed.
  EXPECT_EQ(names(r.value().items), (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_EQ(r.value().resourceVersion, "120");
  ASSERT_EQ(sent(), 4u);
  EXPECT_EQ(request(1).target, "/api/v1/namespaces/ml/configmaps?limit=2&continue=c1");
  EXPECT_EQ(request(2).target, "/api/v1/namespaces/ml/configmaps?limit=2");
  EXPECT_EQ(request(3).target, "/api/v1/namespaces/ml/configmaps?limit=2&continue=c9");
  EXPECT_TRUE(delays_.empty());
}

TEST_F(RestClientTest, ListGivesUpWhenTheContinueTokenKeepsExpiring) {
  for (int i = 0; i < 4; ++i) {
    fake_->respond(200, listPage({"a"}, "c1"));
    fake_->respond(410, status(410, "Expired", "The provided continue parameter is too old"));
  }
  ListOptions o;
  o.limit = 1;
  auto r = client_->list(resources::configMaps, "ml", o);
  ASSERT_FALSE(r);
  EXPECT_TRUE(kube::isGone(r.error()));
  EXPECT_LT(sent(), 8u);  // bounded: it did not use up everything scripted
}

TEST_F(RestClientTest, ListOnItemReceivesEveryItemAndKeepsNone) {
  fake_->respond(200, listPage({"a", "b"}, "c1", "90"));
  fake_->respond(200, listPage({"c"}, "", "90"));
  std::vector<std::string> seen;
  ListOptions o;
  o.limit = 2;
  o.onItem = [&](Json&& item) { seen.push_back(item.at("metadata").at("name").as_string()); };

  auto r = client_->list(resources::configMaps, "ml", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(r.value().items.empty());
  EXPECT_EQ(r.value().resourceVersion, "90");
}

TEST_F(RestClientTest, ListOnItemDoesNotRestartOnAnExpiredContinue) {
  fake_->respond(200, listPage({"a", "b"}, "c1"));
  fake_->respond(410, status(410, "Expired", "The provided continue parameter is too old"));
  fake_->respond(200, listPage({"a", "b"}, ""));  // must not be asked for
  std::vector<std::string> seen;
  ListOptions o;
  o.limit = 2;
  o.onItem = [&](Json&& item) { seen.push_back(item.at("metadata").at("name").as_string()); };

  auto r = client_->list(resources::configMaps, "ml", o);
  ASSERT_FALSE(r);
  EXPECT_TRUE(kube::isGone(r.error()));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sent(), 2u);
}

TEST_F(RestClientTest, ListPageIsRetriedOnServerError) {
  fake_->respond(200, listPage({"a"}, "c1"));
  fake_->respond(503, "");
  fake_->respond(200, listPage({"b"}, ""));
  ListOptions o;
  o.limit = 1;
  auto r = client_->list(resources::configMaps, "ml", o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(names(r.value().items), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(request(2).target, "/api/v1/namespaces/ml/configmaps?limit=1&continue=c1");
  EXPECT_EQ(delays_.size(), 1u);
}

TEST_F(RestClientTest, ListOfABodyWithoutMetadataIsNotACrash) {
  fake_->respond(200, R"({"items":[{"metadata":{"name":"a"}}]})");
  auto r = client_->list(resources::configMaps, "ml");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(names(r.value().items), std::vector<std::string>{"a"});
  EXPECT_EQ(r.value().resourceVersion, "");
}

// ---- watch events -----------------------------------------------------------------------

TEST_F(RestClientTest, WatchParsesEventsInOrderAndEndsWithNullopt) {
  fake_->respondStream(
      200, {
               R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}})",
               "",  // keep-alive blank lines are skipped
               R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"12"}}})",
               R"({"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"13"}}})",
               R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"20"}}})",
           });
  auto w = client_->watch(resources::pods, "ml", WatchOptions{});
  ASSERT_TRUE(w) << w.error().message;
  auto& stream = *w.value();

  std::vector<std::pair<std::string, std::string>> got;
  for (;;) {
    auto ev = stream.next();
    ASSERT_TRUE(ev) << ev.error().message;
    if (!ev.value()) break;
    got.emplace_back(ev.value()->type,
                     ev.value()->object.at("metadata").at("resourceVersion").as_string());
  }
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"ADDED", "11"}, {"MODIFIED", "12"}, {"DELETED", "13"}, {"BOOKMARK", "20"}}));
  // Still ended afterwards.
  auto again = stream.next();
  ASSERT_TRUE(again);
  EXPECT_FALSE(again.value().has_value());
}

TEST_F(RestClientTest, WatchErrorEventCarriesTheStatus) {
  fake_->respondStream(
      200, {R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})"});
  auto w = client_->watch(resources::pods, "ml", WatchOptions{});
  ASSERT_TRUE(w);
  auto ev = w.value()->next();
  ASSERT_TRUE(ev);
  ASSERT_TRUE(ev.value().has_value());
  EXPECT_EQ(ev.value()->type, "ERROR");
  EXPECT_EQ(ev.value()->object.at("code").as_integer(), 410);
}

TEST_F(RestClientTest, WatchUndecodableLineIsAnError) {
  fake_->respondStream(200, {"{not json", R"({"object":{}})"});
  auto w = client_->watch(resources::pods, "ml", WatchOptions{});
  ASSERT_TRUE(w);
  auto bad = w.value()->next();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("undecodable"), std::string::npos);
  auto noType = w.value()->next();
  ASSERT_FALSE(noType);
}

}  // namespace
