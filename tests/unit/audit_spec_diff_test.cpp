#include <gtest/gtest.h>

#include "audit/spec_diff.h"

namespace mlmodel {
namespace {

using audit::Json;
using Paths = std::vector<std::string>;

Paths diff(const char* before, const char* after, const std::string& prefix = "spec",
           size_t limit = 16) {
  return audit::changedPaths(Json::parse(before), Json::parse(after), prefix, limit);
}

TEST(AuditSpecDiff, NamedListElementsAreMatchedByName) {
  EXPECT_EQ(
      diff(R"({"image":"a:1","env":[{"name":"A","value":"1"}],
                     "resources":{"limits":{"memory":"1Gi"}}})",
           R"({"image":"a:2","env":[{"name":"A","value":"2"},{"name":"B","value":"x"}],
                     "resources":{"limits":{"memory":"2Gi"}}})"),
      (Paths{"spec.env[A].value", "spec.env[B]", "spec.image", "spec.resources.limits.memory"}));
  // An insertion at the front is one change, not a change of every later element.
  EXPECT_EQ(diff(R"({"env":[{"name":"B","value":"2"},{"name":"C","value":"3"}]})",
                 R"({"env":[{"name":"A","value":"1"},{"name":"B","value":"2"},
                            {"name":"C","value":"3"}]})"),
            (Paths{"spec.env[A]"}));
  // A removed element, down to an empty list.
  EXPECT_EQ(diff(R"({"env":[{"name":"A","value":"1"}]})", R"({"env":[]})"), (Paths{"spec.env[A]"}));
}

TEST(AuditSpecDiff, EqualValuesHaveNoChanges) {
  const char* spec = R"({"image":"a:1","env":[{"name":"A","value":"1"}],"args":["--x"],
                         "nodeSelector":{"zone":"a"},"replicas":2})";
  EXPECT_EQ(diff(spec, spec), Paths{});
  EXPECT_EQ(diff("{}", "{}"), Paths{});
  EXPECT_EQ(diff("null", "null"), Paths{});
}

TEST(AuditSpecDiff, AKeyOnOneSideIsAChangeAtThatKey) {
  EXPECT_EQ(diff(R"({"image":"a:1"})",
                 R"({"image":"a:1","resources":{"limits":{"cpu":"1","memory":"1Gi"}}})"),
            (Paths{"spec.resources"}));
  EXPECT_EQ(diff(R"({"resources":{"limits":{"cpu":"1"},"requests":{"cpu":"1"}}})",
                 R"({"resources":{"limits":{"cpu":"1"}}})"),
            (Paths{"spec.resources.requests"}));
  // A null is a value like any other.
  EXPECT_EQ(diff(R"({"version":null})", R"({})"), (Paths{"spec.version"}));
}

TEST(AuditSpecDiff, OtherListsDifferWhole) {
  EXPECT_EQ(diff(R"({"args":["--threads","4"]})", R"({"args":["--threads","8"]})"),
            (Paths{"spec.args"}));
  // Tolerations have no name: the list changes as a whole.
  EXPECT_EQ(diff(R"({"tolerations":[{"key":"gpu","operator":"Exists"}]})",
                 R"({"tolerations":[{"key":"gpu","operator":"Exists"},{"key":"spot"}]})"),
            (Paths{"spec.tolerations"}));
  // One element without a string name is enough.
  EXPECT_EQ(diff(R"({"env":[{"name":"A","value":"1"}]})",
                 R"({"env":[{"name":"A","value":"2"},{"name":7}]})"),
            (Paths{"spec.env"}));
  // Two elements of one name cannot be matched by name.
  EXPECT_EQ(diff(R"({"env":[{"name":"A","value":"1"},{"name":"A","value":"2"}]})",
                 R"({"env":[{"name":"A","value":"1"},{"name":"A","value":"3"}]})"),
            (Paths{"spec.env"}));
}

TEST(AuditSpecDiff, NamedElementsInAnotherOrderAreAChangeOfTheList) {
  // The order of env matters: $(A) refers only to variables defined before it.
  EXPECT_EQ(diff(R"json({"env":[{"name":"A","value":"1"},{"name":"B","value":"$(A)"}]})json",
                 R"json({"env":[{"name":"B","value":"$(A)"},{"name":"A","value":"1"}]})json"),
            (Paths{"spec.env"}));
}

TEST(AuditSpecDiff, AChangeOfTypeIsAChangeAtThatPath) {
  EXPECT_EQ(diff(R"({"resources":{"limits":{"cpu":"1"}}})", R"({"resources":"big"})"),
            (Paths{"spec.resources"}));
  EXPECT_EQ(diff(R"({"replicas":2})", R"({"replicas":"2"})"), (Paths{"spec.replicas"}));
  EXPECT_EQ(diff(R"({"args":[]})", R"({"args":{}})"), (Paths{"spec.args"}));
  EXPECT_EQ(diff(R"("a:1")", R"("a:2")", "spec.image"), (Paths{"spec.image"}));
}

TEST(AuditSpecDiff, WithoutAPrefixPathsStartAtTheKey) {
  EXPECT_EQ(diff(R"({"image":"a:1","env":[{"name":"A"}]})", R"({"image":"a:2","env":[]})", ""),
            (Paths{"env[A]", "image"}));
}

std::string manyKeys(int n, const char* value) {
  std::string s = "{";
  for (int i = 0; i < n; ++i) {
    if (i > 0) s += ",";
    s += "\"k" + std::string(i < 10 ? "0" : "") + std::to_string(i) + "\":\"" + value + "\"";
  }
  return s + "}";
}

TEST(AuditSpecDiff, AtMostLimitPathsTheLastSayingHowManyMore) {
  const std::string before = manyKeys(20, "a");
  const std::string after = manyKeys(20, "b");
  const Paths all = diff(before.c_str(), after.c_str(), "spec", 100);
  ASSERT_EQ(all.size(), 20u);
  EXPECT_EQ(all.front(), "spec.k00");
  EXPECT_EQ(all.back(), "spec.k19");

  const Paths cut = diff(before.c_str(), after.c_str());
  ASSERT_EQ(cut.size(), 16u);
  EXPECT_EQ(cut[14], "spec.k14");
  EXPECT_EQ(cut[15], "\u2026 and 5 more");

  // Exactly `limit` changes fit without a summary.
  const Paths exact = diff(before.c_str(), after.c_str(), "spec", 20);
  EXPECT_EQ(exact, all);
  EXPECT_EQ(diff(before.c_str(), after.c_str(), "spec", 1), (Paths{"\u2026 and 20 more"}));
  EXPECT_EQ(diff(before.c_str(), after.c_str(), "spec", 0), Paths{});
}

}  // namespace
}  // namespace mlmodel
