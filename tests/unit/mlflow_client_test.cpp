// The MLflow client's requests and its reading of replies, against a scripted transport
// (tests/integration/mlflow_client_test.cpp runs it against a real MLflow server).
#include <gtest/gtest.h>

#include "fake_transport.h"
#include "mlflow/client.h"

namespace mlmodel {
namespace {

struct Fixture {
  testutil::FakeTransport* fake = nullptr;
  std::string base;
  std::unique_ptr<mlflow::Client> client;
};

Fixture make(mlflow::ClientOptions o) {
  Fixture f;
  auto c =
      mlflow::Client::create(std::move(o), [&f](const std::string& base, const http::TlsOptions&) {
        auto t = std::make_unique<testutil::FakeTransport>();
        f.fake = t.get();
        f.base = base;
        return std::unique_ptr<http::Transport>(std::move(t));
      });
  EXPECT_TRUE(c) << c.error().message;
  if (c) f.client = std::move(c.value());
  return f;
}

constexpr const char* kVersion = R"({"model_version":{"name":"fraud","version":"7",
  "status":"READY","run_id":"abc","source":"s3://m/7","tags":[{"key":"image","value":"reg/fraud:7"}],
  "aliases":["champion"]}})";

TEST(MlflowClient, AskForAnAliasUnderThePathPrefixWithABearerToken) {
  auto f = make({.address = "https://mlflow.example/team-a/", .bearerToken = "t0k"});
  EXPECT_EQ(f.base, "https://mlflow.example");
  f.fake->respond(200, kVersion);
  auto v = f.client->byAlias("fraud detector", "champion");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->tag("image"), "reg/fraud:7");
  const auto r = f.fake->requests().at(0);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target,
            "/team-a/api/2.0/mlflow/registered-models/alias?name=fraud%20detector&alias=champion");
  EXPECT_EQ(r.headers.at("Authorization"), "Bearer t0k");
}

TEST(MlflowClient, BasicAuthAndATagWrittenAsJson) {
  auto f = make({.address = "http://mlflow:5000", .username = "ops", .password = "pw"});
  f.fake->respond(200, "{}");
  ASSERT_TRUE(f.client->setTag("fraud", "7", "serving.mlops.dev/ml/fraud", "Promoted at t"));
  const auto r = f.fake->requests().at(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/api/2.0/mlflow/model-versions/set-tag");
  EXPECT_EQ(r.headers.at("Authorization"), "Basic b3BzOnB3");
  EXPECT_EQ(r.headers.at("Content-Type"), "application/json");
  EXPECT_EQ(web::json::value::parse(r.body).at("key").as_string(), "serving.mlops.dev/ml/fraud");
}

TEST(MlflowClient, FailuresHaveReasonsAndNeverQuoteTheReply) {
  auto f = make({.address = "http://mlflow:5000"});
  f.fake->respond(401, R"({"error_code":"UNAUTHENTICATED","message":"secret internal detail"})");
  f.fake->respond(503, "<html>upstream secret-host.internal down</html>");
  f.fake->respond(200, R"({"model_version":{"status":"READY"}})");
  f.fake->fail("connection refused");
  f.fake->respond(404, R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Model x"})");
  std::vector<std::pair<std::string, std::string>> got;
  for (int i = 0; i < 5; ++i) {
    auto v = f.client->byAlias("fraud", "champion");
    ASSERT_FALSE(v);
    got.emplace_back(v.error().reason, v.error().message);
    EXPECT_EQ(v.error().message.find("secret"), std::string::npos) << v.error().message;
  }
  EXPECT_EQ(got[0].first, mlflow::kReasonUnauthorized);
  EXPECT_NE(got[0].second.find("HTTP 401 UNAUTHENTICATED"), std::string::npos) << got[0].second;
  EXPECT_NE(got[0].second.find("it wants credentials (authSecretRef)"), std::string::npos);
  EXPECT_EQ(got[1].first, mlflow::kReasonUnavailable);
  EXPECT_EQ(got[1].second,
            "MLflow http://mlflow:5000 failed alias champion of registered model fraud (HTTP 503)");
  EXPECT_EQ(got[2].first, mlflow::kReasonUnavailable);  // a version without name and number
  EXPECT_EQ(got[3].first, mlflow::kReasonUnavailable);
  EXPECT_EQ(got[4].first, mlflow::kReasonModelNotFound);
}

TEST(MlflowClient, ABadAddressOrTwoKindsOfCredentialsAreRefusedAtOnce) {
  EXPECT_EQ(mlflow::Client::create({.address = "mlflow:5000"}).error().reason,
            mlflow::kReasonInvalid);
  EXPECT_EQ(mlflow::Client::create({.address = "http://u:p@mlflow:5000"}).error().reason,
            mlflow::kReasonInvalid);
  EXPECT_EQ(
      mlflow::Client::create({.address = "https://mlflow", .bearerToken = "t", .username = "u"})
          .error()
          .reason,
      mlflow::kReasonInvalid);
}

TEST(MlflowClient, WhatCannotBeAnMlflowVersionIsRefusedAndLongFieldsAreDropped) {
  EXPECT_FALSE(
      mlflow::decodeModelVersion(web::json::value::parse(R"({"name":"f","version":"v7"})")));
  EXPECT_FALSE(
      mlflow::decodeModelVersion(web::json::value::parse(R"({"name":"f","version":"07"})")));
  auto big = web::json::value::parse(R"({"name":"f","version":"7","run_id":"r"})");
  big["source"] = web::json::value::string(std::string(5000, 's'));
  auto v = mlflow::decodeModelVersion(big);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->runId, "r");
  EXPECT_EQ(v->source, "");
}

}  // namespace
}  // namespace mlmodel
