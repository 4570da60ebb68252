#include <gtest/gtest.h>

#include "api/mlmodel.h"
#include "controller/desired.h"

namespace mlmodel {
namespace {

using api::Json;

Json parse(const char* s) { return Json::parse(s); }

TEST(MLModelDecode, ReadsTheSpecAndIgnoresUnknownFields) {
  auto m = api::decodeMLModel(parse(R"({"metadata":{"name":"fraud","namespace":"ml","uid":"u1",
    "generation":3},"spec":{"image":"reg:5000/models/fraud:1.4.0","replicas":2,"port":9000,
    "pinDigest":false,"somethingNew":{"a":1},"probes":{"readiness":{"path":"/ok","periodSeconds":5}}}})"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->metadata.name, "fraud");
  EXPECT_EQ(m->metadata.generation, 3);
  EXPECT_EQ(m->spec.image, "reg:5000/models/fraud:1.4.0");
  EXPECT_EQ(m->spec.replicas, 2);
  EXPECT_EQ(m->spec.port, 9000);
  EXPECT_FALSE(m->spec.pinDigest);
  EXPECT_EQ(m->spec.readiness.path, "/ok");
  EXPECT_EQ(m->spec.readiness.periodSeconds, 5);
  EXPECT_EQ(m->spec.liveness.path, "/v2/health/live");  // untouched default
}

TEST(MLModelDecode, AWrongTypeNamesTheField) {
  auto m = api::decodeMLModel(
      parse(R"({"metadata":{"name":"x"},"spec":{"image":"a:1","port":"http"}})"));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, "spec.port: expected an integer, got a string");
  EXPECT_EQ(m.error().reason, "InvalidSpec");
  auto p = api::decodeMLModel(parse(
      R"({"metadata":{"name":"x"},"spec":{"image":"a:1","probes":{"liveness":{"enabled":"yes"}}}})"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "spec.probes.liveness.enabled: expected a boolean, got a string");
}

TEST(MLModelDefaults, VersionComesFromTheTagOrTheDigest) {
  api::MLModel m;
  m.spec.image = "registry.example:5000/models/fraud:1.4.0";
  api::applyDefaults(m);
  EXPECT_EQ(m.spec.version, "1.4.0");
  api::MLModel d;
  d.spec.image = "registry.example:5000/models/fraud@sha256:0123456789abcdef0123";
  api::applyDefaults(d);
  EXPECT_EQ(d.spec.version, "0123456789ab");
  api::MLModel e;
  e.spec.image = "registry.example:5000/models/fraud";
  api::applyDefaults(e);
  EXPECT_EQ(e.spec.version, "latest");
}

TEST(MLModelValidate, AVersionMustFitALabelValue) {
  api::MLModel m;
  m.spec.image = "a:1";
  m.spec.version = "1.0 beta";
  auto v = api::validate(m);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("spec.version"), std::string::npos);
}

TEST(ImageReference, RepositoryAndTagSplitAtTheLastColonAfterTheLastSlash) {
  EXPECT_EQ(api::imageRepository("reg:5000/models/fraud:1.0"), "reg:5000/models/fraud");
  EXPECT_EQ(api::imageTag("reg:5000/models/fraud:1.0"), "1.0");
  EXPECT_EQ(api::imageTag("reg:5000/models/fraud"), "");
  EXPECT_EQ(api::imageRepository("reg:5000/models/fraud@sha256:abc"), "reg:5000/models/fraud");
}

api::MLModel model() {
  auto m = api::decodeMLModel(parse(R"({"metadata":{"name":"fraud","namespace":"ml","uid":"u1"},
    "spec":{"image":"reg/models/fraud:1.0","env":[{"name":"THREADS","value":"4"}],
    "securityContext":{"runAsUser":1000,"allowPrivilegeEscalation":true}}})"));
  api::applyDefaults(m.value());
  return m.value();
}

TEST(DesiredDeployment, RunsThePinnedImageWithOwnerLabelsAndSecureDefaults) {
  auto d = controller::desiredDeployment(model(), "reg/models/fraud@sha256:feed");
  const auto& c = d.at("spec").at("template").at("spec").at("containers").at(0);
  EXPECT_EQ(c.at("image").as_string(), "reg/models/fraud@sha256:feed");
  EXPECT_EQ(d.at("metadata").at("ownerReferences").at(0).at("uid").as_string(), "u1");
  EXPECT_TRUE(d.at("metadata").at("ownerReferences").at(0).at("controller").as_bool());
  EXPECT_EQ(d.at("metadata").at("labels").at("app.kubernetes.io/managed-by").as_string(),
            "mlmodel-operator");
  // No replicas unless the spec sets them: an HPA or kubectl scale owns them then.
  EXPECT_FALSE(d.at("spec").has_field("replicas"));
  // The user's fields override the secure defaults one by one; the rest stay.
  const auto& sc = c.at("securityContext");
  EXPECT_TRUE(sc.at("allowPrivilegeEscalation").as_bool());
  EXPECT_EQ(sc.at("runAsUser").as_integer(), 1000);
  EXPECT_TRUE(sc.at("runAsNonRoot").as_bool());
  EXPECT_EQ(sc.at("capabilities").at("drop").at(0).as_string(), "ALL");
  // The user's env first, then what the operator adds.
  EXPECT_EQ(c.at("env").at(0).at("name").as_string(), "THREADS");
  EXPECT_EQ(c.at("env").at(2).at("value").as_string(), "1.0");
}

TEST(DesiredState, ContainsDesiredToleratesServerDefaultsButNotChanges) {
  auto desired = controller::desiredService(model());
  auto actual = desired;
  actual["spec"]["clusterIP"] = Json::string("10.96.0.7");  // added by the server
  actual["spec"]["ports"][0]["nodePort"] = Json::number(0);
  actual["metadata"]["labels"]["team"] = Json::string("fraud");  // added by someone else
  EXPECT_TRUE(controller::containsDesired(actual, desired));
  actual["spec"]["selector"]["serving.mlops.dev/model"] = Json::string("other");
  EXPECT_FALSE(controller::containsDesired(actual, desired));
  EXPECT_EQ(controller::firstDifference(actual, desired), "spec.selector.serving.mlops.dev/model");
  auto dep = controller::desiredDeployment(model(), "img@sha256:1");
  auto omitted = dep;
  // A zero the server omits (initialDelaySeconds: 0) is not a difference.
  omitted["spec"]["template"]["spec"]["containers"][0]["readinessProbe"].erase(
      "initialDelaySeconds");
  EXPECT_EQ(controller::firstDifference(omitted, dep), "");
}

}  // namespace
}  // namespace mlmodel
