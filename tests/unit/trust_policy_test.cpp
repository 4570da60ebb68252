#include "controller/trust_policy.h"

#include <gtest/gtest.h>

namespace mlmodel {
namespace {

using controller::admit;
using controller::TrustPolicy;

struct Model {
  api::MLModelSpec spec;
  api::RolloutSpec rollout;
  api::MonitoringSpec monitoring;
};

// A model with a canary judged by one metric, and monitoring with one metric.
Model model(const std::optional<std::string>& canaryProm,
            const std::optional<std::string>& monitoringProm = std::nullopt) {
  Model m;
  m.spec.image = "127.0.0.1:5000/models/fraud:1.0.0";
  m.rollout.canary = api::CanarySpec{};
  m.rollout.canary->steps = {{10, {}}};
  m.rollout.canary->analysis.metrics = {{"errors", "q", std::nullopt, 0.01, "Inconclusive"}};
  if (canaryProm) m.rollout.canary->analysis.prometheus = api::PrometheusRef{*canaryProm, "", ""};
  m.monitoring.enabled = true;
  m.monitoring.metrics = m.rollout.canary->analysis.metrics;
  if (monitoringProm) m.monitoring.prometheus = api::PrometheusRef{*monitoringProm, "", ""};
  return m;
}

TrustPolicy policy(const std::vector<std::string>& prom, const std::string& def,
                   const std::vector<std::string>& registries = {}) {
  TrustPolicy p;
  p.prometheus = core::AllowedUrls::parse(prom).value();
  p.defaultPrometheus = def;
  p.registries = registry::AllowedRegistries::parse(registries).value();
  return p;
}

core::Status run(const TrustPolicy& p, Model& m) {
  return admit(p, m.spec, m.rollout, m.monitoring);
}

TEST(TrustPolicy, AnOpenPolicyAdmitsAnyAddressAndImage) {
  auto m = model("http://anywhere:1", "http://elsewhere:2");
  EXPECT_TRUE(run(TrustPolicy{}, m));
}

TEST(TrustPolicy, ModelsNamingNoPrometheusGetTheDefault) {
  auto m = model(std::nullopt);
  ASSERT_TRUE(run(policy({}, "http://prometheus.monitoring:9090"), m));
  ASSERT_TRUE(m.rollout.canary->analysis.prometheus);
  EXPECT_EQ(m.rollout.canary->analysis.prometheus->address, "http://prometheus.monitoring:9090");
  EXPECT_EQ(m.rollout.canary->analysis.prometheus->timeout, std::chrono::seconds(10));
  ASSERT_TRUE(m.monitoring.prometheus);
  EXPECT_EQ(m.monitoring.prometheus->address, "http://prometheus.monitoring:9090");
}

TEST(TrustPolicy, MetricsWithoutAPrometheusOrADefaultAreRefused) {
  auto m = model(std::nullopt);
  auto s = run(TrustPolicy{}, m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().reason, controller::kReasonPrometheusMissing);
  EXPECT_EQ(s.error().message,
            "spec.rollout.canary.analysis.prometheus: required when metrics are given (this "
            "operator has no default Prometheus: --prometheus-default-address)");
  // Without metrics nothing needs one.
  Model plain;
  plain.spec.image = "reg/x:1";
  EXPECT_TRUE(run(TrustPolicy{}, plain));
}

TEST(TrustPolicy, AnAddressOutsideThePrefixesIsRefusedWithWhatIsAllowed) {
  const auto p = policy({"http://prometheus.monitoring:9090"}, "http://prometheus.monitoring:9090");
  auto ok = model("http://prometheus.monitoring:9090/", "http://prometheus.monitoring:9090");
  EXPECT_TRUE(run(p, ok));
  auto bad = model("http://prometheus.monitoring:9090", "http://kubernetes.default:443");
  auto s = run(p, bad);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().reason, controller::kReasonPrometheusNotAllowed);
  EXPECT_EQ(s.error().message,
            "spec.monitoring.prometheus.address: http://kubernetes.default:443 is not a "
            "Prometheus this operator may query (allowed: http://prometheus.monitoring:9090; "
            "leave the address out for http://prometheus.monitoring:9090); ask your cluster "
            "administrator");
}

TEST(TrustPolicy, TheDefaultIsAllowedEvenWhenNotAmongThePrefixes) {
  auto m = model("http://thanos:10902");
  EXPECT_TRUE(run(policy({"http://prometheus:9090"}, "http://thanos:10902"), m));
}

TEST(TrustPolicy, CredentialsAreNeverSentOverPlainHttp) {
  auto m = model("http://prometheus:9090", "http://prometheus:9090");
  m.rollout.canary->analysis.prometheus->authSecret = "prom-token";
  auto s = run(TrustPolicy{}, m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().reason, controller::kReasonInsecureCredentials);
  EXPECT_EQ(s.error().message,
            "spec.rollout.canary.analysis.prometheus.authSecretRef: credentials are only sent "
            "over https, and http://prometheus:9090 is plain http");
  m.rollout.canary->analysis.prometheus->address = "HTTPS://prometheus:9090";
  EXPECT_TRUE(run(TrustPolicy{}, m));
}

TEST(TrustPolicy, AnImageFromARegistryNotAllowedIsRefused) {
  auto m = model("http://p:1", "http://p:1");
  EXPECT_TRUE(run(policy({}, "", {"127.0.0.1:5000/models"}), m));
  m.spec.image = "docker.io/attacker/miner:latest";
  auto s = run(policy({}, "", {"127.0.0.1:5000/models"}), m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().reason, controller::kReasonRegistryNotAllowed);
  EXPECT_EQ(s.error().message,
            "spec.image: docker.io/attacker/miner is not in a registry this operator may pull "
            "from (allowed: 127.0.0.1:5000/models); ask your cluster administrator");
  m.spec.image = "127.0.0.1:5000/models/fraud@sha256:" + std::string(64, 'b');
  EXPECT_TRUE(run(policy({}, "", {"127.0.0.1:5000/models"}), m));
}

}  // namespace
}  // namespace mlmodel
