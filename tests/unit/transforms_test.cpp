// What the models' cache keeps of managedFields: who wrote spec, and nothing heavier.
#include "kube/transforms.h"

#include <gtest/gtest.h>

#include "audit/attribution.h"
#include "core/json_parse.h"

namespace mlmodel {
namespace {

using Json = web::json::value;

TEST(SummarizeManagedFields, KeepsTheSpecWritersAndDropsTheRest) {
  auto object = Json::parse(R"({"metadata":{"name":"fraud",
    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}",
                   "kubernetes.io/change-cause":"bump"},
    "managedFields":[
      {"manager":"kubectl-client-side-apply","operation":"Update","time":"2026-11-30T01:00:00Z",
       "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{}},
         "f:spec":{"f:image":{},"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:value":{}}}}}},
      {"manager":"mlmodel-operator","operation":"Update","subresource":"status",
       "time":"2026-11-30T01:00:05Z","fieldsV1":{"f:status":{"f:phase":{}}}},
      {"manager":"kubectl-annotate","operation":"Update","time":"2026-11-30T01:00:09Z",
       "fieldsV1":{"f:metadata":{"f:annotations":{"f:x":{}}}}},
      {"manager":"kubectl-edit","operation":"Update","time":"2026-11-30T02:00:00Z",
       "fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
    "spec":{"image":"a:1"}})");
  const Json out = kube::summarizeManagedFields(object);
  const auto& mf = out.at("metadata").at("managedFields").as_array();
  ASSERT_EQ(mf.size(), 2u);
  EXPECT_EQ(mf.at(0).at("manager").as_string(), "kubectl-client-side-apply");
  EXPECT_EQ(mf.at(0).at("fieldsV1").serialize(), R"({"f:spec":{}})");
  EXPECT_EQ(mf.at(1).at("manager").as_string(), "kubectl-edit");
  EXPECT_EQ(mf.at(1).at("time").as_string(), "2026-11-30T02:00:00Z");
  EXPECT_FALSE(out.at("metadata")
                   .at("annotations")
                   .has_field("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_EQ(out.at("metadata").at("annotations").at("kubernetes.io/change-cause").as_string(),
            "bump");
  // The summary answers who changed the spec as the full record does.
  EXPECT_EQ(audit::whoChangedSpec(out).manager, audit::whoChangedSpec(object).manager);
  EXPECT_EQ(audit::whoChangedSpec(out).manager, "kubectl-edit");
  EXPECT_LT(out.serialize().size(), object.serialize().size());
}

// The model informer prunes each writer's field set down to its top-level keys while
// decoding (operator/server/app.cpp): the summary must come out the same as from the
// whole object.
TEST(SummarizeManagedFields, IsTheSameFromAnObjectDecodedWithoutFieldSets) {
  const std::string text = R"({"apiVersion":"serving.mlops.dev/v1alpha1","kind":"MLModel",
    "metadata":{"name":"m","namespace":"ml","resourceVersion":"5","managedFields":[
      {"manager":"kubectl-client-side-apply","operation":"Update","time":"2026-11-30T07:00:00Z",
       "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:annotations":{".":{}}},
       "f:spec":{".":{},"f:image":{},"f:env":{"k:{\"name\":\"LOG\"}":{".":{},"f:value":{}}}}}},
      {"manager":"mlmodel-operator","operation":"Update","subresource":"status",
       "time":"2026-11-30T07:00:01Z","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:x":{}}}},
      {"manager":"helm","operation":"Apply","time":"2026-11-30T07:00:02Z",
       "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
    "spec":{"image":"r/m:1","replicas":2}})";
  static const core::JsonPrune prune({"metadata.managedFields.*.fieldsV1.*.*"}, "");
  const Json pruned = core::parseJson(text, &prune);
  EXPECT_FALSE(pruned.at("metadata")
                   .at("managedFields")
                   .at(0)
                   .at("fieldsV1")
                   .at("f:spec")
                   .has_field("f:image"));
  EXPECT_EQ(kube::summarizeManagedFields(pruned).serialize(),
            kube::summarizeManagedFields(Json::parse(text)).serialize());
  EXPECT_EQ(kube::summarizeManagedFields(pruned).at("metadata").at("managedFields").size(), 2u);
}

TEST(SummarizeManagedFields, NoSpecWriterLeavesNoManagedFields) {
  auto object = Json::parse(R"({"metadata":{"name":"fraud","managedFields":[
      {"manager":"mlmodel-operator","operation":"Update","subresource":"status",
       "fieldsV1":{"f:status":{}}}]}})");
  const Json out = kube::summarizeManagedFields(object);
  EXPECT_FALSE(out.at("metadata").has_field("managedFields"));
  EXPECT_EQ(kube::summarizeManagedFields(Json::parse(R"({"kind":"x"})")).serialize(),
            R"({"kind":"x"})");
}

}  // namespace
}  // namespace mlmodel
