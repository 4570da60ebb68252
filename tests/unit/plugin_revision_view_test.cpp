// `kubectl mlmodel diff` and `rollback --to-revision` from a model and the specs the
// operator kept (ControllerRevisions), without a cluster.
#include <gtest/gtest.h>

#include "plugin/model_view.h"
#include "plugin/revision_view.h"

namespace mlmodel::plugin {
namespace {

Json model(const std::string& spec) {
  Json m = Json::parse(R"({"metadata":{"name":"fraud","namespace":"ml"},"status":{"history":[
    {"version":"1.0.0","image":"reg/fraud:1.0.0","templateHash":"h1","outcome":"Promoted"},
    {"version":"2.0.0","image":"reg/fraud:2.0.0","templateHash":"h2","outcome":"Promoted",
     "change":{"by":"helm","gitops":"flux:Kustomization apps/models","fields":["spec.env[LOG].value","spec.image"],
               "cause":"ML-42"}},
    {"version":"3","image":"reg/fraud:3","templateHash":"h3","outcome":"RolledBack",
     "mlflow":{"model":"fraud","alias":"champion","version":"3","runId":"r3"}}]}})");
  m["spec"] = Json::parse(spec);
  return m;
}

Json revision(const std::string& hash, const std::string& spec) {
  Json cr = Json::parse(R"({"metadata":{"labels":{}},"data":{}})");
  cr["metadata"]["labels"]["serving.mlops.dev/template-hash"] = Json::string(hash);
  cr["data"]["spec"] = Json::parse(spec);
  return cr;
}

const RevisionSpecs kSpecs =
    revisionSpecsOf({revision("h1", R"({"image":"reg/fraud:1.0.0","version":"1.0.0",
       "env":[{"name":"LOG","value":"info"}],"resources":{"limits":{"memory":"1Gi","cpu":"1"}}})"),
                     revision("h2", R"({"image":"reg/fraud:2.0.0","version":"2.0.0",
       "env":[{"name":"LOG","value":"debug"}],"resources":{"limits":{"memory":"2Gi","cpu":"1"}}})")});

TEST(PluginRevisions, DiffNamesEachChangedFieldWithBothValues) {
  auto d = revisionDiff(model(R"({"image":"reg/fraud:2.0.0"})"), 1, 2, kSpecs);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d.value(),
            "revision 1 (1.0.0) -> revision 2 (2.0.0)\n"
            "  spec.env[LOG].value: \"info\" -> \"debug\"\n"
            "  spec.image: \"reg/fraud:1.0.0\" -> \"reg/fraud:2.0.0\"\n"
            "  spec.resources.limits.memory: \"1Gi\" -> \"2Gi\"\n"
            "  spec.version: \"1.0.0\" -> \"2.0.0\"\n");
  EXPECT_NE(revisionDiff(model("{}"), 2, 2, kSpecs).value().find("no difference"),
            std::string::npos);
}

TEST(PluginRevisions, ARevisionWithoutAKeptSpecIsComparedByImageAndVersionAndSaysSo) {
  auto d = revisionDiff(model("{}"), 2, 3, kSpecs);
  ASSERT_TRUE(d);
  EXPECT_NE(d.value().find("(revision 3: only its image and version were kept)"), std::string::npos)
      << d.value();
  EXPECT_EQ(d.value().find("env"), std::string::npos) << "one side has no env to compare";
  auto bad = revisionDiff(model("{}"), 1, 4, kSpecs);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "no revision 4 in the history of fraud (it has 1..3)");
}

TEST(PluginRevisions, RollbackRestoresTheWholeSpecAndRemovesWhatCameSince) {
  const auto current = model(R"({"image":"reg/fraud:2.0.0","replicas":3,
    "env":[{"name":"LOG","value":"debug"}],"args":["--fast"],
    "resources":{"limits":{"memory":"2Gi","cpu":"1"},"requests":{"cpu":"1"}}})");
  auto p = rollbackPatch(current, 1, kSpecs);
  ASSERT_TRUE(p) << p.error().message;
  const Json& s = p.value().at("spec");
  EXPECT_EQ(s.at("image").as_string(), "reg/fraud:1.0.0");
  EXPECT_EQ(s.at("env").serialize(), R"([{"name":"LOG","value":"info"}])");
  EXPECT_EQ(s.at("resources").at("limits").at("memory").as_string(), "1Gi");
  EXPECT_TRUE(s.at("resources").at("requests").is_null()) << "added since: removed";
  EXPECT_TRUE(s.at("args").is_null());
  EXPECT_FALSE(s.has_field("replicas")) << "not part of a revision";
}

TEST(PluginRevisions, RollbackOfAnMlflowModelPinsTheRevisionsMlflowVersion) {
  const auto current = model(R"({"mlflow":{"model":"fraud","alias":"champion"}})");
  auto p = rollbackPatch(current, 3, kSpecs);
  ASSERT_TRUE(p) << p.error().message;
  const Json& s = p.value().at("spec");
  EXPECT_TRUE(s.at("image").is_null());
  EXPECT_TRUE(s.at("mlflow").at("alias").is_null());
  EXPECT_EQ(s.at("mlflow").at("version").as_string(), "3");
  EXPECT_EQ(s.at("mlflow").at("model").as_string(), "fraud");
  auto notFromMlflow = rollbackPatch(current, 1, kSpecs);
  ASSERT_FALSE(notFromMlflow);
  EXPECT_NE(notFromMlflow.error().message.find("did not come from MLflow"), std::string::npos);
}

TEST(PluginRevisions, HistoryShowsWhoWhatAndWhy) {
  const std::string t = historyTable(model("{}"));
  EXPECT_NE(t.find("BY"), std::string::npos);
  EXPECT_NE(t.find("helm (flux:Kustomization apps/models)"), std::string::npos) << t;
  EXPECT_NE(t.find("env[LOG].value,image"), std::string::npos) << t;
  EXPECT_NE(t.find("ML-42"), std::string::npos) << t;
}

TEST(PluginRevisions, DiffFindsValuesUnderKeysWithDots) {
  const RevisionSpecs specs = revisionSpecsOf(
      {revision("h1", R"({"image":"a:1","resources":{"limits":{"nvidia.com/gpu":"1"}},
         "nodeSelector":{"kubernetes.io/os":"linux"}})"),
       revision("h2", R"({"image":"a:1","resources":{"limits":{"nvidia.com/gpu":"2"}},
         "nodeSelector":{"kubernetes.io/os":"windows"}})")});
  auto d = revisionDiff(model("{}"), 1, 2, specs);
  ASSERT_TRUE(d);
  EXPECT_NE(d.value().find("spec.nodeSelector.kubernetes.io/os: \"linux\" -> \"windows\""),
            std::string::npos)
      << d.value();
  EXPECT_NE(d.value().find("spec.resources.limits.nvidia.com/gpu: \"1\" -> \"2\""),
            std::string::npos)
      << d.value();
}

}  // namespace
}  // namespace mlmodel::plugin
