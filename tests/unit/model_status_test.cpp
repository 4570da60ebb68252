// The status builder alone: a pure function of what a reconcile saw and did.
#include "controller/model_status.h"

#include <gtest/gtest.h>

#include "controller/conditions.h"

namespace mlmodel {
namespace {

using controller::Json;

api::MLModel model() {
  api::MLModel m;
  m.metadata.name = "fraud";
  m.metadata.ns = "ml";
  m.metadata.generation = 3;
  m.spec.image = "reg:5000/models/fraud:1.0.0";
  m.spec.version = "1.0.0";
  m.spec.replicas = 2;
  return m;
}

controller::DeploymentState deployment(int64_t ready, bool done) {
  controller::DeploymentState d;
  d.exists = true;
  d.wanted = d.replicas = 2;
  d.ready = d.available = ready;
  d.done = done;
  d.availableStatus = done ? "True" : "False";
  return d;
}

std::string condition(const Json& status, const char* type, const char* field) {
  const Json* c = controller::findCondition(status.at("conditions"), type);
  return c ? c->at(field).as_string() : "<none>";
}

TEST(ModelStatus, AModelRolledOutIsReadyAndTheSameInputGivesTheSameStatus) {
  const auto m = model();
  controller::PinnedImage image;
  image.digest = "sha256:" + std::string(64, 'a');
  const controller::StatusInput in{
      .model = &m, .image = &image, .stable = deployment(2, true), .now = "2026-11-30T00:00:00Z"};
  const Json s = controller::buildModelStatus(in);
  EXPECT_EQ(s.at("observedGeneration").as_integer(), 3);
  EXPECT_EQ(s.at("phase").as_string(), "Ready");
  EXPECT_EQ(condition(s, "Ready", "status"), "True");
  EXPECT_EQ(condition(s, "Stalled", "status"), "<none>");
  EXPECT_EQ(condition(s, "ImageResolved", "message"), m.spec.image + " is " + image.digest);
  EXPECT_EQ(s.at("readyReplicas").as_integer(), 2);
  EXPECT_EQ(controller::buildModelStatus(in), s);
}

TEST(ModelStatus, PodsThatCannotStartAreWhyItIsNotReady) {
  const auto m = model();
  controller::PinnedImage image;
  controller::PodProblem p;
  p.reason = "ImagePullBackOff";
  p.pod = "fraud-abc";
  p.message = "back-off pulling image";
  const Json s = controller::buildModelStatus({.model = &m,
                                               .image = &image,
                                               .stable = deployment(0, false),
                                               .pods = p,
                                               .now = "2026-11-30T00:00:00Z"});
  EXPECT_EQ(s.at("phase").as_string(), "Progressing");
  EXPECT_EQ(condition(s, "Ready", "reason"), "ImagePullBackOff");
  EXPECT_EQ(condition(s, "Reconciling", "reason"), "ImagePullBackOff");
}

TEST(ModelStatus, ARefusedModelKeepsWhatItHeldAndSaysWhy) {
  Json prev = Json::parse(R"({"stable":{"version":"1.0.0"},"conditions":[
    {"type":"Ready","status":"True","reason":"Available","message":"m",
     "lastTransitionTime":"2026-11-29T00:00:00Z","observedGeneration":2}]})");
  const Json s = controller::refusedStatus(prev, 3, "RegistryNotAllowed", "spec.image: no",
                                           "2026-11-30T00:00:00Z");
  EXPECT_EQ(s.at("stable").at("version").as_string(), "1.0.0");
  EXPECT_EQ(s.at("phase").as_string(), "Failed");
  EXPECT_EQ(s.at("observedGeneration").as_integer(), 3);
  EXPECT_EQ(condition(s, "Ready", "reason"), "RegistryNotAllowed");
  EXPECT_EQ(condition(s, "Ready", "lastTransitionTime"), "2026-11-30T00:00:00Z");
  EXPECT_EQ(condition(s, "Stalled", "message"), "spec.image: no");
}

}  // namespace
}  // namespace mlmodel
