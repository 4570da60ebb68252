// Canary weights on a real Gateway API HTTPRoute: the route is the user's (applied by
// kubectl), the operator changes only the backendRefs' weights with a forced server-side
// apply of the whole (atomic) spec.rules list. Needs the Gateway API CRDs, which
// `hack/cluster.sh up` installs; installed here from $GATEWAY_API_CRDS when missing.
#include "rollout/gateway_route.h"

#include <sys/wait.h>

#include <cstdio>

#include "cluster_env.h"
#include "controller/desired.h"

namespace mlmodel::testing {
namespace {

namespace res = kube::resources;

constexpr const char* kCrd = "httproutes.gateway.networking.k8s.io";
constexpr const char* kRoute = "m";

struct Run {
  int status = -1;  // the exit status, -1 when the command could not run
  std::string out;  // stdout and stderr
};

Run run(const std::string& cmd) {
  Run r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) r.out += buf;
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// The user's route, as they would write it.
Json userRoute(const std::string& ns) {
  Json route = parse(R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
    "metadata":{"name":"m"},
    "spec":{"parentRefs":[{"name":"ml-gateway","sectionName":"http"}],
      "hostnames":["m.models.example"],
      "rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/v2/models/m"}}],
                "backendRefs":[{"name":"m-stable","port":80,"weight":100},
                               {"name":"m-canary","port":80,"weight":0}]}]}})");
  route["metadata"]["namespace"] = Json::string(ns);
  return route;
}

// `kubectl apply --server-side` of `object` under the field manager kubectl.
Run kubectlApply(const Json& object, const std::string& extra = "") {
  const std::string text = object.serialize();
  if (text.find('\'') != std::string::npos) return {-1, "quote in manifest"};
  return run("echo '" + text + "' | kubectl apply --server-side --field-manager=kubectl " + extra +
             " -f -");
}

class GatewayRouteTest : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    if (HasFatalFailure()) return;
    ensureGatewayApi();
  }

  static void ensureGatewayApi() {
    if (adminClient().get(res::customResourceDefinitions, "", kCrd)) return;
    const std::string crds = envOr("GATEWAY_API_CRDS");
    ASSERT_FALSE(crds.empty()) << kCrd << " is missing and GATEWAY_API_CRDS is not set "
                               << "(hack/cluster.sh up installs it; eval hack/cluster.sh env)";
    auto r = run("kubectl apply --server-side -f '" + crds + "' >/dev/null && " +
                 "kubectl wait --for=condition=Established crd/" + kCrd + " --timeout=60s");
    ASSERT_EQ(r.status, 0) << r.out;
    ASSERT_TRUE(eventually([] {
      return static_cast<bool>(adminClient().list(rollout::httpRoutes, "default"));
    })) << "httproutes are not served";
  }

  Json kubectlGet() {
    auto r = run("kubectl get httproute " + std::string(kRoute) + " -n " + ns_ +
                 " -o json --show-managed-fields");
    EXPECT_EQ(r.status, 0) << r.out;
    if (r.status != 0) return Json::null();
    try {
      return Json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << ": " << r.out;
      return Json::null();
    }
  }

  // What the reconciler does: read the route, apply the weights with force.
  core::Result<Json> setCanaryWeight(int canary) {
    auto current = client().get(rollout::httpRoutes, ns_, kRoute);
    if (!current) return current.error();
    auto body = rollout::routeWeightsApply(current.value(), "m-stable", "m-canary", canary);
    if (!body) return body.error();
    return client().apply(rollout::httpRoutes, ns_, kRoute, body.value(),
                          kube::ApplyOptions{controller::kFieldManager, true});
  }
};

const Json* managerEntry(const Json& route, const std::string& manager) {
  const auto& mf = route.at("metadata").at("managedFields").as_array();
  for (const auto& e : mf) {
    if (e.at("manager").as_string() == manager && e.at("operation").as_string() == "Apply") {
      return &e;
    }
  }
  return nullptr;
}

bool ownsSpecField(const Json& entry, const std::string& field) {
  const Json& f = entry.at("fieldsV1");
  return f.has_object_field("f:spec") && f.at("f:spec").has_field("f:" + field);
}

// The rules with every backendRef's weight removed: what must not change.
Json withoutWeights(Json rules) {
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].has_array_field("backendRefs")) continue;
    for (size_t j = 0; j < rules[i]["backendRefs"].size(); ++j) {
      rules[i]["backendRefs"][j].erase("weight");
    }
  }
  return rules;
}

TEST_F(GatewayRouteTest, EachStepChangesOnlyTheWeightsOfTheUsersRoute) {
  auto created = kubectlApply(userRoute(ns_));
  ASSERT_EQ(created.status, 0) << created.out;
  const Json before = kubectlGet();
  ASSERT_FALSE(before.is_null());
  const auto initial = rollout::currentWeights(before, "m-stable", "m-canary");
  ASSERT_EQ(initial.stable, 100);
  ASSERT_EQ(initial.canary, 0);
  ASSERT_NE(managerEntry(before, "kubectl"), nullptr);
  EXPECT_EQ(managerEntry(before, controller::kFieldManager), nullptr);

  for (int canary : {10, 50, 0}) {
    SCOPED_TRACE("canary weight " + std::to_string(canary));
    auto applied = setCanaryWeight(canary);
    ASSERT_TRUE(applied) << applied.error().message;

    const Json after = kubectlGet();
    ASSERT_FALSE(after.is_null());
    const auto& rules = after.at("spec").at("rules");
    ASSERT_EQ(rules.size(), 1u) << after.serialize();
    const auto& refs = rules.at(0).at("backendRefs");
    ASSERT_EQ(refs.size(), 2u);
    EXPECT_EQ(refs.at(0).at("name").as_string(), "m-stable");
    EXPECT_EQ(refs.at(0).at("weight").as_integer(), 100 - canary);
    EXPECT_EQ(refs.at(1).at("name").as_string(), "m-canary");
    EXPECT_EQ(refs.at(1).at("weight").as_integer(), canary);
    const auto w = rollout::currentWeights(after, "m-stable", "m-canary");
    EXPECT_EQ(w.stable, 100 - canary);
    EXPECT_EQ(w.canary, canary);

    // Everything else is the user's, unchanged.
    EXPECT_EQ(after.at("spec").at("parentRefs"), before.at("spec").at("parentRefs"));
    EXPECT_EQ(after.at("spec").at("hostnames"), before.at("spec").at("hostnames"));
    EXPECT_EQ(rules.at(0).at("matches"), before.at("spec").at("rules").at(0).at("matches"));
    EXPECT_EQ(withoutWeights(rules), withoutWeights(before.at("spec").at("rules")));
    EXPECT_EQ(after.at("metadata").at("uid"), before.at("metadata").at("uid"));

    // Ownership: the operator owns spec.rules (an atomic list, so all of it); kubectl
    // keeps parentRefs and hostnames.
    const Json* ours = managerEntry(after, controller::kFieldManager);
    ASSERT_NE(ours, nullptr) << after.at("metadata").at("managedFields").serialize();
    EXPECT_TRUE(ownsSpecField(*ours, "rules")) << ours->serialize();
    EXPECT_FALSE(ownsSpecField(*ours, "parentRefs")) << ours->serialize();
    EXPECT_FALSE(ownsSpecField(*ours, "hostnames")) << ours->serialize();
    const Json* theirs = managerEntry(after, "kubectl");
    ASSERT_NE(theirs, nullptr) << after.at("metadata").at("managedFields").serialize();
    EXPECT_TRUE(ownsSpecField(*theirs, "parentRefs")) << theirs->serialize();
    EXPECT_TRUE(ownsSpecField(*theirs, "hostnames")) << theirs->serialize();
  }

  // Applying the weights the route already has changes nothing.
  const Json last = kubectlGet();
  ASSERT_TRUE(setCanaryWeight(0));
  EXPECT_EQ(kubectlGet().at("metadata").at("resourceVersion"),
            last.at("metadata").at("resourceVersion"));
}

// What the header comment promises the route's author: once the operator changed the
// weights, their server-side re-apply of the original manifest conflicts on spec.rules;
// --force-conflicts takes the rules back (and the weights), and the operator's next
// apply takes them again.
TEST_F(GatewayRouteTest, TheUsersReapplyConflictsOnRulesWhileTheWeightsDiffer) {
  ASSERT_EQ(kubectlApply(userRoute(ns_)).status, 0);
  ASSERT_TRUE(setCanaryWeight(10));
  const Json during = kubectlGet();
  const Json* theirs = managerEntry(during, "kubectl");
  ASSERT_NE(theirs, nullptr);
  EXPECT_FALSE(ownsSpecField(*theirs, "rules"))
      << "the forced apply took spec.rules from kubectl: " << theirs->serialize();

  auto conflict = kubectlApply(userRoute(ns_));
  EXPECT_NE(conflict.status, 0) << conflict.out;
  EXPECT_NE(conflict.out.find("conflict with \"mlmodel-operator\": .spec.rules"), std::string::npos)
      << conflict.out;
  EXPECT_EQ(rollout::currentWeights(kubectlGet(), "m-stable", "m-canary").canary, 10);

  // Changing only what the user owns, without rules in the manifest, just works.
  Json noRules = userRoute(ns_);
  noRules["spec"].erase("rules");
  noRules["spec"]["hostnames"][1] = Json::string("m2.models.example");
  auto hostnames = kubectlApply(noRules);
  EXPECT_EQ(hostnames.status, 0) << hostnames.out;
  const Json edited = kubectlGet();
  EXPECT_EQ(edited.at("spec").at("hostnames").size(), 2u);
  EXPECT_EQ(rollout::currentWeights(edited, "m-stable", "m-canary").canary, 10);

  auto forced = kubectlApply(userRoute(ns_), "--force-conflicts");
  EXPECT_EQ(forced.status, 0) << forced.out;
  const Json reset = kubectlGet();
  EXPECT_EQ(rollout::currentWeights(reset, "m-stable", "m-canary").canary, 0);
  EXPECT_EQ(managerEntry(reset, controller::kFieldManager), nullptr)
      << "the operator owned only spec.rules: "
      << reset.at("metadata").at("managedFields").serialize();

  ASSERT_TRUE(setCanaryWeight(10));
  EXPECT_EQ(rollout::currentWeights(kubectlGet(), "m-stable", "m-canary").canary, 10);
}

TEST_F(GatewayRouteTest, ARouteWithoutTheModelsServicesIsLeftAlone) {
  Json route = userRoute(ns_);
  route["spec"]["rules"][0]["backendRefs"][1]["name"] = Json::string("other");
  ASSERT_EQ(kubectlApply(route).status, 0);
  const Json before = kubectlGet();
  auto r = setCanaryWeight(10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "RouteInvalid");
  EXPECT_NE(r.error().message.find(ns_ + "/m"), std::string::npos) << r.error().message;
  const Json after = kubectlGet();
  EXPECT_EQ(after.at("metadata").at("resourceVersion"),
            before.at("metadata").at("resourceVersion"));
  EXPECT_EQ(managerEntry(after, controller::kFieldManager), nullptr);
}

}  // namespace
}  // namespace mlmodel::testing
