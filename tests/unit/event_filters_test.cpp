#include "server/event_filters.h"

#include <gtest/gtest.h>

using mlmodel::kube::Json;
using mlmodel::server::ownerKey;
using mlmodel::server::specOrMetaChanged;

namespace {

Json J(const char* text) { return Json::parse(text); }

TEST(OwnerKeyTest, AnOwnedDeploymentQueuesTheMLModelThatControlsIt) {
  EXPECT_EQ(ownerKey(J(R"({"metadata":{"namespace":"ml","name":"fraud-canary","ownerReferences":[
      {"apiVersion":"apps/v1","kind":"ReplicaSet","name":"x"},
      {"apiVersion":"serving.mlops.dev/v1alpha1","kind":"MLModel","name":"fraud","controller":true}]}})")),
            "ml/fraud");
}

TEST(OwnerKeyTest, OtherOwnersAndMalformedObjectsQueueNothing) {
  EXPECT_EQ(ownerKey(J(R"({"metadata":{"namespace":"ml","name":"x"}})")), std::nullopt);
  EXPECT_EQ(ownerKey(J(R"({"metadata":{"namespace":"ml","ownerReferences":[
      {"apiVersion":"apps/v1","kind":"ReplicaSet","name":"x"}]}})")),
            std::nullopt);
  // A kind of the same name from another API group is not ours.
  EXPECT_EQ(ownerKey(J(R"({"metadata":{"namespace":"ml","ownerReferences":[
      {"apiVersion":"other.example/v1","kind":"MLModel","name":"x"}]}})")),
            std::nullopt);
  EXPECT_EQ(ownerKey(J(R"({"metadata":{"ownerReferences":"not a list"}})")), std::nullopt);
  EXPECT_EQ(ownerKey(J(R"({"metadata":{"ownerReferences":[{"kind":"MLModel"}]}})")), std::nullopt);
  EXPECT_EQ(ownerKey(J("[]")), std::nullopt);
}

TEST(SpecOrMetaChangedTest, OurStatusWritesAreNotReconciledAgain) {
  const auto a = J(R"({"metadata":{"generation":3,"resourceVersion":"10","labels":{"a":"1"}},
                       "status":{"phase":"Progressing"}})");
  const auto b = J(R"({"metadata":{"generation":3,"resourceVersion":"11","labels":{"a":"1"}},
                       "status":{"phase":"Ready"}})");
  EXPECT_FALSE(specOrMetaChanged(a, b));
}

TEST(SpecOrMetaChangedTest, SpecAnnotationsLabelsAndDeletionAreReconciled) {
  const auto base =
      J(R"({"metadata":{"generation":3,"annotations":{"x":"1"},"labels":{"a":"1"}}})");
  EXPECT_TRUE(specOrMetaChanged(
      base, J(R"({"metadata":{"generation":4,"annotations":{"x":"1"},"labels":{"a":"1"}}})")));
  EXPECT_TRUE(specOrMetaChanged(
      base, J(R"({"metadata":{"generation":3,"annotations":{"x":"2"},"labels":{"a":"1"}}})")));
  EXPECT_TRUE(
      specOrMetaChanged(base, J(R"({"metadata":{"generation":3,"annotations":{"x":"1"}}})")))
      << "labels removed";
  EXPECT_TRUE(specOrMetaChanged(
      base, J(R"({"metadata":{"generation":3,"annotations":{"x":"1"},"labels":{"a":"1"},
                  "deletionTimestamp":"2026-11-29T10:00:00Z"}})")));
}

}  // namespace
