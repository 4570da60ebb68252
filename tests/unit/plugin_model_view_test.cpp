#include <gtest/gtest.h>

#include "plugin/model_view.h"
#include "plugin/revision_view.h"

namespace mlmodel::plugin {
namespace {

Json model(const std::string& status, int generation = 2) {
  Json m = Json::parse(R"({"metadata":{"name":"fraud","namespace":"ml"},
    "spec":{"image":"reg/fraud:2.0.0"}})");
  m["metadata"]["generation"] = Json::number(generation);
  m["status"] = Json::parse(status);
  return m;
}

const char* kCanary = R"({"observedGeneration":2,"phase":"Progressing",
  "stable":{"version":"1.0.0","image":"reg/fraud:1.0.0","digest":"sha256:aaaaaaaaaaaaaaaaaaaa"},
  "canary":{"version":"2.0.0","digest":"sha256:bbbbbbbbbbbbbbbbbbbbbb","phase":"Progressing","step":1,
    "weight":50,"actualWeight":40,"message":"step 2 of 2",
    "analysis":{"passed":3,"failed":1,"inconclusive":0,"errors":0,
      "lastMeasurements":[{"metric":"error-rate","value":"0.002","verdict":"Passed","time":"t"}]}},
  "conditions":[{"type":"Ready","status":"False","reason":"CanaryProgressing","message":"m"},
                {"type":"Reconciling","status":"True","reason":"CanaryProgressing","message":"m"}],
  "history":[{"version":"1.0.0","image":"reg/fraud:1.0.0","digest":"sha256:aaaa","outcome":"Promoted","reason":"Deployed"},
             {"version":"0.9.0","image":"reg/fraud:0.9.0","digest":"sha256:cccc","outcome":"RolledBack","reason":"AnalysisFailed"}]})";

TEST(PluginView, StatusSaysWhereTheCanaryIs) {
  const std::string s = describeStatus(model(kCanary));
  for (const char* want : {"fraud (namespace ml): Progressing", "stable:  1.0.0", "canary:  2.0.0",
                           "step 2, weight 50% (actual 40%)", "3 passed, 1 failed",
                           "error-rate = 0.002  Passed", "Reconciling=True"}) {
    EXPECT_NE(s.find(want), std::string::npos) << want << "\n" << s;
  }
  EXPECT_EQ(canaryVersion(model(kCanary)), "2.0.0");
}

TEST(PluginView, HistoryIsNumberedFromOne) {
  const std::string t = historyTable(model(kCanary));
  EXPECT_NE(t.find("1         1.0.0"), std::string::npos) << t;
  EXPECT_NE(t.find("2         0.9.0"), std::string::npos) << t;
  EXPECT_NE(t.find("RolledBack"), std::string::npos);
}

TEST(PluginView, RollbackPatchTakesTheRevisionsImageAndVersion) {
  auto p = rollbackPatch(model(kCanary), 1, {});
  ASSERT_TRUE(p);
  EXPECT_EQ(p.value().at("spec").at("image").as_string(), "reg/fraud:1.0.0");
  EXPECT_EQ(p.value().at("spec").at("version").as_string(), "1.0.0");
  auto bad = rollbackPatch(model(kCanary), 3, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("1..2"), std::string::npos);
}

TEST(PluginView, WaitJudgesPromotedStalledAndPending) {
  EXPECT_EQ(judgeWait(model(kCanary)).state, WaitState::Pending);
  EXPECT_EQ(judgeWait(model(kCanary, 3)).message, "waiting for the operator to see the spec");
  auto done =
      model(R"({"observedGeneration":2,"stable":{"version":"2.0.0","image":"reg/fraud:2.0.0"},
    "conditions":[{"type":"Ready","status":"True","reason":"Available","message":"ok"}]})");
  EXPECT_EQ(judgeWait(done).state, WaitState::Done);
  EXPECT_EQ(judgeWait(done).message, "version 2.0.0 is promoted and Ready");
  auto stalled =
      model(R"({"observedGeneration":2,"stable":{"version":"1.0.0","image":"reg/fraud:1.0.0"},
    "conditions":[{"type":"Ready","status":"False","reason":"AnalysisFailed","message":"x"},
                  {"type":"Stalled","status":"True","reason":"AnalysisFailed","message":"error-rate = 0.5 > max 0.05"}]})");
  const auto v = judgeWait(stalled);
  EXPECT_EQ(v.state, WaitState::Failed);
  EXPECT_EQ(v.message, "AnalysisFailed: error-rate = 0.5 > max 0.05");
  // Ready for an older image (the new spec is not rolled out yet) is not done.
  auto old =
      model(R"({"observedGeneration":2,"stable":{"version":"1.0.0","image":"reg/fraud:1.0.0"},
    "conditions":[{"type":"Ready","status":"True","reason":"Available","message":"ok"}]})");
  EXPECT_EQ(judgeWait(old).state, WaitState::Pending);
}

}  // namespace
}  // namespace mlmodel::plugin
