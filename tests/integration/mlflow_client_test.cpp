// The MLflow client against a real MLflow tracking server (mlflow from PyPI, SQLite store,
// loopback), started by tests/integration/mlflow.sh, which passes its URL in MLFLOW_URL.
// Models and versions are registered over MLflow's REST API as a data scientist's
// `mlflow.register_model` would.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "core/json_read.h"
#include "mlflow/client.h"

namespace mlmodel {
namespace {

using Json = web::json::value;

std::string mlflowUrl() {
  const char* v = std::getenv("MLFLOW_URL");
  return v ? v : "";
}

class MlflowClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(mlflowUrl().empty())
        << "MLFLOW_URL is not set: run through tests/integration/mlflow.sh";
    raw = http::makeTransport(mlflowUrl(), {});
    auto c = mlflow::Client::create({.address = mlflowUrl()});
    ASSERT_TRUE(c) << c.error().message;
    client = std::move(c.value());
    model = "fraud-" + std::to_string(std::random_device{}());
    ASSERT_EQ(post("registered-models/create", R"({"name":")" + model + R"("})"), 200);
  }

  // POSTs to MLflow's REST API; the HTTP status.
  int post(const std::string& path, const std::string& body) {
    http::Request r;
    r.method = "POST";
    r.target = "/api/2.0/mlflow/" + path;
    r.headers["Content-Type"] = "application/json";
    r.body = body;
    auto resp = raw->send(r);
    EXPECT_TRUE(resp) << resp.error().message;
    return resp ? resp->status : 0;
  }

  void addVersion(const std::string& run, const std::string& image) {
    Json b = Json::object();
    b["name"] = Json::string(model);
    b["source"] = Json::string("s3://models/" + run);
    b["run_id"] = Json::string(run);
    if (!image.empty()) {
      Json tag = Json::object();
      tag["key"] = Json::string("image");
      tag["value"] = Json::string(image);
      b["tags"] = Json::array({tag});
    }
    ASSERT_EQ(post("model-versions/create", b.serialize()), 200);
  }

  void setAlias(const std::string& alias, const std::string& version) {
    ASSERT_EQ(post("registered-models/alias", R"({"name":")" + model + R"(","alias":")" + alias +
                                                  R"(","version":")" + version + R"("})"),
              200);
  }

  std::unique_ptr<http::Transport> raw;
  std::unique_ptr<mlflow::Client> client;
  std::string model;
};

TEST_F(MlflowClientTest, AnAliasResolvesToItsVersionWithTagsRunAndSource) {
  addVersion("run-a", "reg:5000/models/fraud:1");
  addVersion("run-b", "reg:5000/models/fraud:2");
  setAlias("champion", "1");
  auto v = client->byAlias(model, "champion");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->name, model);
  EXPECT_EQ(v->version, "1");
  EXPECT_EQ(v->status, "READY");
  EXPECT_EQ(v->runId, "run-a");
  EXPECT_EQ(v->source, "s3://models/run-a");
  EXPECT_EQ(v->tag("image"), "reg:5000/models/fraud:1");
  EXPECT_EQ(v->aliases, std::vector<std::string>{"champion"});

  setAlias("champion", "2");  // the alias moves
  v = client->byAlias(model, "champion");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->version, "2");
  EXPECT_EQ(v->tag("image"), "reg:5000/models/fraud:2");
}

TEST_F(MlflowClientTest, MissingModelsAliasesAndVersionsAreToldApart) {
  addVersion("run-a", "");
  auto alias = client->byAlias(model, "champion");
  ASSERT_FALSE(alias);
  EXPECT_EQ(alias.error().reason, mlflow::kReasonAliasNotFound) << alias.error().message;
  auto noModel = client->byAlias(model + "-nope", "champion");
  ASSERT_FALSE(noModel);
  EXPECT_EQ(noModel.error().reason, mlflow::kReasonModelNotFound) << noModel.error().message;
  auto noVersion = client->byVersion(model, "9");
  ASSERT_FALSE(noVersion);
  EXPECT_EQ(noVersion.error().reason, mlflow::kReasonVersionNotFound);
  EXPECT_EQ(noVersion.error().message, "MLflow " + mlflowUrl() +
                                           ": version 9 of registered model " + model +
                                           " not found (HTTP 404 RESOURCE_DOES_NOT_EXIST)");
  auto one = client->byVersion(model, "1");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->tag("image"), "");  // registered without one
}

TEST_F(MlflowClientTest, ATagWrittenBackIsOnTheVersion) {
  addVersion("run-a", "reg:5000/models/fraud:1");
  const std::string key = "serving.mlops.dev/ml/fraud";
  ASSERT_TRUE(client->setTag(model, "1", key, "Promoted at 2026-11-30T00:00:00Z"));
  ASSERT_TRUE(client->setTag(model, "1", key, "RolledBack at 2026-11-30T01:00:00Z"));  // replaced
  auto v = client->byVersion(model, "1");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->tag(key), "RolledBack at 2026-11-30T01:00:00Z");
  auto missing = client->setTag(model, "9", key, "x");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, mlflow::kReasonVersionNotFound);
}

TEST_F(MlflowClientTest, AServerThatIsNotListeningIsUnavailable) {
  // MLflow's own port with the last digit changed is not ours to guess: a port we bound and
  // closed is certain to refuse.
  auto c = mlflow::Client::create({.address = "http://127.0.0.1:1"});
  ASSERT_TRUE(c);
  auto v = c.value()->byAlias(model, "champion");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().reason, mlflow::kReasonUnavailable);
}

// MLflow's basic-auth app (mlflow[auth]): every request needs credentials.
TEST(MlflowBasicAuth, CredentialsAreSentAndAMissingOrWrongOneIsUnauthorized) {
  const char* url = std::getenv("MLFLOW_AUTH_URL");
  const char* password = std::getenv("MLFLOW_AUTH_PASSWORD");
  ASSERT_TRUE(url && password) << "run through tests/integration/mlflow.sh";
  auto admin = mlflow::Client::create({.address = url, .username = "admin", .password = password});
  ASSERT_TRUE(admin);
  // Authenticated: MLflow looks the model up (there is none).
  auto v = admin.value()->byAlias("fraud", "champion");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().reason, mlflow::kReasonModelNotFound) << v.error().message;

  auto anonymous = mlflow::Client::create({.address = url});
  auto a = anonymous.value()->byAlias("fraud", "champion");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().reason, mlflow::kReasonUnauthorized);
  EXPECT_NE(a.error().message.find("HTTP 401"), std::string::npos) << a.error().message;
  EXPECT_NE(a.error().message.find("it wants credentials (authSecretRef)"), std::string::npos);
  // MLflow's own page of advice is not quoted back.
  EXPECT_EQ(a.error().message.find("authenticat"), std::string::npos) << a.error().message;

  auto wrong = mlflow::Client::create({.address = url, .username = "admin", .password = "nope"});
  auto w = wrong.value()->byAlias("fraud", "champion");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().reason, mlflow::kReasonUnauthorized);
  EXPECT_NE(w.error().message.find("check the credentials in authSecretRef"), std::string::npos);
}

}  // namespace
}  // namespace mlmodel
