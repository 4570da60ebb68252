#include <gtest/gtest.h>

#include "audit/attribution.h"

namespace mlmodel {
namespace {

using audit::Json;

// An MLModel as `kubectl get -o json --show-managed-fields` shows one, with the entries given.
Json withManagedFields(const std::string& entries) {
  return Json::parse(R"({"apiVersion":"serving.mlops.dev/v1alpha1","kind":"MLModel",
    "metadata":{"name":"fraud","namespace":"ml","managedFields":)" +
                     entries + "}}");
}

const char* kClientSideApply = R"({"manager":"kubectl-client-side-apply","operation":"Update",
  "apiVersion":"serving.mlops.dev/v1alpha1","time":"2026-03-01T10:00:00Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:metadata":{"f:annotations":{".":{},
  "f:kubectl.kubernetes.io/last-applied-configuration":{}}},"f:spec":{".":{},"f:image":{}}}})";
const char* kOperatorStatus = R"({"manager":"mlmodel-operator","operation":"Update",
  "apiVersion":"serving.mlops.dev/v1alpha1","time":"2026-03-01T12:00:00Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:status":{"f:phase":{}}},"subresource":"status"})";
const char* kEdit = R"({"manager":"kubectl-edit","operation":"Update",
  "apiVersion":"serving.mlops.dev/v1alpha1","time":"2026-03-01T11:00:00Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:spec":{"f:env":{}}}})";
const char* kLabel = R"({"manager":"kubectl-label","operation":"Update",
  "apiVersion":"serving.mlops.dev/v1alpha1","time":"2026-03-01T13:00:00Z","fieldsType":"FieldsV1",
  "fieldsV1":{"f:metadata":{"f:labels":{"f:team":{}}}}})";

TEST(AuditAttribution, TheLatestSpecWriterNotAStatusOrMetadataWriter) {
  const auto author =
      audit::whoChangedSpec(withManagedFields(std::string("[") + kClientSideApply + "," +
                                              kOperatorStatus + "," + kEdit + "," + kLabel + "]"));
  EXPECT_EQ(author.manager, "kubectl-edit");
  EXPECT_EQ(author.operation, "Update");
  EXPECT_EQ(author.time, "2026-03-01T11:00:00Z");
  EXPECT_EQ(author.gitops, "");
}

TEST(AuditAttribution, AScaleIsNotASpecChange) {
  // `kubectl scale` writes spec.replicas through the scale subresource.
  const auto author = audit::whoChangedSpec(
      withManagedFields(std::string("[") + kEdit + R"(,{"manager":"kubectl","operation":"Update",
      "time":"2026-03-01T14:00:00Z","fieldsType":"FieldsV1",
      "fieldsV1":{"f:spec":{"f:replicas":{}}},"subresource":"scale"}])"));
  EXPECT_EQ(author.manager, "kubectl-edit");
}

TEST(AuditAttribution, ServerSideApplyIsAnApply) {
  const auto author = audit::whoChangedSpec(withManagedFields(
      std::string("[") + kClientSideApply + R"(,{"manager":"kubectl","operation":"Apply",
      "time":"2026-03-02T08:00:00Z","fieldsType":"FieldsV1",
      "fieldsV1":{"f:spec":{"f:image":{},"f:replicas":{}}}}])"));
  EXPECT_EQ(author.manager, "kubectl");
  EXPECT_EQ(author.operation, "Apply");
  EXPECT_EQ(author.time, "2026-03-02T08:00:00Z");
}

TEST(AuditAttribution, OnEqualTimesTheLaterEntryWins) {
  const std::string helm = R"({"manager":"helm","operation":"Update",
    "time":"2026-03-01T10:00:00Z","fieldsV1":{"f:spec":{"f:image":{}}}})";
  const std::string plugin = R"({"manager":"kubectl-mlmodel","operation":"Update",
    "time":"2026-03-01T10:00:00Z","fieldsV1":{"f:spec":{"f:image":{}}}})";
  EXPECT_EQ(audit::whoChangedSpec(withManagedFields("[" + helm + "," + plugin + "]")).manager,
            "kubectl-mlmodel");
  EXPECT_EQ(audit::whoChangedSpec(withManagedFields("[" + plugin + "," + helm + "]")).manager,
            "helm");
}

TEST(AuditAttribution, TimesAreComparedAsTimesNotByPositionOrText) {
  // The list is not in time order; 12:00+02:00 is 10:00Z, before 11:00Z though it sorts after.
  const auto author = audit::whoChangedSpec(withManagedFields(R"([
    {"manager":"argocd-controller","operation":"Update","time":"2026-03-01T11:00:00Z",
     "fieldsV1":{"f:spec":{"f:env":{}}}},
    {"manager":"kubectl-patch","operation":"Update","time":"2026-03-01T12:00:00+02:00",
     "fieldsV1":{"f:spec":{"f:args":{}}}}])"));
  EXPECT_EQ(author.manager, "argocd-controller");
}

TEST(AuditAttribution, AnEntryWithoutATimeRanksBelowOneWithATime) {
  const auto author = audit::whoChangedSpec(withManagedFields(R"([
    {"manager":"helm","operation":"Update","time":"2026-03-01T11:00:00Z",
     "fieldsV1":{"f:spec":{"f:env":{}}}},
    {"manager":"kubectl-patch","operation":"Update","time":17,
     "fieldsV1":{"f:spec":{"f:args":{}}}}])"));
  EXPECT_EQ(author.manager, "helm");
}

TEST(AuditAttribution, EmptyWhenNoEntryWritesTheSpec) {
  const auto none = audit::whoChangedSpec(
      withManagedFields(std::string("[") + kOperatorStatus + "," + kLabel + "]"));
  EXPECT_EQ(none.manager, "");
  EXPECT_EQ(none.operation, "");
  EXPECT_EQ(none.time, "");
  // As an informer caches it: without managedFields.
  EXPECT_EQ(audit::whoChangedSpec(Json::parse(R"({"metadata":{"name":"fraud"}})")).manager, "");
}

TEST(AuditAttribution, MalformedFieldsReadAsAbsent) {
  const char* bad[] = {
      R"(null)",
      R"([1,2])",
      R"({"metadata":[]})",
      R"({"metadata":{"managedFields":"helm","labels":7,"annotations":[]}})",
      R"({"metadata":{"managedFields":[3,"x",null,[],{"manager":5,"fieldsV1":{"f:spec":{}}},
        {"manager":"kubectl-edit","fieldsV1":{"f:spec":"yes"}},
        {"manager":"kubectl-edit","fieldsV1":[{"f:spec":{}}]}]}})",
  };
  for (const char* text : bad) {
    audit::ChangeAuthor author;
    ASSERT_NO_THROW(author = audit::whoChangedSpec(Json::parse(text))) << text;
    EXPECT_EQ(author.manager, "") << text;
    EXPECT_EQ(author.gitops, "") << text;
    std::string cause = "unset";
    ASSERT_NO_THROW(cause = audit::changeCause(Json::parse(text))) << text;
    EXPECT_EQ(cause, "") << text;
  }
  // A subresource of the wrong type reads as none: the entry counts as a spec write.
  const auto author = audit::whoChangedSpec(withManagedFields(R"([
    {"manager":"helm","operation":5,"time":"2026-03-01T11:00:00Z","subresource":false,
     "fieldsV1":{"f:spec":{"f:env":{}}}}])"));
  EXPECT_EQ(author.manager, "helm");
  EXPECT_EQ(author.operation, "");
}

Json withMetadata(const char* metadata) {
  return Json::parse(std::string(R"({"kind":"MLModel","metadata":)") + metadata + "}");
}

TEST(AuditGitOps, FluxKustomization) {
  EXPECT_EQ(audit::whoChangedSpec(withMetadata(R"({"labels":{
      "kustomize.toolkit.fluxcd.io/name":"models","kustomize.toolkit.fluxcd.io/namespace":"flux-system"}})"))
                .gitops,
            "flux:Kustomization flux-system/models");
}

TEST(AuditGitOps, FluxHelmRelease) {
  EXPECT_EQ(audit::whoChangedSpec(withMetadata(R"({"labels":{
      "helm.toolkit.fluxcd.io/name":"fraud","helm.toolkit.fluxcd.io/namespace":"ml",
      "app.kubernetes.io/managed-by":"Helm","app.kubernetes.io/instance":"fraud"}})"))
                .gitops,
            "flux:HelmRelease ml/fraud");
}

TEST(AuditGitOps, ArgoCdTrackingId) {
  EXPECT_EQ(audit::whoChangedSpec(withMetadata(R"({"annotations":{
      "argocd.argoproj.io/tracking-id":"fraud-models:serving.mlops.dev/MLModel:ml/fraud"}})"))
                .gitops,
            "argocd:Application fraud-models");
  // The core group is empty; an Application in another namespace is "namespace_name".
  EXPECT_EQ(audit::whoChangedSpec(withMetadata(R"({"annotations":{
      "argocd.argoproj.io/tracking-id":"team-a_models:/ConfigMap:ml/settings"}})"))
                .gitops,
            "argocd:Application team-a_models");
}

TEST(AuditGitOps, NoneWithoutAWholeSource) {
  const char* none[] = {
      // Helm sets app.kubernetes.io/instance too: not a sign of Argo CD.
      R"({"labels":{"app.kubernetes.io/instance":"fraud","app.kubernetes.io/managed-by":"Helm"}})",
      R"({"labels":{"kustomize.toolkit.fluxcd.io/name":"models"}})",
      R"({"labels":{"helm.toolkit.fluxcd.io/namespace":"ml"}})",
      R"({"labels":{"kustomize.toolkit.fluxcd.io/name":3,"kustomize.toolkit.fluxcd.io/namespace":"x"}})",
      R"({"annotations":{"argocd.argoproj.io/tracking-id":"fraud-models"}})",
      R"({"annotations":{"argocd.argoproj.io/tracking-id":":serving.mlops.dev/MLModel:ml/fraud"}})",
      R"({"annotations":{"argocd.argoproj.io/tracking-id":"app:MLModel:fraud"}})",
      R"({"annotations":{"argocd.argoproj.io/tracking-id":{"app":"x"}}})",
  };
  for (const char* metadata : none) {
    EXPECT_EQ(audit::whoChangedSpec(withMetadata(metadata)).gitops, "") << metadata;
  }
}

Json withChangeCause(const std::string& cause) {
  Json object = Json::parse(R"({"metadata":{"name":"fraud","annotations":{}}})");
  object["metadata"]["annotations"]["kubernetes.io/change-cause"] = Json::string(cause);
  return object;
}

TEST(AuditChangeCause, TrimmedAnnotation) {
  EXPECT_EQ(audit::changeCause(withChangeCause("  \tfraud 1.5: retrained on March data\n")),
            "fraud 1.5: retrained on March data");
  EXPECT_EQ(audit::changeCause(withChangeCause(" \n ")), "");
  EXPECT_EQ(audit::changeCause(Json::parse(R"({"metadata":{"annotations":{"a":"b"}}})")), "");
  EXPECT_EQ(audit::changeCause(Json::parse(
                R"({"metadata":{"annotations":{"kubernetes.io/change-cause":["x"]}}})")),
            "");
}

TEST(AuditChangeCause, AtMost256BytesCutBetweenCharacters) {
  EXPECT_EQ(audit::changeCause(withChangeCause(std::string(300, 'a'))), std::string(256, 'a'));
  // Exactly 256 bytes after trimming stays whole.
  const std::string fits = std::string(254, 'a') + "\xC3\xA9";  // é is 2 bytes
  EXPECT_EQ(audit::changeCause(withChangeCause(" " + fits + " ")), fits);
  // A character across byte 256 is left out whole: é (2 bytes), € (3), 🚀 (4).
  EXPECT_EQ(audit::changeCause(withChangeCause(std::string(255, 'a') + "\xC3\xA9" + "b")),
            std::string(255, 'a'));
  EXPECT_EQ(audit::changeCause(withChangeCause(std::string(254, 'a') + "\xE2\x82\xAC")),
            std::string(254, 'a'));
  EXPECT_EQ(audit::changeCause(withChangeCause(std::string(253, 'a') + "\xF0\x9F\x9A\x80")),
            std::string(253, 'a'));
  EXPECT_EQ(audit::changeCause(withChangeCause(std::string(252, 'a') + "\xF0\x9F\x9A\x80" + "b")),
            std::string(252, 'a') + "\xF0\x9F\x9A\x80");
}

}  // namespace
}  // namespace mlmodel
