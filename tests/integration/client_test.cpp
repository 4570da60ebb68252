// The REST client against the real kube-apiserver.
#include "cluster_env.h"

namespace mlmodel::testing {
namespace {

namespace res = kube::resources;

using ClientTest = ClusterTest;

TEST_F(ClientTest, CreateGetUpdateDelete) {
  auto created = client().create(res::configMaps, ns_, configMap("cm", "k", "v1"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_FALSE(created.value().at("metadata").at("uid").as_string().empty());

  auto got = client().get(res::configMaps, ns_, "cm");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got.value().at("data").at("k").as_string(), "v1");

  auto obj = got.value();
  obj["data"]["k"] = Json::string("v2");
  auto updated = client().update(res::configMaps, ns_, obj);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated.value().at("data").at("k").as_string(), "v2");

  ASSERT_TRUE(client().remove(res::configMaps, ns_, "cm"));
  auto gone = client().get(res::configMaps, ns_, "cm");
  ASSERT_FALSE(gone);
  EXPECT_TRUE(kube::isNotFound(gone.error()));
  EXPECT_NE(gone.error().message.find("\"cm\" not found"), std::string::npos)
      << gone.error().message;
}

TEST_F(ClientTest, CreatingTwiceIsAlreadyExists) {
  ASSERT_TRUE(client().create(res::configMaps, ns_, configMap("dup", "k", "v")));
  auto again = client().create(res::configMaps, ns_, configMap("dup", "k", "v"));
  ASSERT_FALSE(again);
  EXPECT_TRUE(kube::isAlreadyExists(again.error())) << again.error().message;
}

TEST_F(ClientTest, TwoUpdatesFromTheSameVersionConflictForOneOfThem) {
  auto base = client().create(res::configMaps, ns_, configMap("race", "k", "v0"));
  ASSERT_TRUE(base);
  auto a = base.value();
  auto b = base.value();
  a["data"]["k"] = Json::string("a");
  b["data"]["k"] = Json::string("b");
  auto first = client().update(res::configMaps, ns_, a);
  auto second = client().update(res::configMaps, ns_, b);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_FALSE(second);
  EXPECT_TRUE(kube::isConflict(second.error())) << second.error().message;
  EXPECT_NE(second.error().message.find("the object has been modified"), std::string::npos);
  EXPECT_EQ(client().get(res::configMaps, ns_, "race").value().at("data").at("k").as_string(), "a");
}

TEST_F(ClientTest, DeletePreconditionOnUidRejectsAStaleDelete) {
  ASSERT_TRUE(client().create(res::configMaps, ns_, configMap("pre", "k", "v")));
  kube::DeleteOptions o;
  o.uid = "00000000-0000-0000-0000-000000000000";
  auto r = client().remove(res::configMaps, ns_, "pre", o);
  ASSERT_FALSE(r);
  EXPECT_TRUE(kube::isConflict(r.error())) << r.error().message;
  EXPECT_TRUE(client().get(res::configMaps, ns_, "pre"));
}

TEST_F(ClientTest, ListFollowsPagesUntilWhole) {
  for (int i = 0; i < 23; ++i) {
    ASSERT_TRUE(client().create(res::configMaps, ns_,
                                configMap("page-" + std::to_string(i), "i", std::to_string(i))));
  }
  kube::ListOptions o;
  o.limit = 5;
  auto all = client().list(res::configMaps, ns_, o);
  ASSERT_TRUE(all) << all.error().message;
  int ours = 0;
  for (const auto& item : all.value().items) {
    if (item.at("metadata").at("name").as_string().rfind("page-", 0) == 0) ++ours;
  }
  EXPECT_EQ(ours, 23);
  EXPECT_FALSE(all.value().resourceVersion.empty());

  o.labelSelector = "nothing=here";
  auto none = client().list(res::configMaps, ns_, o);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none.value().items.empty());
}

TEST_F(ClientTest, InvalidObjectIsRejectedWithTheServersMessage) {
  auto r = client().create(res::configMaps, ns_, configMap("Not_A_Valid_Name", "k", "v"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(kube::isInvalid(r.error()));
  EXPECT_NE(r.error().message.find("metadata.name"), std::string::npos) << r.error().message;
}

TEST_F(ClientTest, ServerSideApplyKeepsEachManagersFields) {
  kube::ApplyOptions alice{"alice", false};
  kube::ApplyOptions bob{"bob", false};
  ASSERT_TRUE(client().apply(res::configMaps, ns_, "shared", configMap("shared", "a", "1"), alice));
  ASSERT_TRUE(client().apply(res::configMaps, ns_, "shared", configMap("shared", "b", "2"), bob));
  auto both = client().get(res::configMaps, ns_, "shared").value();
  EXPECT_EQ(both.at("data").at("a").as_string(), "1");
  EXPECT_EQ(both.at("data").at("b").as_string(), "2");

  // alice may not take bob's field without force...
  auto clash = client().apply(res::configMaps, ns_, "shared", configMap("shared", "b", "3"), alice);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, 409);
  EXPECT_NE(clash.error().message.find("bob"), std::string::npos) << clash.error().message;
  // ...and with force she owns it; her apply also drops her old field "a".
  alice.force = true;
  auto forced =
      client().apply(res::configMaps, ns_, "shared", configMap("shared", "b", "3"), alice);
  ASSERT_TRUE(forced) << forced.error().message;
  EXPECT_EQ(forced.value().at("data").at("b").as_string(), "3");
  EXPECT_FALSE(forced.value().at("data").has_field("a"));
}

TEST_F(ClientTest, MergeAndJsonPatch) {
  ASSERT_TRUE(client().create(res::configMaps, ns_, configMap("p", "k", "v")));
  auto merged = client().patch(res::configMaps, ns_, "p", kube::PatchType::Merge,
                               parse(R"({"data":{"added":"yes"}})"));
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged.value().at("data").at("added").as_string(), "yes");
  auto patched = client().patch(res::configMaps, ns_, "p", kube::PatchType::Json,
                                parse(R"([{"op":"remove","path":"/data/k"}])"));
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_FALSE(patched.value().at("data").has_field("k"));
}

TEST_F(ClientTest, ScaleSubresourceOfADeployment) {
  auto d = parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"web","image":"registry.example/web:1"}]}}}})");
  ASSERT_TRUE(client().create(res::deployments, ns_, d));
  auto scale = client().get(res::deployments, ns_, "web", "scale");
  ASSERT_TRUE(scale) << scale.error().message;
  EXPECT_EQ(scale.value().at("kind").as_string(), "Scale");
  EXPECT_EQ(scale.value().at("spec").at("replicas").as_integer(), 1);
  auto s = scale.value();
  s["spec"]["replicas"] = Json::number(3);
  // Without a resourceVersion the update is unconditional: the deployment controller may
  // have written the Deployment since our GET, which would make a conditional one 409.
  s["metadata"].erase("resourceVersion");
  auto updated = client().update(res::deployments, ns_, s, "scale");
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(
      client().get(res::deployments, ns_, "web").value().at("spec").at("replicas").as_integer(), 3);
}

// A custom resource with a status subresource; nothing else writes to it.
const kube::ResourceType widgets{"it.mlops.dev", "v1", "widgets", true};

void ensureWidgetCrd(kube::Client& c) {
  auto crd = parse(R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.it.mlops.dev"},
    "spec":{"group":"it.mlops.dev","scope":"Namespaced",
      "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
      "versions":[{"name":"v1","served":true,"storage":true,
        "subresources":{"status":{}},
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
          "status":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}]}})");
  auto r = c.apply(kube::resources::customResourceDefinitions, "", "widgets.it.mlops.dev", crd,
                   {"integration-tests", true});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(eventually([&] { return bool(c.list(widgets, "default")); }))
      << "widgets never served";
}

TEST_F(ClientTest, StatusSubresourceIsWrittenSeparatelyFromSpec) {
  ensureWidgetCrd(client());
  auto w = parse(R"({"apiVersion":"it.mlops.dev/v1","kind":"Widget","metadata":{"name":"w"},
    "spec":{"size":1}})");
  ASSERT_TRUE(client().create(widgets, ns_, w));
  // A write to the main resource ignores status...
  auto main = client().patch(widgets, ns_, "w", kube::PatchType::Merge,
                             parse(R"({"status":{"phase":"Ignored"}})"));
  ASSERT_TRUE(main) << main.error().message;
  EXPECT_FALSE(main.value().has_field("status"));
  // ...a write to /status changes only status, and does not bump the generation.
  auto st = client().patch(widgets, ns_, "w", kube::PatchType::Merge,
                           parse(R"({"status":{"phase":"Ready"},"spec":{"size":9}})"), "status");
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(st.value().at("status").at("phase").as_string(), "Ready");
  EXPECT_EQ(st.value().at("spec").at("size").as_integer(), 1);
  EXPECT_EQ(st.value().at("metadata").at("generation").as_integer(), 1);
  // Server-side apply works on the subresource too.
  auto applied = client().apply(
      widgets, ns_, "w",
      parse(R"({"apiVersion":"it.mlops.dev/v1","kind":"Widget","metadata":{"name":"w"},
        "status":{"phase":"Applied"}})"),
      {"integration-tests", true}, "status");
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied.value().at("status").at("phase").as_string(), "Applied");
}

}  // namespace
}  // namespace mlmodel::testing
