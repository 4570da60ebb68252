// The iris models against the held-out split that train.py recorded, and the fault plan.
#include "model.h"

#include <gtest/gtest.h>

#include <set>

namespace iris {
namespace {

const ModelFile& file() {
  static const ModelFile f = ModelFile::load(IRIS_MODEL_JSON);
  return f;
}

double accuracy(ServedModel& m, const Samples& s) {
  const Outcome o = m.infer(s.x);
  EXPECT_FALSE(o.failed);
  int right = 0;
  for (std::size_t i = 0; i < s.y.size(); ++i) right += o.predictions[i].cls == s.y[i] ? 1 : 0;
  return static_cast<double>(right) / static_cast<double>(s.y.size());
}

TEST(ModelFile, HoldsTheSplitAndBothModels) {
  EXPECT_EQ(file().classes, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(file().train.x.size() + file().test.x.size(), 150U);
  EXPECT_EQ(file().test.x.size(), 45U);
  EXPECT_EQ(file().logregTestPredictions.size(), file().test.y.size());
  EXPECT_EQ(file().treeTestPredictions.size(), file().test.y.size());
}

TEST(ModelFile, NamesWhatIsMissing) {
  try {
    ModelFile::parse(R"({"dataset": {"classes": ["a", "b", "c"]}})");
    FAIL() << "parsed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sklearn_version"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelFile::parse("not json"), std::runtime_error);
  EXPECT_THROW(ModelFile::load("/nonexistent/iris.json"), std::runtime_error);
}

TEST(Profiles, V1LogisticRegressionIsAccurateOnTheHeldOutSplit) {
  auto m = makeServedModel(profileConfig("v1"), file());
  EXPECT_EQ(m->algorithm(), "logistic_regression");
  const double acc = accuracy(*m, file().test);
  EXPECT_GE(acc, 0.9);
  EXPECT_DOUBLE_EQ(acc, file().logregTestAccuracy);  // what scikit-learn measured
}

TEST(Profiles, V2DecisionTreeIsAccurateOnTheHeldOutSplit) {
  auto m = makeServedModel(profileConfig("v2"), file());
  EXPECT_EQ(m->algorithm(), "decision_tree");
  const double acc = accuracy(*m, file().test);
  EXPECT_GE(acc, 0.9);
  EXPECT_DOUBLE_EQ(acc, file().treeTestAccuracy);
}

TEST(Profiles, CppPredictsWhatScikitLearnPredicted) {
  auto v1 = makeServedModel(profileConfig("v1"), file());
  auto v2 = makeServedModel(profileConfig("v2"), file());
  const Outcome a = v1->infer(file().test.x), b = v2->infer(file().test.x);
  for (std::size_t i = 0; i < file().test.x.size(); ++i) {
    EXPECT_EQ(a.predictions[i].cls, file().logregTestPredictions[i]) << "sample " << i;
    EXPECT_EQ(b.predictions[i].cls, file().treeTestPredictions[i]) << "sample " << i;
    double sum = 0;
    for (double p : a.predictions[i].proba) sum += p;
    EXPECT_NEAR(sum, 1.0, 1e-9);
  }
}

TEST(Profiles, V4AnswersEverythingWithOneClass) {
  auto m = makeServedModel(profileConfig("v4"), file());
  std::set<int> predicted;
  for (const Samples* s : {&file().train, &file().test}) {
    const Outcome o = m->infer(s->x);
    ASSERT_FALSE(o.failed);
    ASSERT_EQ(o.delay.count(), 0);
    for (const auto& p : o.predictions) predicted.insert(p.cls);
  }
  EXPECT_EQ(predicted.size(), 1U);
  const double acc = accuracy(*m, file().test);
  EXPECT_NEAR(acc, 1.0 / 3, 0.01);  // a stratified split: one class in three
}

TEST(Profiles, V3FailsTheConfiguredShareDeterministically) {
  ServeConfig c = profileConfig("v3");
  c.seed = 7;
  auto run = [&] {
    auto m = makeServedModel(c, file());
    std::vector<bool> failed;
    for (int i = 0; i < 2000; ++i) failed.push_back(m->infer({file().test.x[0]}).failed);
    return failed;
  };
  const auto a = run();
  const auto b = run();
  EXPECT_EQ(a, b);  // same seed, same fates
  const double share = static_cast<double>(std::count(a.begin(), a.end(), true)) / 2000.0;
  EXPECT_NEAR(share, 0.3, 0.04);
  // The answers it does give are still right.
  auto m = makeServedModel(c, file());
  int ok = 0;
  for (int i = 0; i < 100; ++i) {
    const Outcome o = m->infer(file().test.x);
    if (o.failed) continue;
    ++ok;
    EXPECT_EQ(o.predictions[0].cls, file().logregTestPredictions[0]);
  }
  EXPECT_GT(ok, 50);
}

TEST(FaultPlan, SharesHoldForAnySeedAndDifferBetweenSeeds) {
  for (std::uint64_t seed : {1ULL, 2ULL, 12345ULL}) {
    FaultPlan plan(0.1, 0.5, seed);
    int fails = 0, slow = 0;
    for (std::uint64_t n = 0; n < 10000; ++n) {
      fails += plan.fails(n) ? 1 : 0;
      slow += plan.slow(n) ? 1 : 0;
    }
    EXPECT_NEAR(fails / 10000.0, 0.1, 0.015) << seed;
    EXPECT_NEAR(slow / 10000.0, 0.5, 0.02) << seed;
  }
  FaultPlan a(0.5, 0, 1), b(0.5, 0, 2);
  int differ = 0;
  for (std::uint64_t n = 0; n < 100; ++n) differ += a.fails(n) != b.fails(n) ? 1 : 0;
  EXPECT_GT(differ, 20);
  FaultPlan never(0, 0, 1), always(1, 1, 1);
  for (std::uint64_t n = 0; n < 100; ++n) {
    EXPECT_FALSE(never.fails(n));
    EXPECT_FALSE(never.slow(n));
    EXPECT_TRUE(always.fails(n));
    EXPECT_TRUE(always.slow(n));
  }
}

TEST(Profiles, SlowShareDelaysAnswers) {
  ServeConfig c = profileConfig("v3");
  c.errorShare = 0;
  c.slowShare = 1;
  c.slowDelay = std::chrono::milliseconds(250);
  auto m = makeServedModel(c, file());
  const Outcome o = m->infer({file().test.x[0]});
  EXPECT_FALSE(o.failed);
  EXPECT_EQ(o.delay.count(), 250);
}

TEST(Profiles, UnknownOnesAreRefused) {
  EXPECT_THROW(profileConfig("v9"), std::invalid_argument);
  ServeConfig c;
  c.algorithm = "svm";
  EXPECT_THROW(makeServedModel(c, file()), std::invalid_argument);
}

TEST(DecisionTree, RefusesNodesThatAreNotATree) {
  TreeNode loop;
  loop.feature = 0;
  loop.left = 0;
  loop.right = 0;
  EXPECT_THROW(makeDecisionTree({loop}), std::invalid_argument);
  EXPECT_THROW(makeDecisionTree({}), std::invalid_argument);
  TreeNode badFeature;
  badFeature.feature = 9;
  badFeature.left = 1;
  badFeature.right = 2;
  EXPECT_THROW(makeDecisionTree({badFeature, TreeNode{}, TreeNode{}}), std::invalid_argument);
}

}  // namespace
}  // namespace iris
