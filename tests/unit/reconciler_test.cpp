// The reconciler with fakes: a scripted API server transport, in-memory caches, a fake
// image resolver and a recording event emitter.
#include "controller/reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "controller/desired.h"
#include "controller/trust_policy.h"
#include "fake_transport.h"
#include "mlflow/client.h"

namespace mlmodel {
namespace {

using kube::Json;

class FakeResolver final : public controller::ImageResolver {
 public:
  core::Result<std::string> resolve(const std::string& image, const std::string&,
                                    const Json&) override {
    calls++;
    if (error) return *error;
    last = image;
    return std::string("sha256:") + std::string(64, 'a');
  }
  int calls = 0;
  std::string last;
  std::optional<core::Error> error;
};

// These models have no analysis or monitoring: asking for a Prometheus is a test bug.
class NoProviders final : public rollout::ProviderSource {
 public:
  core::Result<std::shared_ptr<analysis::MetricsProvider>> provider(
      const std::string&, const api::PrometheusRef&) override {
    ADD_FAILURE() << "a model without analysis asked for a metrics provider";
    return core::Error{"no Prometheus in this test"};
  }
};

// Pods as the API server would list them; counts the lists.
class FakePodReader final : public controller::PodReader {
 public:
  core::Result<std::vector<Json>> list(const std::string& ns,
                                       const std::string& selector) override {
    ++lists;
    last = ns + " " + selector;
    return pods;
  }
  std::vector<Json> pods;
  int lists = 0;
  std::string last;
};

// MLflow as the reconciler sees it: one answer per lookup, and the tags written.
class FakeVersions final : public controller::VersionSource {
 public:
  core::Result<mlflow::ModelVersion> lookup(const std::string&,
                                            const api::MlflowSpec& spec) override {
    ++lookups;
    lastAddress = spec.address;
    if (error) return *error;
    return answer;
  }
  core::Status tag(const std::string&, const api::MlflowSpec&, const std::string& version,
                   const std::string& key, const std::string& value) override {
    if (tagError) return *tagError;
    tags.push_back({version, key, value});
    return core::Ok{};
  }
  // Version `v` is READY, made by run `run-<v>`, with its image in the default tag.
  void at(const std::string& v) {
    answer = {"fraud",
              v,
              "READY",
              "run-" + v,
              "s3://models/fraud/" + v,
              {{"image", "reg:5000/models/fraud:" + v}},
              {"champion"}};
  }
  mlflow::ModelVersion answer;
  std::optional<core::Error> error, tagError;
  struct Tag {
    std::string version, key, value;
  };
  std::vector<Tag> tags;
  int lookups = 0;
  std::string lastAddress;
};

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() {
    auto t = std::make_unique<testutil::FakeTransport>();
    transport = t.get();
    kube::ClientOptions o;
    o.sleep = [](core::Duration) {};
    o.maxAttempts = 1;
    client = std::make_unique<kube::Client>(std::move(t), nullptr, o);
    deps.client = client.get();
    deps.models = &models;
    deps.deployments = &deployments;
    deps.services = &services;
    deps.resolver = &resolver;
    deps.events = &events;
    deps.clock = &clock;
    deps.providers = &providers;
    deps.versions = &versions;
    reconciler = std::make_unique<controller::Reconciler>(deps);
  }

  void putModel(const std::string& spec, const Json& status = Json::object()) {
    auto m = Json::parse(R"({"apiVersion":"serving.mlops.dev/v1alpha1","kind":"MLModel",
      "metadata":{"name":"fraud","namespace":"ml","uid":"u1","generation":1}})");
    // Every write gives the object a new resourceVersion, as the API server does.
    m["metadata"]["resourceVersion"] = Json::string(std::to_string(++resourceVersion));
    m["spec"] = Json::parse(spec);
    m["status"] = status;
    models.upsert("ml/fraud", m);
  }

  // A Deployment as the cluster would hold it after our apply, rolled out or not.
  // `replicas` is its spec.replicas: the model's, or its own when the model has none.
  void putDeployment(const std::string& image, int ready, int replicas = 2) {
    auto m = api::decodeMLModel(*models.get("ml/fraud")).value();
    if (m.spec.mlflow) {  // what the reconciler resolves: MLflow's current answer
      m.spec.version = versions.answer.version;
      m.spec.image = versions.answer.tag("image");
    }
    api::applyDefaults(m);
    auto d = controller::desiredDeployment(m, image);
    d["metadata"]["generation"] = Json::number(1);
    d["status"] = Json::parse(R"({"observedGeneration":1})");
    d["spec"]["replicas"] = Json::number(replicas);
    for (auto f : {"replicas", "updatedReplicas"}) d["status"][f] = Json::number(replicas);
    for (auto f : {"readyReplicas", "availableReplicas"}) d["status"][f] = Json::number(ready);
    deployments.upsert("ml/fraud", d);
    services.upsert("ml/fraud", controller::desiredService(m));
  }

  // A new model's first reconcile (Deployment, Service, status), then the model as the API
  // server holds it afterwards; returns the status that pass wrote.
  Json firstPass(
      const std::string& spec = R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})") {
    putModel(spec);
    for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
    reconciler->reconcile("ml/fraud");
    auto status = lastStatusPatch();
    putModel(spec, status);
    return status;
  }

  std::vector<std::string> reasons() const {
    std::vector<std::string> out;
    for (auto& e : events.events()) out.push_back(e.reason);
    return out;
  }

  Json lastStatusPatch() const {
    const auto reqs = transport->requests();
    for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) {
      if (it->target.find("/status") != std::string::npos)
        return Json::parse(it->body).at("status");
    }
    return Json::null();
  }

  // The condition `type` in `status`, or null when there is none (or no conditions at all).
  // Assert presence before looking inside: ASSERT_NE(c, nullptr), then c->at(...).
  static const Json* condition(const Json& status, const std::string& type) {
    if (!status.is_object() || !status.has_array_field("conditions")) return nullptr;
    for (const auto& c : status.at("conditions").as_array()) {
      if (c.is_object() && c.has_string_field("type") && c.at("type").as_string() == type) {
        return &c;
      }
    }
    return nullptr;
  }

  // A string field ("status", "reason", "message") of the condition `type`. A missing
  // condition or field gives a text saying so, which no expected value equals: then
  // EXPECT_EQ(conditionField(s, "Ready", "status"), "True") fails and prints why, where
  // condition(...)->at(...) dereferenced null and killed the whole test binary.
  static std::string conditionField(const Json& status, const std::string& type,
                                    const std::string& field) {
    const Json* c = condition(status, type);
    if (!c) return "<no " + type + " condition in " + status.serialize() + ">";
    if (!c->has_string_field(field)) return "<no " + field + " in " + c->serialize() + ">";
    return c->at(field).as_string();
  }

  testutil::FakeTransport* transport;
  controller::ReconcilerDeps deps;
  std::unique_ptr<kube::Client> client;
  kube::Store models, deployments, services;
  FakeResolver resolver;
  kube::RecordingEventEmitter events;
  core::FakeClock clock;
  NoProviders providers;
  FakeVersions versions;
  std::unique_ptr<controller::Reconciler> reconciler;
  int resourceVersion = 4;
};

TEST_F(ReconcilerTest, ANewModelGetsAPinnedDeploymentAServiceAndStatus) {
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})");
  for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kSuccess);
  const auto reqs = transport->requests();
  ASSERT_EQ(reqs.size(), 3u);
  const auto& apply = reqs[0];
  EXPECT_EQ(apply.method, "PATCH");
  EXPECT_EQ(
      apply.target,
      "/apis/apps/v1/namespaces/ml/deployments/fraud?fieldManager=mlmodel-operator&force=true");
  const auto dep = Json::parse(apply.body);
  EXPECT_EQ(dep.at("spec").at("template").at("spec").at("containers").at(0).at("image").as_string(),
            "reg:5000/models/fraud@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(reqs[1].target.rfind("/api/v1/namespaces/ml/services/fraud", 0), 0u);
  const auto status = lastStatusPatch();
  // The Deployment exists from this pass on, whatever the cache has seen.
  EXPECT_EQ(status.at("phase").as_string(), "Progressing");
  EXPECT_EQ(conditionField(status, "Available", "reason"), "Deployment");
  EXPECT_EQ(conditionField(status, "ImageResolved", "status"), "True");
  EXPECT_EQ(conditionField(status, "Ready", "status"), "False");
  EXPECT_EQ(conditionField(status, "Reconciling", "status"), "True");
  EXPECT_EQ(condition(status, "Stalled"), nullptr);  // kstatus: only while True
  EXPECT_EQ(status.at("stable").at("digest").as_string(), "sha256:" + std::string(64, 'a'));
  // A first deployment is told by one Event, ModelReady, once it serves.
  EXPECT_EQ(reasons(), std::vector<std::string>{});
}

TEST_F(ReconcilerTest, TheDeploymentJustCreatedSeenBeforeItReportsChangesNothing) {
  const auto deploying = firstPass();
  ASSERT_EQ(deploying.at("phase").as_string(), "Progressing");  // what must not change
  const auto eventsBefore = reasons();
  // The cache now holds the Deployment as the API server created it: no status yet.
  auto m = api::decodeMLModel(*models.get("ml/fraud")).value();
  api::applyDefaults(m);
  auto d = controller::desiredDeployment(m, "reg:5000/models/fraud@sha256:" + std::string(64, 'a'));
  d["metadata"]["generation"] = Json::number(1);
  deployments.upsert("ml/fraud", d);
  services.upsert("ml/fraud", controller::desiredService(m));
  const auto before = transport->requests().size();
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kSuccess);
  // No apply and no status write: the model stays Progressing as the first pass left it
  // (a Deployment without status is not read as missing, failed or ready).
  EXPECT_EQ(transport->requests().size(), before);
  // Nor is it news: no DeploymentCreated, ModelReady or warning Event.
  EXPECT_EQ(reasons(), eventsBefore);
}

TEST_F(ReconcilerTest, ProgressCountsAreWrittenAtMostEveryTenSecondsTransitionsAtOnce) {
  firstPass();  // its status write starts the interval
  const std::string spec = R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})";
  const std::string pinned = "reg:5000/models/fraud@sha256:" + std::string(64, 'a');
  putDeployment(pinned, 1);  // two pods, one ready: only the counts changed
  const auto before = transport->requests().size();
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kRequeueAfter);
  EXPECT_EQ(r.after, controller::kProgressEvery);
  EXPECT_EQ(transport->requests().size(), before);

  clock.advance(controller::kProgressEvery);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  ASSERT_EQ(transport->requests().size(), before + 1);
  const auto progress = lastStatusPatch();
  EXPECT_EQ(progress.at("readyReplicas").as_integer(), 1);
  EXPECT_EQ(conditionField(progress, "Ready", "status"), "False");
  putModel(spec, progress);

  // Becoming Ready is a transition: written at once, though the last write was just now.
  putDeployment(pinned, 2);
  transport->respond(200, "{}");
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kSuccess);
  ASSERT_EQ(transport->requests().size(), before + 2);
  EXPECT_EQ(conditionField(lastStatusPatch(), "Ready", "status"), "True");
}

TEST_F(ReconcilerTest, AFailingApplyIsWrittenAsItComesAndKeepsItsRetryBackoff) {
  const std::string spec = R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})";
  firstPass();
  // The API server refuses the Deployment twice, with two different messages, within the
  // progress interval: both are written, and both passes ask for a retry with backoff.
  for (const char* quota : {"quota A exceeded", "quota B exceeded"}) {
    transport->respond(403,
                       std::string(R"({"kind":"Status","status":"Failure","reason":"Forbidden",)") +
                           R"("code":403,"message":")" + quota + R"("})");
    transport->respond(200, "{}");  // the Service
    transport->respond(200, "{}");  // the status
    EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kRetry);
    const auto status = lastStatusPatch();
    const auto* reconciling = condition(status, "Reconciling");
    ASSERT_NE(reconciling, nullptr);
    EXPECT_EQ(reconciling->at("reason").as_string(), "ApplyFailed");
    EXPECT_NE(reconciling->at("message").as_string().find(quota), std::string::npos)
        << reconciling->at("message").as_string();
    putModel(spec, status);
  }
}

TEST_F(ReconcilerTest, AnObjectTheApiServerRefusesStallsTheModelWithItsWords) {
  firstPass();
  const std::string refusal =
      R"(failed to create typed patch object (ml/fraud; apps/v1, Kind=Deployment): )"
      R"(.spec.template.spec.containers[name=\"model-server\"].securityContext.runAsNonRot: )"
      R"(field not declared in schema)";
  // As the API server answers it (kubernetes/kubernetes#139253): 500, without a reason.
  transport->respond(
      500, R"({"kind":"Status","status":"Failure","code":500,"message":")" + refusal + R"("})");
  transport->respond(200, "{}");  // the Service
  transport->respond(200, "{}");  // the status
  const auto before = transport->requests().size();
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kRetry);
  EXPECT_EQ(transport->requests().size(), before + 3) << "the refused apply is not sent again";
  const auto said = reasons();
  EXPECT_NE(std::find(said.begin(), said.end(), "ApplyRejected"), said.end());
  const auto status = lastStatusPatch();
  const auto* stalled = condition(status, "Stalled");
  ASSERT_NE(stalled, nullptr);
  EXPECT_EQ(stalled->at("reason").as_string(), "ApplyRejected");
  EXPECT_NE(stalled->at("message").as_string().find("securityContext.runAsNonRot"),
            std::string::npos)
      << stalled->at("message").as_string();
  EXPECT_EQ(condition(status, "Reconciling"), nullptr) << "kstatus: the model is stuck, not busy";
  EXPECT_EQ(conditionField(status, "Ready", "status"), "False");
}

TEST_F(ReconcilerTest, FirstDeploymentHasOneEventAndARecreatedDeploymentItsOwn) {
  const auto deploying = firstPass();
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(reasons(), std::vector<std::string>{"ModelReady"});
  // Someone deletes the Deployment: putting it back is news.
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})", deploying);
  deployments.erase("ml/fraud");
  for (int i = 0; i < 2; ++i) transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(reasons(), (std::vector<std::string>{"ModelReady", "DeploymentCreated"}));
}

TEST_F(ReconcilerTest, AFirstDeploymentThatNeverBecomesAvailableStallsWithAWarningEvent) {
  const auto deploying = firstPass();
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 0);
  auto d = *deployments.get("ml/fraud");
  d["status"]["conditions"] = Json::parse(
      R"([{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded",
           "message":"ReplicaSet \"fraud-5d4\" has timed out progressing."}])");
  deployments.upsert("ml/fraud", d);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  const auto stalled = lastStatusPatch();
  EXPECT_EQ(conditionField(stalled, "Stalled", "status"), "True");
  EXPECT_EQ(conditionField(stalled, "Stalled", "reason"), "ProgressDeadlineExceeded");
  ASSERT_EQ(events.events().size(), 1u);
  EXPECT_EQ(events.events()[0].reason, "ProgressDeadlineExceeded");
  EXPECT_EQ(events.events()[0].type, kube::EventType::kWarning);
  // Still stalled on the next pass: no second Event.
  auto merged = deploying;
  for (const auto& [k, v] : stalled.as_object()) merged[k] = v;
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})", merged);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(events.events().size(), 1u);
}

TEST_F(ReconcilerTest, AModelThatIsAlreadyRightCausesNoWrite) {
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})");
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  transport->respond(200, "{}");  // the status patch of the first pass
  reconciler->reconcile("ml/fraud");
  auto status = lastStatusPatch();
  EXPECT_EQ(status.at("phase").as_string(), "Ready");
  EXPECT_EQ(conditionField(status, "Ready", "status"), "True");
  EXPECT_EQ(resolver.calls, 1);
  // The API server now holds that status: a second pass reads it and does nothing at all.
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})", status);
  const size_t before = transport->requests().size();
  clock.advance(std::chrono::minutes(5));
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kSuccess);
  EXPECT_EQ(transport->requests().size(), before);
  EXPECT_EQ(resolver.calls, 1);  // the digest in status is reused, not resolved again
}

TEST_F(ReconcilerTest, AHandEditedImageIsAppliedBack) {
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})");
  putDeployment("nginx:hand-edit", 2);
  transport->respond(200, "{}");
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  const auto reqs = transport->requests();
  ASSERT_EQ(reqs.size(), 2u);  // the Deployment and the (first) status; the Service was right
  EXPECT_NE(reqs[0].target.find("/deployments/fraud"), std::string::npos);
  EXPECT_NE(reqs[1].target.find("/mlmodels/fraud/status"), std::string::npos);
  EXPECT_EQ(Json::parse(reqs[0].body)
                .at("spec")
                .at("template")
                .at("spec")
                .at("containers")
                .at(0)
                .at("image")
                .as_string(),
            "reg:5000/models/fraud@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(reasons(), std::vector<std::string>{"DeploymentUpdated"});
}

TEST_F(ReconcilerTest, AnUnknownTagStallsWithTheImageNamedAndTouchesNothing) {
  putModel(R"({"image":"reg:5000/models/fraud:9.9.9"})");
  resolver.error =
      core::Error{"image reg:5000/models/fraud:9.9.9: tag not found", 404, "ManifestUnknown"};
  transport->respond(200, "{}");
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kRetry);  // with backoff, in case it is pushed
  ASSERT_EQ(transport->requests().size(), 1u);        // the status, nothing else
  auto status = lastStatusPatch();
  EXPECT_EQ(status.at("phase").as_string(), "Failed");
  EXPECT_EQ(conditionField(status, "Stalled", "status"), "True");
  const auto* resolved = condition(status, "ImageResolved");
  ASSERT_NE(resolved, nullptr) << status.serialize();
  EXPECT_EQ(resolved->at("status").as_string(), "False");
  EXPECT_EQ(resolved->at("reason").as_string(), "ManifestUnknown");
  EXPECT_NE(resolved->at("message").as_string().find("reg:5000/models/fraud:9.9.9"),
            std::string::npos);
  ASSERT_FALSE(events.events().empty());
  EXPECT_EQ(events.events().back().type, kube::EventType::kWarning);
  EXPECT_EQ(events.events().back().reason, "ImageResolutionFailed");
}

TEST_F(ReconcilerTest, AnUnreachableRegistryKeepsTheRunningVersionAndKeepsTrying) {
  const std::string running = "reg:5000/models/fraud@sha256:" + std::string(64, 'a');
  auto stable =
      Json::parse(R"({"stable":{"version":"1.0.0","image":"reg:5000/models/fraud:1.0.0"}})");
  stable["stable"]["digest"] = Json::string("sha256:" + std::string(64, 'a'));
  putModel(R"({"image":"reg:5000/models/fraud:2.0.0","replicas":2})", stable);
  putDeployment(running, 2);
  resolver.error = core::Error{"registry reg:5000 is unreachable", 0, "RegistryUnavailable"};
  transport->respond(200, "{}");
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kRetry);
  ASSERT_EQ(transport->requests().size(), 1u);  // no apply: the Deployment stays as it is
  auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "Reconciling", "reason"), "RegistryUnavailable");
  EXPECT_EQ(condition(status, "Stalled"), nullptr);
  EXPECT_EQ(status.at("stable").at("version").as_string(), "1.0.0");
}

TEST_F(ReconcilerTest, AWrongTypeThatSlippedThroughIsReportedNotRetried) {
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","port":"http"})");
  transport->respond(200, "{}");
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kSuccess);
  auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "Stalled", "reason"), "InvalidSpec");
  EXPECT_EQ(conditionField(status, "Stalled", "message"),
            "spec.port: expected an integer, got a string");
  // Conditional on the version read, as every status write.
  const auto patch = Json::parse(transport->requests().back().body);
  EXPECT_EQ(patch.at("metadata").at("resourceVersion").as_string(),
            models.get("ml/fraud")->at("metadata").at("resourceVersion").as_string());
  EXPECT_EQ(reasons(), std::vector<std::string>{"InvalidSpec"});
}

// The administrator's policy refuses before anything is applied: what runs keeps running,
// and status and an Event say why, with the policy's own reason.
TEST_F(ReconcilerTest, AModelOutsideTheTrustPolicyIsRefusedAndTouchesNothing) {
  controller::TrustPolicy policy;
  policy.registries = registry::AllowedRegistries::parse({"reg:5000/models"}).value();
  policy.prometheus = core::AllowedUrls::parse({"http://prometheus:9090"}).value();
  deps.policy = &policy;
  reconciler = std::make_unique<controller::Reconciler>(deps);
  firstPass();  // reg:5000/models/fraud is allowed
  ASSERT_EQ(condition(lastStatusPatch(), "Stalled"), nullptr);
  const size_t before = transport->requests().size();

  putModel(R"({"image":"evil.example/miner:1","replicas":2})", lastStatusPatch());
  transport->respond(200, "{}");
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kSuccess);
  ASSERT_EQ(transport->requests().size(), before + 1);  // the status only
  auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "Stalled", "reason"), "RegistryNotAllowed");
  EXPECT_EQ(conditionField(status, "Ready", "reason"), "RegistryNotAllowed");
  EXPECT_NE(conditionField(status, "Stalled", "message")
                .find("spec.image: evil.example/miner is not in a registry this operator may "
                      "pull from (allowed: reg:5000/models)"),
            std::string::npos);
  EXPECT_EQ(status.at("stable").at("version").as_string(), "1.0.0");
  EXPECT_EQ(reasons().back(), "RegistryNotAllowed");

  putModel(R"({"image":"reg:5000/models/fraud:2.0.0","replicas":2,"monitoring":{"enabled":true,
    "prometheus":{"address":"http://kubernetes.default:443"},
    "metrics":[{"name":"e","query":"q","max":1}]}})",
           status);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(conditionField(lastStatusPatch(), "Stalled", "reason"), "PrometheusNotAllowed");
  EXPECT_EQ(resolver.calls, 1);  // no image resolved for a refused model
}

// The apply of the named Deployment among the requests, or null.
std::optional<Json> appliedDeployment(const std::vector<http::Request>& reqs,
                                      const std::string& name) {
  const std::string target = "/apis/apps/v1/namespaces/ml/deployments/" + name + "?";
  for (const auto& r : reqs) {
    if (r.method == "PATCH" && r.target.rfind(target, 0) == 0) return Json::parse(r.body);
  }
  return std::nullopt;
}

// The CRD defaults spec.replicas to 1, but a model stored under an older CRD (or read by a
// client that skips defaulting) may have none: the Deployment's own count then rules.
TEST_F(ReconcilerTest, AModelWithoutReplicasIsReadyAtItsDeploymentsOwnCount) {
  const std::string spec = R"({"image":"reg:5000/models/fraud:1.0.0"})";
  firstPass(spec);
  const auto applied = appliedDeployment(transport->requests(), "fraud");
  ASSERT_TRUE(applied.has_value());
  EXPECT_FALSE(applied->at("spec").has_field("replicas")) << "replicas are the Deployment's own";

  // Its owner (an HPA, kubectl scale) runs it at 3, all available.
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 3, 3);
  const auto before = transport->requests().size();
  transport->respond(200, "{}");
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kSuccess);
  ASSERT_EQ(transport->requests().size(), before + 1) << "only the status is written";
  const auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "Ready", "status"), "True");
  EXPECT_EQ(condition(status, "Reconciling"), nullptr);
  EXPECT_EQ(status.at("phase").as_string(), "Ready");
  EXPECT_EQ(status.at("replicas").as_integer(), 3);
  EXPECT_EQ(status.at("readyReplicas").as_integer(), 3);
  EXPECT_EQ(conditionField(status, "Available", "message"), "3 of 3 replicas available");
}

TEST_F(ReconcilerTest, AModelWithoutReplicasStillRollingOutSaysHowManyOfTheDeploymentsCount) {
  firstPass(R"({"image":"reg:5000/models/fraud:1.0.0"})");
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 1, 3);
  clock.advance(controller::kProgressEvery);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  const auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "Ready", "status"), "False");
  EXPECT_EQ(conditionField(status, "Reconciling", "message"), "1 of 3 replicas ready");
}

TEST_F(ReconcilerTest, ACanaryOfAModelWithoutReplicasIsSizedFromTheStableDeployment) {
  const std::string rollout =
      R"("rollout":{"canary":{"steps":[{"weight":25,"pause":"1m"},{"weight":50,"pause":"1m"}]}})";
  const std::string v1 = R"({"image":"reg:5000/models/fraud:1.0.0",)" + rollout + "}";
  const auto status = firstPass(v1);
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 3, 3);
  // v2: the stable Deployment runs 3 pods, so step 1 (25%) gets round(3 * 25 / 75) = 1.
  putModel(R"({"image":"reg:5000/models/fraud:2.0.0",)" + rollout + "}", status);
  const auto before = transport->requests().size();
  for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  auto reqs = transport->requests();
  reqs.erase(reqs.begin(), reqs.begin() + static_cast<long>(before));
  EXPECT_FALSE(appliedDeployment(reqs, "fraud").has_value()) << "stable is left alone";
  const auto canary = appliedDeployment(reqs, "fraud-canary");
  ASSERT_TRUE(canary.has_value());
  EXPECT_EQ(canary->at("spec").at("replicas").as_integer(), 1);
  EXPECT_EQ(lastStatusPatch().at("canary").at("weight").as_integer(), 25);
}

TEST_F(ReconcilerTest, AnImageGivenByDigestIsNotResolvedAndItsDigestIsRecorded) {
  const std::string pinned = "reg:5000/models/fraud@sha256:" + std::string(64, 'b');
  const auto status = firstPass(R"({"image":")" + pinned + R"(","replicas":2})");
  EXPECT_EQ(resolver.calls, 0) << "nothing to ask the registry";
  const auto applied = appliedDeployment(transport->requests(), "fraud");
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(
      applied->at("spec").at("template").at("spec").at("containers").at(0).at("image").as_string(),
      pinned);
  EXPECT_EQ(status.at("stable").at("digest").as_string(), "sha256:" + std::string(64, 'b'));
  EXPECT_EQ(status.at("history").at(0).at("digest").as_string(), "sha256:" + std::string(64, 'b'));
}

// A pod of the model whose container waits for `reason`.
Json waitingPod(const std::string& name, const std::string& reason, const std::string& message) {
  Json pod = Json::parse(R"({"metadata":{"namespace":"ml"},"status":{"containerStatuses":[
    {"name":"server","ready":false,"state":{"waiting":{}}}]}})");
  pod["metadata"]["name"] = Json::string(name);
  auto& waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"];
  waiting["reason"] = Json::string(reason);
  waiting["message"] = Json::string(message);
  return pod;
}

TEST_F(ReconcilerTest, PodsThatCannotPullTheirImageAreNamedInTheConditionsAndAnEvent) {
  FakePodReader pods;
  deps.pods = &pods;
  reconciler = std::make_unique<controller::Reconciler>(deps);
  firstPass();
  const std::string pinned = "reg:5000/models/fraud@sha256:" + std::string(64, 'a');
  putDeployment(pinned, 0);  // created, never available
  pods.pods = {
      waitingPod("fraud-1", "ContainerCreating", ""),
      waitingPod("fraud-0", "ImagePullBackOff", "Back-off pulling image \"" + pinned + "\"")};

  // A rollout is given kPodCheckAfter before its pods are looked at.
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(pods.lists, 0);
  ASSERT_EQ(r.kind, kube::WorkResult::Kind::kRequeueAfter);
  EXPECT_LE(r.after, controller::kPodCheckAfter);

  clock.advance(controller::kPodCheckAfter);
  transport->respond(200, "{}");
  r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(pods.lists, 1);
  EXPECT_EQ(pods.last, "ml serving.mlops.dev/model=fraud");
  const auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "Reconciling", "reason"), "ImagePullBackOff");
  EXPECT_EQ(
      conditionField(status, "Reconciling", "message"),
      "pod fraud-0: container server: ImagePullBackOff: Back-off pulling image \"" + pinned + "\"");
  EXPECT_EQ(conditionField(status, "Ready", "reason"), "ImagePullBackOff");
  ASSERT_FALSE(events.events().empty());
  EXPECT_EQ(events.events().back().reason, "ImagePullBackOff");
  EXPECT_EQ(events.events().back().type, kube::EventType::kWarning);
  ASSERT_EQ(r.kind, kube::WorkResult::Kind::kRequeueAfter)
      << "the pods do not say when they change";
  EXPECT_EQ(r.after, controller::kPodCheckEvery);

  // Passes in between keep the answer without asking again, and write nothing new.
  putModel(R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2})", status);
  const auto before = transport->requests().size();
  clock.advance(std::chrono::seconds(5));
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(pods.lists, 1);
  EXPECT_EQ(transport->requests().size(), before);
  EXPECT_EQ(events.events().size(), 1u) << "one Warning for the reason, not one per pass";

  // Fixed (say, the image pushed): available, the problem is gone from status.
  putDeployment(pinned, 2);
  transport->respond(200, "{}");
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kSuccess);
  EXPECT_EQ(conditionField(lastStatusPatch(), "Ready", "status"), "True");
  EXPECT_EQ(condition(lastStatusPatch(), "Reconciling"), nullptr);
}

TEST_F(ReconcilerTest, PodsStillStartingAreProgressNotAProblem) {
  FakePodReader pods;
  deps.pods = &pods;
  reconciler = std::make_unique<controller::Reconciler>(deps);
  firstPass();
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 0);
  pods.pods = {waitingPod("fraud-0", "ContainerCreating", "")};
  reconciler->reconcile("ml/fraud");
  clock.advance(controller::kPodCheckAfter);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(pods.lists, 1);
  EXPECT_EQ(conditionField(lastStatusPatch(), "Reconciling", "reason"), "RollingOut");
  EXPECT_EQ(reasons(), std::vector<std::string>{});
}

constexpr const char* kAliasSpec =
    R"({"replicas":2,"mlflow":{"address":"http://mlflow:5000","model":"fraud","alias":"champion",
        "interval":"1m","writeBack":true}})";

std::string containerImage(const Json& deployment) {
  return deployment.at("spec")
      .at("template")
      .at("spec")
      .at("containers")
      .at(0)
      .at("image")
      .as_string();
}

TEST_F(ReconcilerTest, AModelFromAnMlflowAliasRunsThatVersionsImageAndRecordsWhereItCameFrom) {
  versions.at("7");
  const auto status = firstPass(kAliasSpec);
  auto dep = appliedDeployment(transport->requests(), "fraud");
  ASSERT_TRUE(dep);
  EXPECT_EQ(containerImage(*dep), "reg:5000/models/fraud@sha256:" + std::string(64, 'a'));
  EXPECT_EQ(resolver.last, "reg:5000/models/fraud:7");  // the tag's image, then pinned
  EXPECT_EQ(status.at("mlflow").at("version").as_string(), "7");
  EXPECT_EQ(status.at("mlflow").at("alias").as_string(), "champion");
  EXPECT_EQ(status.at("mlflow").at("runId").as_string(), "run-7");
  EXPECT_EQ(status.at("stable").at("version").as_string(), "7");
  EXPECT_EQ(status.at("stable").at("mlflow").at("source").as_string(), "s3://models/fraud/7");
  EXPECT_EQ(status.at("history").at(0).at("mlflow").at("runId").as_string(), "run-7");
  EXPECT_EQ(conditionField(status, "VersionResolved", "status"), "True");
  EXPECT_EQ(conditionField(status, "VersionResolved", "message"),
            "alias champion of fraud is version 7 (reg:5000/models/fraud:7)");
}

TEST_F(ReconcilerTest, TheAliasIsReadAgainOnItsIntervalAndAMoveRollsOutTheNewVersion) {
  versions.at("7");
  firstPass(kAliasSpec);
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  clock.advance(std::chrono::seconds(11));  // past the progress-write throttle
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  ASSERT_EQ(conditionField(lastStatusPatch(), "Ready", "status"), "True");
  putModel(kAliasSpec, lastStatusPatch());
  auto r = reconciler->reconcile("ml/fraud");
  // Settled: the next read of the alias is planned, within a tenth past the interval.
  ASSERT_EQ(r.kind, kube::WorkResult::Kind::kRequeueAfter);
  EXPECT_GE(r.after, std::chrono::minutes(1));
  EXPECT_LT(r.after, std::chrono::seconds(66));
  putModel(kAliasSpec, lastStatusPatch());

  versions.at("8");
  const size_t before = transport->requests().size();
  for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  const auto all = transport->requests();
  const std::vector<http::Request> reqs(all.begin() + static_cast<long>(before), all.end());
  auto dep = appliedDeployment(reqs, "fraud");
  ASSERT_TRUE(dep) << "the new version is applied (no canary configured: a rolling update)";
  const auto status = lastStatusPatch();
  EXPECT_EQ(status.at("mlflow").at("version").as_string(), "8");
  EXPECT_EQ(status.at("history").as_array().size(), 2u);
  EXPECT_EQ(status.at("history").at(1).at("mlflow").at("version").as_string(), "8");
  ASSERT_FALSE(events.events().empty());
  bool moved = false;
  for (const auto& e : events.events()) {
    if (e.reason == "AliasMoved") {
      moved = true;
      EXPECT_EQ(e.note,
                "alias champion of fraud moved from version 7 to 8 (reg:5000/models/fraud:8)");
    }
  }
  EXPECT_TRUE(moved);
}

TEST_F(ReconcilerTest, MlflowDownKeepsTheLastVersionRunningAndSaysSo) {
  versions.at("7");
  firstPass(kAliasSpec);
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  versions.error =
      core::Error{"MLflow http://mlflow:5000 is unreachable", 0, mlflow::kReasonUnavailable};
  const size_t before = transport->requests().size();
  transport->respond(200, "{}");
  auto r = reconciler->reconcile("ml/fraud");
  // Asked again within the interval (30 s at most), not on a growing backoff that would
  // also hold up the plan's own steps.
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kRequeueAfter);
  EXPECT_LE(r.after, std::chrono::seconds(30));
  const auto all = transport->requests();
  const std::vector<http::Request> reqs(all.begin() + static_cast<long>(before), all.end());
  EXPECT_FALSE(appliedDeployment(reqs, "fraud")) << "the running Deployment is left alone";
  const auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "VersionResolved", "reason"), "ModelRegistryUnavailable");
  EXPECT_NE(conditionField(status, "VersionResolved", "message").find("version 7 keeps running"),
            std::string::npos);
  EXPECT_EQ(conditionField(status, "Ready", "status"), "True");  // it still serves
  EXPECT_EQ(status.at("mlflow").at("version").as_string(), "7");
  const auto said = reasons();
  EXPECT_EQ(std::count(said.begin(), said.end(), "ModelRegistryUnavailable"), 1);
}

TEST_F(ReconcilerTest, AnAliasThatNeverResolvedAppliesNothingAndStalls) {
  versions.error = core::Error{
      "MLflow http://mlflow:5000: alias champion of registered model "
      "fraud not found (HTTP 400 INVALID_PARAMETER_VALUE)",
      400, mlflow::kReasonAliasNotFound};
  putModel(kAliasSpec);
  transport->respond(200, "{}");
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kRetry);
  ASSERT_EQ(transport->requests().size(), 1u);  // the status only
  const auto status = lastStatusPatch();
  EXPECT_EQ(conditionField(status, "Stalled", "reason"), "AliasNotFound");
  EXPECT_EQ(conditionField(status, "Ready", "status"), "False");
  EXPECT_EQ(conditionField(status, "VersionResolved", "status"), "False");
  EXPECT_EQ(reasons(), std::vector<std::string>{"AliasNotFound"});
}

TEST_F(ReconcilerTest, AVersionWithoutAnImageOrNotReadyIsNamedAndNothingRuns) {
  versions.at("7");
  versions.answer.tags.clear();
  putModel(kAliasSpec);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(conditionField(lastStatusPatch(), "Stalled", "reason"), "NoImageForVersion");
  EXPECT_NE(conditionField(lastStatusPatch(), "Stalled", "message").find("has no tag `image`"),
            std::string::npos);

  versions.at("7");
  versions.answer.status = "PENDING_REGISTRATION";
  putModel(kAliasSpec);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(conditionField(lastStatusPatch(), "Stalled", "reason"), "ModelVersionNotReady");
  EXPECT_FALSE(appliedDeployment(transport->requests(), "fraud"));
}

TEST_F(ReconcilerTest, WriteBackTagsEachOutcomeOnceAndRetriesAFailedTag) {
  versions.at("7");
  versions.tagError = core::Error{"MLflow refused", 503, mlflow::kReasonUnavailable};
  auto status = firstPass(kAliasSpec);
  EXPECT_TRUE(versions.tags.empty());
  EXPECT_FALSE(status.at("mlflow").has_field("reported"));
  EXPECT_EQ(reasons().back(), "WriteBackFailed");

  versions.tagError.reset();
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  ASSERT_EQ(versions.tags.size(), 1u);
  EXPECT_EQ(versions.tags[0].version, "7");
  EXPECT_EQ(versions.tags[0].key, "serving.mlops.dev/ml/fraud");
  EXPECT_EQ(versions.tags[0].value.rfind("Promoted at ", 0), 0u) << versions.tags[0].value;
  status = lastStatusPatch();
  EXPECT_EQ(status.at("mlflow").at("reported").as_string().rfind("7/Promoted/", 0), 0u);

  putModel(kAliasSpec, status);
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(versions.tags.size(), 1u);  // once
}

TEST_F(ReconcilerTest, AnMlflowAddressOutsideThePolicyIsRefusedBeforeAnyRead) {
  controller::TrustPolicy policy;
  policy.mlflow = core::AllowedUrls::parse({"http://mlflow.mlops:5000"}).value();
  deps.policy = &policy;
  reconciler = std::make_unique<controller::Reconciler>(deps);
  versions.at("7");
  putModel(kAliasSpec);
  transport->respond(200, "{}");
  EXPECT_EQ(reconciler->reconcile("ml/fraud").kind, kube::WorkResult::Kind::kSuccess);
  EXPECT_EQ(versions.lookups, 0);
  EXPECT_EQ(conditionField(lastStatusPatch(), "Stalled", "reason"), "ModelRegistryNotAllowed");

  // Without an address, the administrator's default is read.
  policy.defaultMlflow = "http://mlflow.mlops:5000";
  putModel(R"({"replicas":2,"mlflow":{"model":"fraud","alias":"champion"}})");
  for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(versions.lastAddress, "http://mlflow.mlops:5000");
  EXPECT_EQ(conditionField(lastStatusPatch(), "VersionResolved", "status"), "True");
}

// History says who changed the model (managedFields, as the cache summarises them), what
// (the spec fields that differ from what the stable Deployment runs) and why.
TEST_F(ReconcilerTest, ARolloutRecordsWhoChangedTheSpecWhatAndWhy) {
  const std::string v1 =
      R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2,"env":[{"name":"LOG","value":"info"}]})";
  firstPass(v1);
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  const std::string v2 =
      R"({"image":"reg:5000/models/fraud:2.0.0","replicas":2,"env":[{"name":"LOG","value":"debug"}]})";
  putModel(v2, lastStatusPatch());
  auto m = *models.get("ml/fraud");
  m["metadata"]["annotations"] = Json::parse(R"({"kubernetes.io/change-cause":"ticket ML-42"})");
  m["metadata"]["managedFields"] = Json::parse(R"([
    {"manager":"helm","operation":"Update","time":"2026-11-30T01:00:00Z","fieldsV1":{"f:spec":{}}},
    {"manager":"kubectl-edit","operation":"Update","time":"2026-11-30T02:00:00Z","fieldsV1":{"f:spec":{}}}])");
  models.upsert("ml/fraud", m);
  for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  const auto status = lastStatusPatch();
  ASSERT_EQ(status.at("history").as_array().size(), 2u);
  const auto& change = status.at("history").at(1).at("change");
  EXPECT_EQ(change.at("by").as_string(), "kubectl-edit");
  EXPECT_EQ(change.at("operation").as_string(), "Update");
  EXPECT_EQ(change.at("cause").as_string(), "ticket ML-42");
  EXPECT_EQ(change.at("fields").serialize(),
            R"(["spec.env[LOG].value","spec.image","spec.version"])");
  // The first deployment was made by a writer this object no longer names (none here).
  EXPECT_FALSE(status.at("history").at(0).has_field("change"));
}

TEST_F(ReconcilerTest, AnAliasMoveIsRecordedAsMlflowsChangeWithTheVersionAndRun) {
  versions.at("7");
  firstPass(kAliasSpec);
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  putModel(kAliasSpec, lastStatusPatch());
  versions.at("8");
  for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  const auto status = lastStatusPatch();
  const auto& change = status.at("history").at(1).at("change");
  EXPECT_EQ(change.at("by").as_string(), "mlflow");
  EXPECT_EQ(change.at("cause").as_string(), "MLflow fraud version 8 (alias champion), run run-8");
  EXPECT_EQ(change.at("fields").serialize(), R"(["spec.image","spec.version"])");
}

// A rollout keeps the spec of both revisions in ControllerRevisions: the outgoing one read
// back from its Deployment (the first deployment stored none), the new one from the spec.
TEST_F(ReconcilerTest, ARolloutStoresBothRevisionsSpecsAsControllerRevisions) {
  const std::string v1 =
      R"({"image":"reg:5000/models/fraud:1.0.0","replicas":2,"env":[{"name":"LOG","value":"info"}]})";
  firstPass(v1);
  for (const auto& r : transport->requests()) {
    EXPECT_EQ(r.target.find("controllerrevisions"), std::string::npos) << "first deployment";
  }
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  putModel(
      R"({"image":"reg:5000/models/fraud:2.0.0","replicas":2,"resources":{"limits":{"memory":"1Gi"}}})",
      lastStatusPatch());
  const size_t before = transport->requests().size();
  transport->respond(200, "{}");  // Deployment
  transport->respond(200, "{}");  // Service
  transport->respond(200, R"({"items":[]})");
  transport->respond(201, "{}");
  transport->respond(201, "{}");
  transport->respond(200, "{}");  // status
  reconciler->reconcile("ml/fraud");
  const auto all = transport->requests();
  std::vector<Json> created;
  for (size_t i = before; i < all.size(); ++i) {
    if (all[i].method == "POST" &&
        all[i].target == "/apis/apps/v1/namespaces/ml/controllerrevisions") {
      created.push_back(Json::parse(all[i].body));
    }
  }
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(
      created[0].at("data").at("spec").serialize(),
      R"({"env":[{"name":"LOG","value":"info"}],"image":"reg:5000/models/fraud:1.0.0","version":"1.0.0"})");
  EXPECT_EQ(
      created[1].at("data").at("spec").serialize(),
      R"({"image":"reg:5000/models/fraud:2.0.0","resources":{"limits":{"memory":"1Gi"}},"version":"2.0.0"})");
  EXPECT_EQ(created[0].at("revision").as_integer(), 1);
  EXPECT_EQ(created[1].at("revision").as_integer(), 2);
  const auto status = lastStatusPatch();
  EXPECT_EQ(created[1].at("metadata").at("name").as_string(),
            "fraud-" + status.at("stable").at("templateHash").as_string());
  EXPECT_EQ(created[1].at("metadata").at("ownerReferences").at(0).at("kind").as_string(),
            "MLModel");
  const auto said = reasons();
  EXPECT_EQ(std::count(said.begin(), said.end(), "RevisionNotRecorded"), 0);
}

// Review findings: a version's outcome is written back to its own registered model only;
// a version whose image the policy refuses is read again on the interval (MLflow may move
// on), and the refusal names the MLflow version, not a spec.image the user never wrote.
TEST_F(ReconcilerTest, WriteBackNeverTagsAnotherRegisteredModelsVersion) {
  versions.at("7");
  auto status = firstPass(kAliasSpec);
  ASSERT_EQ(versions.tags.size(), 1u);
  // The spec now names another registered model: its version 7 is not ours.
  const std::string other = R"({"replicas":2,"mlflow":{"address":"http://mlflow:5000",
      "model":"fraud-v2","alias":"champion","interval":"1m","writeBack":true}})";
  status.erase("mlflow");
  putModel(other, status);
  versions.error = core::Error{"down", 0, mlflow::kReasonUnavailable};
  transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  EXPECT_EQ(versions.tags.size(), 1u);
}

TEST_F(ReconcilerTest, AVersionWhoseImageThePolicyRefusesIsReadAgainOnTheInterval) {
  controller::TrustPolicy policy;
  policy.registries = registry::AllowedRegistries::parse({"other.example"}).value();
  deps.policy = &policy;
  reconciler = std::make_unique<controller::Reconciler>(deps);
  versions.at("7");
  putModel(kAliasSpec);
  transport->respond(200, "{}");
  auto r = reconciler->reconcile("ml/fraud");
  EXPECT_EQ(r.kind, kube::WorkResult::Kind::kRequeueAfter);
  EXPECT_GE(r.after, std::chrono::minutes(1));
  const std::string msg = conditionField(lastStatusPatch(), "Stalled", "message");
  EXPECT_EQ(msg.rfind("spec.mlflow: the image of MLflow version 7 (reg:5000/models/fraud:7): ", 0),
            0u)
      << msg;
  EXPECT_EQ(conditionField(lastStatusPatch(), "Stalled", "reason"), "RegistryNotAllowed");
}

TEST_F(ReconcilerTest, AStaleChangeCauseDoesNotExplainAnAliasMove) {
  versions.at("7");
  firstPass(kAliasSpec);
  putDeployment("reg:5000/models/fraud@sha256:" + std::string(64, 'a'), 2);
  putModel(kAliasSpec, lastStatusPatch());
  auto m = *models.get("ml/fraud");
  m["metadata"]["annotations"] = Json::parse(R"({"kubernetes.io/change-cause":"old ticket"})");
  m["metadata"]["managedFields"] = Json::parse(
      R"([{"manager":"helm","operation":"Update","time":"2026-11-30T01:00:00Z","fieldsV1":{"f:spec":{}}}])");
  models.upsert("ml/fraud", m);
  // Status no longer remembers the version before (a write it was in failed): the fields
  // alone tell that MLflow made the change.
  auto st = m.at("status");
  st.erase("mlflow");
  m["status"] = st;
  models.upsert("ml/fraud", m);
  versions.at("8");
  for (int i = 0; i < 3; ++i) transport->respond(200, "{}");
  reconciler->reconcile("ml/fraud");
  const auto status = lastStatusPatch();
  ASSERT_EQ(status.at("history").size(), 2u) << status.serialize();
  const auto& change = status.at("history").at(1).at("change");
  EXPECT_EQ(change.at("by").as_string(), "mlflow");
  EXPECT_EQ(change.at("cause").as_string(), "MLflow fraud version 8 (alias champion), run run-8");
}

}  // namespace
}  // namespace mlmodel
