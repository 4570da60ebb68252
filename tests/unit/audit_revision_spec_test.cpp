#include <gtest/gtest.h>

#include "audit/revision_spec.h"
#include "controller/desired.h"

namespace mlmodel {
namespace {

using audit::Json;

const std::string kRunImage = "reg:5000/models/fraud@sha256:" + std::string(64, 'f');

api::MLModel decode(const std::string& spec) {
  auto m = api::decodeMLModel(Json::parse(
      R"({"metadata":{"name":"fraud","namespace":"ml","uid":"u1"},"spec":)" + spec + "}"));
  EXPECT_TRUE(m) << m.error().message;
  api::applyDefaults(m.value());
  return m.value();
}

const char* kFullSpec = R"json({"image":"reg:5000/models/fraud:1.4.0","version":"1.4.0-rc1",
  "replicas":3,"port":9000,
  "env":[{"name":"THREADS","value":"4"},
         {"name":"POD_IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}],
  "resources":{"limits":{"cpu":"2","memory":"4Gi"},"requests":{"cpu":"1"}},
  "args":["--threads","$(THREADS)"],"command":["/bin/serve"],
  "nodeSelector":{"pool":"gpu"},
  "tolerations":[{"key":"gpu","operator":"Exists","effect":"NoSchedule"}],
  "imagePullSecrets":[{"name":"registry-creds"}],"serviceAccountName":"fraud-model",
  "securityContext":{"runAsUser":1000,"allowPrivilegeEscalation":true,
                     "capabilities":{"drop":["ALL"],"add":["NET_BIND_SERVICE"]}},
  "podSecurityContext":{"fsGroup":2000}})json";

TEST(AuditRevisionSpec, HoldsThePodFieldsThatAreSet) {
  const Json full = audit::revisionSpec(decode(kFullSpec).spec);
  ASSERT_EQ(full.size(), audit::kRevisionFields.size());
  for (const char* key : audit::kRevisionFields) EXPECT_TRUE(full.has_field(key)) << key;
  EXPECT_EQ(full.at("image").as_string(), "reg:5000/models/fraud:1.4.0");
  EXPECT_EQ(full.at("version").as_string(), "1.4.0-rc1");
  EXPECT_EQ(full.at("env"), decode(kFullSpec).spec.env);
  EXPECT_EQ(full.at("securityContext").at("runAsUser").as_integer(), 1000);
  // replicas, port and probes are not part of a revision.
  EXPECT_FALSE(full.has_field("replicas"));
  EXPECT_FALSE(full.has_field("port"));

  const Json minimal = audit::revisionSpec(decode(R"({"image":"reg/m:2"})").spec);
  EXPECT_EQ(minimal, Json::parse(R"({"image":"reg/m:2","version":"2"})"));

  // Empty lists and objects are unset, as the Deployment has them.
  const Json empty = audit::revisionSpec(decode(R"({"image":"reg/m:2","env":[],"args":[],
    "command":[],"tolerations":[],"imagePullSecrets":[],"resources":{},"nodeSelector":{},
    "securityContext":{},"podSecurityContext":{},"serviceAccountName":""})")
                                             .spec);
  EXPECT_EQ(empty, minimal);
}

TEST(AuditRevisionSpec, ADeploymentMapsBackToTheRevisionOfItsSpec) {
  const char* specs[] = {
      R"({"image":"reg/m:2"})",
      kFullSpec,
      // The user's own MODEL_NAME and MODEL_VERSION stay: only the operator's are dropped.
      R"({"image":"reg/m:2","env":[{"name":"MODEL_NAME","value":"mine"},
                                   {"name":"MODEL_VERSION","value":"v9"}]})",
      // Every pass-through field empty.
      R"({"image":"reg/m:2","env":[],"args":[],"command":[],"tolerations":[],
          "imagePullSecrets":[],"resources":{},"nodeSelector":{},"securityContext":{},
          "podSecurityContext":{}})",
      // A securityContext that turns a secure default off, and one field of the pod's.
      R"({"image":"reg/m:2","securityContext":{"runAsNonRoot":false,
          "seccompProfile":{"type":"Unconfined"}},"podSecurityContext":{"runAsUser":0}})",
      // Fields outside the revision do not leak into it.
      R"({"image":"reg/m@sha256:0123456789abcdef","replicas":0,"port":7000,"pinDigest":false,
          "probes":{"readiness":{"enabled":false},"liveness":{"path":"/alive"}},
          "revisionHistoryLimit":3})",
  };
  for (const char* text : specs) {
    const api::MLModel model = decode(text);
    const Json deployment = controller::desiredDeployment(model, kRunImage);
    EXPECT_EQ(audit::revisionSpecOfDeployment(deployment, model.spec.image, model.spec.version),
              audit::revisionSpec(model.spec))
        << text;
  }
}

TEST(AuditRevisionSpec, APodSecurityContextFromTheSpecIsKept) {
  const api::MLModel model = decode(R"({"image":"reg/m:2","podSecurityContext":{"fsGroup":2000}})");
  const Json revision = audit::revisionSpecOfDeployment(
      controller::desiredDeployment(model, kRunImage), model.spec.image, model.spec.version);
  EXPECT_EQ(revision.at("podSecurityContext"), Json::parse(R"({"fsGroup":2000})"));
  EXPECT_FALSE(revision.has_field("securityContext"));
}

// desiredDeployment(kFullSpec) as the API server returns it: defaults filled in, a sidecar
// injected before the model server, status and managedFields.
Json liveDeployment(const api::MLModel& model) {
  Json d = controller::desiredDeployment(model, kRunImage);
  d["metadata"]["resourceVersion"] = Json::string("4711");
  d["metadata"]["managedFields"] = Json::parse(R"([{"manager":"mlmodel-operator",
    "operation":"Apply","fieldsV1":{"f:spec":{}}}])");
  d["spec"]["progressDeadlineSeconds"] = Json::number(600);
  d["spec"]["strategy"] = Json::parse(
      R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}})");
  Json& pod = d["spec"]["template"]["spec"];
  pod["dnsPolicy"] = Json::string("ClusterFirst");
  pod["schedulerName"] = Json::string("default-scheduler");
  pod["restartPolicy"] = Json::string("Always");
  pod["terminationGracePeriodSeconds"] = Json::number(30);
  if (!pod.has_field("securityContext")) pod["securityContext"] = Json::object();
  Json& server = pod["containers"][0];
  server["imagePullPolicy"] = Json::string("IfNotPresent");
  server["terminationMessagePath"] = Json::string("/dev/termination-log");
  server["terminationMessagePolicy"] = Json::string("File");
  server["readinessProbe"]["successThreshold"] = Json::number(1);
  server["readinessProbe"]["httpGet"]["scheme"] = Json::string("HTTP");
  Json containers = Json::array();
  containers[0] = Json::parse(R"({"name":"istio-proxy","image":"istio/proxyv2:1.22",
    "args":["proxy","sidecar"],"env":[{"name":"ISTIO_META_POD_NAME","value":"x"}],
    "resources":{"limits":{"cpu":"2"}},"securityContext":{"runAsUser":1337}})");
  containers[1] = server;
  pod["containers"] = containers;
  d["status"] = Json::parse(R"({"observedGeneration":3,"replicas":3,"readyReplicas":3})");
  return d;
}

TEST(AuditRevisionSpec, ServerDefaultsAndASidecarDoNotChangeTheRevision) {
  for (const char* text : {kFullSpec, R"({"image":"reg/m:2"})"}) {
    const api::MLModel model = decode(text);
    EXPECT_EQ(audit::revisionSpecOfDeployment(liveDeployment(model), model.spec.image,
                                              model.spec.version),
              audit::revisionSpec(model.spec))
        << text;
  }
}

TEST(AuditRevisionSpec, ASecurityFieldEqualToTheDefaultIsLost) {
  // Lossy by construction: the Deployment cannot tell the user's runAsNonRoot: true from
  // the operator's default.
  const api::MLModel model =
      decode(R"({"image":"reg/m:2","securityContext":{"runAsNonRoot":true,"runAsUser":1000}})");
  const Json revision = audit::revisionSpecOfDeployment(
      controller::desiredDeployment(model, kRunImage), model.spec.image, model.spec.version);
  EXPECT_EQ(revision.at("securityContext"), Json::parse(R"({"runAsUser":1000})"));
}

TEST(AuditRevisionSpec, ADeploymentWithoutTheModelServerHasOnlyImageAndVersion) {
  const Json expected = Json::parse(R"({"image":"reg/m:2","version":"2"})");
  const char* deployments[] = {
      R"({})",
      R"(null)",
      R"({"spec":{"template":{"spec":{"containers":"model-server"}}}})",
      R"({"spec":{"template":{"spec":{"containers":[7,{"name":"other","args":["x"]}]}}}})",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"model-server","env":{"A":"1"},
          "args":"x","resources":[],"securityContext":"privileged"}]}}}})",
  };
  for (const char* text : deployments) {
    Json revision;
    ASSERT_NO_THROW(revision = audit::revisionSpecOfDeployment(Json::parse(text), "reg/m:2", "2"))
        << text;
    EXPECT_EQ(revision, expected) << text;
  }
}

// RFC 7386, as the API server applies a merge patch to a custom resource.
Json mergePatch(const Json& target, const Json& patch) {
  if (!patch.is_object()) return patch;
  Json out = target.is_object() ? target : Json::object();
  for (const auto& [k, v] : patch.as_object()) {
    if (v.is_null()) {
      out.erase(k);
    } else {
      out[k] = mergePatch(out.has_field(k) ? out.at(k) : Json::null(), v);
    }
  }
  return out;
}

TEST(AuditRollbackPatch, RestoresExactlyTheRevision) {
  const Json revision =
      audit::revisionSpec(decode(R"({"image":"reg/m:1","env":[{"name":"A","value":"1"}],
                 "resources":{"limits":{"memory":"1Gi"}},"nodeSelector":{"pool":"cpu"}})")
                              .spec);
  const Json current = Json::parse(kFullSpec);
  const Json patch = audit::rollbackSpecPatch(revision, current);
  ASSERT_EQ(patch.size(), 1u);
  const Json& spec = patch.at("spec");
  EXPECT_EQ(spec.size(), audit::kRevisionFields.size());
  EXPECT_EQ(spec.at("image").as_string(), "reg/m:1");
  EXPECT_EQ(spec.at("version").as_string(), "1");
  EXPECT_TRUE(spec.at("args").is_null());
  EXPECT_TRUE(spec.at("podSecurityContext").is_null());
  // Keys the current objects hold beyond the revision's are removed, not merged.
  EXPECT_EQ(spec.at("resources"),
            Json::parse(R"({"limits":{"cpu":null,"memory":"1Gi"},"requests":null})"));
  EXPECT_EQ(spec.at("nodeSelector"), Json::parse(R"({"pool":"cpu"})"));

  Json object = Json::object();
  object["spec"] = current;
  const Json restored = mergePatch(object, patch).at("spec");
  Json withMeta = Json::parse(R"({"metadata":{"name":"fraud"}})");
  withMeta["spec"] = restored;
  auto decoded = api::decodeMLModel(withMeta);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(audit::revisionSpec(decoded->spec), revision);
  // What a revision does not hold stays as it was.
  EXPECT_EQ(restored.at("replicas").as_integer(), 3);
  EXPECT_EQ(restored.at("port").as_integer(), 9000);
}

TEST(AuditRollbackPatch, WithoutACurrentSpecNullsWhatTheRevisionLacks) {
  const Json patch = audit::rollbackSpecPatch(Json::parse(R"({"image":"reg/m:1"})"), Json::null());
  for (const char* key : audit::kRevisionFields) {
    if (std::string(key) == "image") continue;
    EXPECT_TRUE(patch.at("spec").at(key).is_null()) << key;
  }
  EXPECT_EQ(patch.at("spec").at("image").as_string(), "reg/m:1");
}

// Seen in the demo: a downward-API env var read back from the live Deployment carried the
// apiVersion the API server defaults, and every rollout listed it as changed.
TEST(AuditRevisionSpec, TheDefaultedFieldRefApiVersionIsNotAChange) {
  api::MLModel m;
  m.metadata.name = "iris";
  m.metadata.ns = "demo";
  m.spec.image = "reg/iris:1";
  m.spec.version = "1";
  m.spec.env = Json::parse(
      R"([{"name":"POD_NAMESPACE","valueFrom":{"fieldRef":{"fieldPath":"metadata.namespace"}}}])");
  Json live = controller::desiredDeployment(m, "reg/iris@sha256:" + std::string(64, 'a'));
  live["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["fieldRef"]
      ["apiVersion"] = Json::string("v1");
  EXPECT_EQ(audit::revisionSpecOfDeployment(live, "reg/iris:1", "1").serialize(),
            audit::revisionSpec(m.spec).serialize());
}

}  // namespace
}  // namespace mlmodel
