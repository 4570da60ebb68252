// Authentication against the real API server: a rotated token file is picked up; only the
// configured CA is trusted.
#include <fstream>

#include "cluster_env.h"

namespace mlmodel::testing {
namespace {

namespace res = kube::resources;

using AuthTest = ClusterTest;

std::string tokenFor(kube::Client& c, const std::string& ns, const std::string& sa) {
  auto req = parse(R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
    "spec":{"expirationSeconds":3600}})");
  auto r = c.createSubresource(res::serviceAccounts, ns, sa, "token", req);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r.value().at("status").at("token").as_string() : "";
}

std::string whoAmI(kube::Client& c) {
  auto r =
      c.create(res::selfSubjectReviews, "",
               parse(R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})"));
  if (!r) return "error: " + r.error().message;
  return r.value().at("status").at("userInfo").at("username").as_string();
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream(path + ".tmp") << content;
  std::rename((path + ".tmp").c_str(), path.c_str());  // atomically, as the kubelet does
}

TEST_F(AuthTest, RotatedTokenFileIsPickedUpAfterA401) {
  for (auto sa : {"rot-a", "rot-b"}) {
    auto obj = parse(R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{}})");
    obj["metadata"]["name"] = Json::string(sa);
    ASSERT_TRUE(client().create(res::serviceAccounts, ns_, obj));
  }
  const std::string path = ::testing::TempDir() + "token-" + ns_;
  writeFile(path, tokenFor(client(), ns_, "rot-a"));

  auto cfg = clusterConfig();
  cfg.tls.certPem.clear();
  cfg.tls.keyPem.clear();
  cfg.credentials = std::make_shared<kube::TokenFileSource>(path, core::SystemClock::instance());
  auto sa = kube::makeClient(cfg);
  EXPECT_EQ(whoAmI(*sa), "system:serviceaccount:" + ns_ + ":rot-a");

  // The file is rotated and the old token revoked (its ServiceAccount deleted): the next
  // request gets a 401, the client re-reads the file and carries on as rot-b.
  writeFile(path, tokenFor(client(), ns_, "rot-b"));
  ASSERT_TRUE(client().remove(res::serviceAccounts, ns_, "rot-a"));
  std::string who;
  EXPECT_TRUE(eventually([&] {
    who = whoAmI(*sa);
    return who == "system:serviceaccount:" + ns_ + ":rot-b";
  })) << who;
  std::remove(path.c_str());
}

// The client trusts exactly the kubeconfig's CA (the system bundle is dropped, as kubectl
// does): the API server's certificate checked against another CA is refused, and the
// right CA still works on a new client.
TEST_F(AuthTest, OnlyTheConfiguredCaIsTrusted) {
  std::ifstream bundle("/etc/ssl/certs/ca-certificates.crt");
  std::string line, otherCa;
  while (std::getline(bundle, line)) {
    otherCa += line + "\n";
    if (line == "-----END CERTIFICATE-----") break;
  }
  ASSERT_NE(otherCa.find("BEGIN CERTIFICATE"), std::string::npos) << "no system CA to use";
  auto cfg = clusterConfig();
  cfg.tls.caPem = otherCa;
  kube::ClientOptions o;
  o.maxAttempts = 1;
  auto wrong = kube::makeClient(cfg, o);
  auto r = wrong->get(res::namespaces, "", ns_);
  ASSERT_FALSE(r) << "a server certificate from another CA was accepted";
  auto right = kube::makeClient(clusterConfig(), o);
  EXPECT_TRUE(right->get(res::namespaces, "", ns_));
}

}  // namespace
}  // namespace mlmodel::testing
