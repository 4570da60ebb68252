// The informer cache: keys, reads, indexes kept in step with changing objects, and the
// previous object handed back by every write.
#include "kube/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using mlmodel::kube::Json;
using mlmodel::kube::objectKey;
using mlmodel::kube::ObjectPtr;
using mlmodel::kube::resourceVersionOf;
using mlmodel::kube::Store;

namespace {

using Strings = std::vector<std::string>;

Json obj(const std::string& ns, const std::string& name, const std::string& rv,
         const std::string& app = "", const std::string& owner = "") {
  Json o = Json::object();
  o["metadata"] = Json::object();
  auto& m = o["metadata"];
  m["name"] = Json::string(name);
  if (!ns.empty()) m["namespace"] = Json::string(ns);
  m["resourceVersion"] = Json::string(rv);
  if (!app.empty()) {
    Json labels = Json::object();
    labels["app"] = Json::string(app);
    m["labels"] = labels;
  }
  if (!owner.empty()) {
    Json ref = Json::object();
    ref["uid"] = Json::string(owner);
    m["ownerReferences"] = Json::array({ref});
  }
  return o;
}

std::vector<std::string> byLabel(const Json& o) {
  const auto& m = o.at("metadata");
  if (!m.has_object_field("labels") || !m.at("labels").has_string_field("app")) return {};
  return {m.at("labels").at("app").as_string()};
}

std::vector<std::string> byOwners(const Json& o) {
  std::vector<std::string> out;
  const auto& m = o.at("metadata");
  if (!m.has_array_field("ownerReferences")) return out;
  for (const auto& r : m.at("ownerReferences").as_array()) out.push_back(r.at("uid").as_string());
  return out;
}

std::string nameOf(const ObjectPtr& o) { return o->at("metadata").at("name").as_string(); }

Strings names(const std::vector<ObjectPtr>& objects) {
  Strings out;
  for (const auto& o : objects) out.push_back(nameOf(o));
  std::sort(out.begin(), out.end());
  return out;
}

Strings sorted(Strings s) {
  std::sort(s.begin(), s.end());
  return s;
}

TEST(StoreTest, KeysAreNamespaceSlashNameOrTheBareNameWhenClusterScoped) {
  EXPECT_EQ(objectKey(obj("ml", "fraud", "1")), "ml/fraud");
  EXPECT_EQ(objectKey(obj("", "mlmodels.serving.mlops.dev", "1")), "mlmodels.serving.mlops.dev");
  EXPECT_EQ(objectKey(Json::parse(R"({"kind":"X"})")), "");
  EXPECT_EQ(resourceVersionOf(obj("ml", "fraud", "42")), "42");
  EXPECT_EQ(resourceVersionOf(Json::parse(R"({"metadata":{"name":"x"}})")), "");
}

TEST(StoreTest, GetListKeysAndSize) {
  Store s;
  EXPECT_EQ(s.get("ml/a"), nullptr);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.list().empty());

  s.upsert("ml/a", obj("ml", "a", "1"));
  s.upsert("other/a", obj("other", "a", "2"));
  s.upsert("node-1", obj("", "node-1", "3"));

  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(sorted(s.keys()), (Strings{"ml/a", "node-1", "other/a"}));
  auto a = s.get("ml/a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(*a, obj("ml", "a", "1"));
  auto other = s.get("other/a");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->at("metadata").at("namespace").as_string(), "other");
  EXPECT_EQ(names(s.list()), (Strings{"a", "a", "node-1"}));
  EXPECT_EQ(s.get("ml/missing"), nullptr);
}

TEST(StoreTest, ReadersGetTheirOwnCopy) {
  Store s;
  s.upsert("ml/a", obj("ml", "a", "1"));
  auto before = s.get("ml/a");
  ASSERT_NE(before, nullptr);
  s.upsert("ml/a", obj("ml", "a", "2"));
  EXPECT_EQ(resourceVersionOf(*before), "1");
  const auto after = s.get("ml/a");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(resourceVersionOf(*after), "2");
}

TEST(StoreTest, UpsertAndEraseReturnThePreviousObject) {
  Store s;
  EXPECT_EQ(s.upsert("ml/a", obj("ml", "a", "1")), nullptr);
  auto old = s.upsert("ml/a", obj("ml", "a", "2"));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(resourceVersionOf(*old), "1");
  EXPECT_EQ(s.size(), 1u);

  auto erased = s.erase("ml/a");
  ASSERT_NE(erased, nullptr);
  EXPECT_EQ(resourceVersionOf(*erased), "2");
  EXPECT_EQ(s.get("ml/a"), nullptr);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.erase("ml/a"), nullptr);
}

TEST(StoreTest, ResourceVersionOfAKey) {
  Store s;
  EXPECT_EQ(s.resourceVersion("ml/a"), "");
  s.upsert("ml/a", obj("ml", "a", "7"));
  EXPECT_EQ(s.resourceVersion("ml/a"), "7");
  s.upsertText("ml/b", "9", obj("ml", "b", "9").serialize());
  EXPECT_EQ(s.resourceVersion("ml/b"), "9");
  s.erase("ml/a");
  EXPECT_EQ(s.resourceVersion("ml/a"), "");
}

TEST(StoreTest, ByIndexFindsEveryObjectFiledUnderAValue) {
  Store s;
  s.addIndex("app", byLabel);
  s.addIndex("owner", byOwners);
  s.upsert("ml/a", obj("ml", "a", "1", "fraud", "u1"));
  s.upsert("ml/b", obj("ml", "b", "1", "fraud", "u2"));
  s.upsert("ml/c", obj("ml", "c", "1", "churn", "u1"));
  s.upsert("ml/d", obj("ml", "d", "1"));  // filed under nothing

  EXPECT_EQ(names(s.byIndex("app", "fraud")), (Strings{"a", "b"}));
  EXPECT_EQ(names(s.byIndex("app", "churn")), (Strings{"c"}));
  EXPECT_EQ(names(s.byIndex("owner", "u1")), (Strings{"a", "c"}));
  EXPECT_TRUE(s.byIndex("app", "nothing").empty());
  EXPECT_TRUE(s.byIndex("no-such-index", "fraud").empty());
}

TEST(StoreTest, IndexFollowsAChangedValueAndAnErase) {
  Store s;
  s.addIndex("app", byLabel);
  s.upsert("ml/a", obj("ml", "a", "1", "fraud"));
  s.upsert("ml/b", obj("ml", "b", "1", "fraud"));

  s.upsert("ml/a", obj("ml", "a", "2", "churn"));
  EXPECT_EQ(names(s.byIndex("app", "fraud")), (Strings{"b"}));
  EXPECT_EQ(names(s.byIndex("app", "churn")), (Strings{"a"}));
  EXPECT_EQ(resourceVersionOf(*s.byIndex("app", "churn").at(0)), "2");

  s.upsert("ml/a", obj("ml", "a", "3"));  // label removed
  EXPECT_TRUE(s.byIndex("app", "churn").empty());

  s.erase("ml/b");
  EXPECT_TRUE(s.byIndex("app", "fraud").empty());

  // Filed again once the value comes back.
  s.upsert("ml/b", obj("ml", "b", "4", "fraud"));
  EXPECT_EQ(names(s.byIndex("app", "fraud")), (Strings{"b"}));
}

TEST(StoreTest, OneObjectUnderSeveralValuesOfAnIndex) {
  Store s;
  s.addIndex("owner", byOwners);
  Json two = obj("ml", "a", "1");
  Json r1 = Json::object(), r2 = Json::object();
  r1["uid"] = Json::string("u1");
  r2["uid"] = Json::string("u2");
  two["metadata"]["ownerReferences"] = Json::array({r1, r2});
  s.upsert("ml/a", two);
  EXPECT_EQ(names(s.byIndex("owner", "u1")), (Strings{"a"}));
  EXPECT_EQ(names(s.byIndex("owner", "u2")), (Strings{"a"}));

  s.upsert("ml/a", obj("ml", "a", "2", "", "u2"));
  EXPECT_TRUE(s.byIndex("owner", "u1").empty());
  EXPECT_EQ(names(s.byIndex("owner", "u2")), (Strings{"a"}));
}

TEST(StoreTest, UpsertTextWithoutIndexes) {
  Store s;
  const auto text = obj("ml", "a", "5").serialize();
  EXPECT_EQ(s.upsertText("ml/a", "5", text), nullptr);
  auto got = s.get("ml/a");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, obj("ml", "a", "5"));

  auto old = s.upsertText("ml/a", "6", obj("ml", "a", "6").serialize());
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(resourceVersionOf(*old), "5");
  EXPECT_EQ(s.resourceVersion("ml/a"), "6");
}

TEST(StoreTest, UpsertTextWithIndexesFilesTheObject) {
  Store s;
  s.addIndex("app", byLabel);
  EXPECT_EQ(s.upsertText("ml/a", "1", obj("ml", "a", "1", "fraud").serialize()), nullptr);
  EXPECT_EQ(names(s.byIndex("app", "fraud")), (Strings{"a"}));

  auto old = s.upsertText("ml/a", "2", obj("ml", "a", "2", "churn").serialize());
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(resourceVersionOf(*old), "1");
  EXPECT_TRUE(s.byIndex("app", "fraud").empty());
  EXPECT_EQ(names(s.byIndex("app", "churn")), (Strings{"a"}));
  // Text and parsed writes mix.
  s.upsert("ml/b", obj("ml", "b", "1", "churn"));
  EXPECT_EQ(names(s.byIndex("app", "churn")), (Strings{"a", "b"}));
}

}  // namespace
