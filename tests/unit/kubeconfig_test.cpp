#include "kube/kubeconfig.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/clock.h"
#include "kube/config.h"
#include "kube/config_util.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mlmodel::core::FakeClock;
using mlmodel::kube::Config;
using mlmodel::kube::loadConfig;
using mlmodel::kube::loadInCluster;
using mlmodel::kube::loadKubeconfig;
using mlmodel::kube::LoadOptions;
namespace detail = mlmodel::kube::detail;

namespace {

const fs::path kTestdata = fs::path(__FILE__).parent_path() / "testdata" / "kubeconfig";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kubeconfig-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Options that see only `env`, no home config and no service account mount.
LoadOptions isolated(std::map<std::string, std::string> env, const FakeClock* clock = nullptr) {
  LoadOptions o;
  o.getenv = [env = std::move(env)](const std::string& k) -> std::optional<std::string> {
    const auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  o.home = "/nonexistent-home";
  o.inClusterRoot = "/nonexistent-sa";
  o.clock = clock;
  return o;
}

std::string token(const Config& c) {
  if (!c.credentials) return "<none>";
  auto t = c.credentials->token();
  return t ? t.value() : "<error: " + t.error().message + ">";
}

// One cluster, one context "ctx", one user, with the given extra lines.
std::string oneContext(const std::string& clusterLines, const std::string& userLines) {
  return "current-context: ctx\n"
         "clusters:\n- name: c\n  cluster:\n    server: https://c.example:6443\n" +
         clusterLines +
         "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n"
         "users:\n- name: u\n  user:\n" +
         (userLines.empty() ? "    {}\n" : userLines);
}

const std::string kA = (kTestdata / "merge-a.yaml").string();
const std::string kB = (kTestdata / "merge-b.yaml").string();

}  // namespace

TEST(KubeConfig, MergesKubeconfigListWithTheFirstFileWinning) {
  auto cfg = loadConfig(isolated({{"KUBECONFIG", kA + ":" + kB}}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  // current-context "a" comes from the first file, and so do context a and cluster shared.
  EXPECT_EQ(cfg->server, "https://from-a.example:6443");
  EXPECT_TRUE(cfg->tls.insecureSkipVerify);
  EXPECT_EQ(token(cfg.value()), "token-a");
  EXPECT_EQ(cfg->namespaceName, "default");
  EXPECT_EQ(cfg->source, "kubeconfig " + kA + " (context a)");
}

TEST(KubeConfig, ContextOverrideCanPickAContextOfTheSecondFile) {
  LoadOptions o = isolated({{"KUBECONFIG", kA + ":" + kB}});
  o.context = "b";
  auto cfg = loadConfig(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://only-b.example");
  EXPECT_FALSE(cfg->tls.insecureSkipVerify);
  EXPECT_EQ(token(cfg.value()), "token-b");
  EXPECT_EQ(cfg->namespaceName, "ns-b");
  EXPECT_EQ(cfg->source, "kubeconfig " + kB + " (context b)");
}

TEST(KubeConfig, MissingFilesInTheListAreSkippedButNotAllOfThem) {
  auto cfg = loadConfig(isolated({{"KUBECONFIG", "/nope/one::" + kB}}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->namespaceName, "ns-b");

  auto none = loadConfig(isolated({{"KUBECONFIG", "/nope/one:/nope/two"}}));
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("/nope/one, /nope/two"), std::string::npos);

  LoadOptions flag = isolated({});
  flag.kubeconfigFlag = "/nope/flag";
  auto missing = loadConfig(flag);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("/nope/flag"), std::string::npos);
}

TEST(KubeConfig, RelativePathsResolveAgainstTheKubeconfigDirectory) {
  const std::string file = (kTestdata / "relative-paths.yaml").string();
  auto cfg = loadKubeconfig({file}, "", isolated({}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->tls.caPem, slurp(kTestdata / "ca.crt"));
  EXPECT_EQ(cfg->tls.certPem, slurp(kTestdata / "client.crt"));
  EXPECT_EQ(cfg->tls.keyPem, slurp(kTestdata / "client.key"));
  EXPECT_EQ(cfg->tls.serverName, "kubernetes.default");
  EXPECT_EQ(token(cfg.value()), "fixture-file-token");
  EXPECT_EQ(cfg->namespaceName, "team-a");
  EXPECT_EQ(cfg->source, "kubeconfig " + file + " (context dev)");
}

TEST(KubeConfig, InlineDataGivesTheSameTlsAsFilesAndWinsOverThem) {
  TempDir dir;
  const std::string ca = slurp(kTestdata / "ca.crt");
  const std::string cert = slurp(kTestdata / "client.crt");
  const std::string key = slurp(kTestdata / "client.key");
  const std::string file = dir.write(
      "config", oneContext("    certificate-authority: /nope/ca.crt\n"
                           "    certificate-authority-data: " +
                               detail::base64Encode(ca) + "\n",
                           "    client-certificate-data: " + detail::base64Encode(cert) +
                               "\n    client-key-data: " + detail::base64Encode(key) + "\n"));
  auto cfg = loadKubeconfig({file}, "", isolated({}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->tls.caPem, ca);
  EXPECT_EQ(cfg->tls.certPem, cert);
  EXPECT_EQ(cfg->tls.keyPem, key);
  EXPECT_EQ(cfg->credentials, nullptr);  // client certificate only
}

TEST(KubeConfig, MissingContextErrorNamesTheContextAndTheFiles) {
  auto cfg = loadKubeconfig({kA, kB}, "staging", isolated({}));
  ASSERT_FALSE(cfg);
  const std::string& msg = cfg.error().message;
  EXPECT_NE(msg.find("context \"staging\" not found"), std::string::npos) << msg;
  EXPECT_NE(msg.find(kA + ", " + kB), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"a\", \"b\""), std::string::npos) << msg;
}

TEST(KubeConfig, MissingClusterUserOrCurrentContextAreNamed) {
  TempDir dir;
  auto noCluster = loadKubeconfig(
      {dir.write("a", "current-context: x\ncontexts:\n- name: x\n  context: {cluster: gone}\n")},
      "", isolated({}));
  ASSERT_FALSE(noCluster);
  EXPECT_NE(noCluster.error().message.find("cluster \"gone\" not found"), std::string::npos);

  auto noCurrent = loadKubeconfig({dir.write("b", "clusters: []\n")}, "", isolated({}));
  ASSERT_FALSE(noCurrent);
  EXPECT_NE(noCurrent.error().message.find("no current-context"), std::string::npos);

  std::string y = oneContext("", "");
  y.replace(y.find("user: u}"), 8, "user: ghost}");
  auto noUser = loadKubeconfig({dir.write("c", y)}, "", isolated({}));
  ASSERT_FALSE(noUser);
  EXPECT_NE(noUser.error().message.find("user \"ghost\" not found"), std::string::npos);
}

TEST(KubeConfig, InsecureSkipVerifyOnlyWhenExplicitlyTrue) {
  TempDir dir;
  auto unset = loadKubeconfig({dir.write("a", oneContext("", ""))}, "", isolated({}));
  ASSERT_TRUE(unset) << unset.error().message;
  EXPECT_FALSE(unset->tls.insecureSkipVerify);
  EXPECT_EQ(unset->credentials, nullptr);

  auto no = loadKubeconfig(
      {dir.write("b", oneContext("    insecure-skip-tls-verify: false\n", ""))}, "", isolated({}));
  ASSERT_TRUE(no) << no.error().message;
  EXPECT_FALSE(no->tls.insecureSkipVerify);

  auto junk = loadKubeconfig(
      {dir.write("c", oneContext("    insecure-skip-tls-verify: maybe\n", ""))}, "", isolated({}));
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("insecure-skip-tls-verify must be true or false"),
            std::string::npos);
}

TEST(KubeConfig, InsecureTogetherWithACaIsRejected) {
  TempDir dir;
  const std::string file =
      dir.write("a", oneContext("    insecure-skip-tls-verify: true\n    certificate-authority: " +
                                    (kTestdata / "ca.crt").string() + "\n",
                                ""));
  auto cfg = loadKubeconfig({file}, "", isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("both set"), std::string::npos);
}

TEST(KubeConfig, BadDataNamesTheFileTheEntryAndTheField) {
  TempDir dir;
  const std::string badBase64 =
      dir.write("a", oneContext("    certificate-authority-data: '%%%not-base64'\n", ""));
  auto cfg = loadKubeconfig({badBase64}, "", isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("kubeconfig " + badBase64 +
                                     ": cluster \"c\": "
                                     "certificate-authority-data: not valid base64"),
            std::string::npos)
      << cfg.error().message;

  const std::string notPem = dir.write(
      "b",
      oneContext("    certificate-authority-data: " + detail::base64Encode("hello") + "\n", ""));
  cfg = loadKubeconfig({notPem}, "", isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("certificate-authority: no PEM certificate"),
            std::string::npos)
      << cfg.error().message;

  const std::string wrongKey = dir.write(
      "c", oneContext("", "    client-certificate: " + (kTestdata / "client.crt").string() +
                              "\n    client-key: " + (kTestdata / "other.key").string() + "\n"));
  cfg = loadKubeconfig({wrongKey}, "", isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("user \"u\": client key does not match"), std::string::npos)
      << cfg.error().message;

  const std::string missingCa =
      dir.write("d", oneContext("    certificate-authority: no-such-ca.crt\n", ""));
  cfg = loadKubeconfig({missingCa}, "", isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find(dir.path() + "/no-such-ca.crt: No such file"),
            std::string::npos)
      << cfg.error().message;

  const std::string badYaml = dir.write("e", "clusters: [\n");
  cfg = loadKubeconfig({badYaml}, "", isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("kubeconfig " + badYaml + ": invalid YAML"),
            std::string::npos);
}

TEST(KubeConfig, UnsupportedAuthIsAnErrorOnlyWhenTheUserIsUsed) {
  TempDir dir;
  std::string y = oneContext("", "    auth-provider: {name: gcp}\n");
  y += "- name: other\n  user: {username: admin, password: secret}\n";
  const std::string file = dir.write("a", y);
  auto cfg = loadKubeconfig({file}, "", isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("auth-provider \"gcp\""), std::string::npos);
}

TEST(KubeConfig, TokenFileWinsOverTokenAndTokensWinOverExec) {
  TempDir dir;
  dir.write("tok", "from-file\n");
  auto both =
      loadKubeconfig({dir.write("a", oneContext("", "    token: inline\n    tokenFile: tok\n"))},
                     "", isolated({}));
  ASSERT_TRUE(both) << both.error().message;
  EXPECT_EQ(token(both.value()), "from-file");

  auto withExec = loadKubeconfig(
      {dir.write("b", oneContext("",
                                 "    token: inline\n    exec:\n      apiVersion: "
                                 "client.authentication.k8s.io/v1\n      command: false\n"))},
      "", isolated({}));
  ASSERT_TRUE(withExec) << withExec.error().message;
  EXPECT_EQ(token(withExec.value()), "inline");
}

TEST(KubeConfig, ExecCommandWithASlashIsRelativeToTheKubeconfig) {
  const std::string y =
      "users:\n"
      "- name: rel\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
      "      command: ./bin/plugin\n      args: [--region, eu]\n"
      "      env: [{name: A, value: b}]\n"
      "- name: bare\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: "
      "aws}\n";
  auto kc = mlmodel::kube::parseKubeconfig(y, "/etc/kube/config");
  ASSERT_TRUE(kc) << kc.error().message;
  const auto& rel = kc->users.at("rel").exec;
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->command, "/etc/kube/./bin/plugin");
  EXPECT_EQ(rel->args, (std::vector<std::string>{"--region", "eu"}));
  ASSERT_EQ(rel->env.size(), 1u);
  EXPECT_EQ(rel->env[0], (std::pair<std::string, std::string>{"A", "b"}));
  EXPECT_EQ(kc->users.at("bare").exec->command, "aws");

  auto old = mlmodel::kube::parseKubeconfig(
      "users:\n- name: x\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, "
      "command: x}\n",
      "/k");
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("kubeconfig /k: user \"x\": exec apiVersion"),
            std::string::npos)
      << old.error().message;
}

TEST(KubeConfig, ServerWithoutSchemeGetsHttpsAndLosesTrailingSlash) {
  TempDir dir;
  std::string y = oneContext("", "");
  y.replace(y.find("https://c.example:6443"), 22, "c.example:6443/");
  auto cfg = loadKubeconfig({dir.write("a", y)}, "", isolated({}));
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://c.example:6443");
}

// --- in-cluster and lookup order ---

namespace {
struct ServiceAccountDir {
  TempDir dir;
  ServiceAccountDir() {
    dir.write("token", "sa-token-1\n");
    dir.write("ca.crt", slurp(kTestdata / "ca.crt"));
    dir.write("namespace", "ml-serving\n");
  }
};
}  // namespace

TEST(InClusterConfig, BracketsAnIpv6HostAndReadsTheMountedFiles) {
  ServiceAccountDir sa;
  LoadOptions o =
      isolated({{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  o.inClusterRoot = sa.dir.path();
  auto cfg = loadInCluster(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://[fd00:10:96::1]:443");
  EXPECT_EQ(cfg->tls.caPem, slurp(kTestdata / "ca.crt"));
  EXPECT_EQ(cfg->namespaceName, "ml-serving");
  EXPECT_EQ(token(cfg.value()), "sa-token-1");
  EXPECT_EQ(cfg->source, "in-cluster");
}

TEST(InClusterConfig, Ipv4HostNamespaceDefaultAndMissingTokenError) {
  ServiceAccountDir sa;
  fs::remove(sa.dir.path() + "/namespace");
  LoadOptions o =
      isolated({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});
  o.inClusterRoot = sa.dir.path();
  auto cfg = loadInCluster(o);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg->namespaceName, "default");

  fs::remove(sa.dir.path() + "/token");
  auto noToken = loadInCluster(o);
  ASSERT_FALSE(noToken);
  EXPECT_NE(noToken.error().message.find(sa.dir.path() + "/token"), std::string::npos);
}

TEST(ConfigLookup, FlagThenKubeconfigEnvThenInClusterThenHome) {
  ServiceAccountDir sa;
  TempDir home;
  home.write(".kube/config", slurp(kB));
  LoadOptions o = isolated({{"KUBECONFIG", kA},
                            {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
                            {"KUBERNETES_SERVICE_PORT", "6443"}});
  o.inClusterRoot = sa.dir.path();
  o.home = home.path();
  o.kubeconfigFlag = kB;
  EXPECT_EQ(loadConfig(o)->source, "kubeconfig " + kB + " (context b)");
  o.kubeconfigFlag.clear();
  EXPECT_EQ(loadConfig(o)->source, "kubeconfig " + kA + " (context a)");
  o.getenv =
      isolated({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "6443"}})
          .getenv;
  EXPECT_EQ(loadConfig(o)->source, "in-cluster");
  // An explicit context means a kubeconfig even inside a pod.
  o.context = "b";
  EXPECT_EQ(loadConfig(o)->source, "kubeconfig " + home.path() + "/.kube/config (context b)");
  o.context.clear();
  o.getenv = isolated({}).getenv;
  EXPECT_EQ(loadConfig(o)->source, "kubeconfig " + home.path() + "/.kube/config (context b)");
}

TEST(ConfigLookup, NothingFoundSaysWhatWasTried) {
  auto cfg = loadConfig(isolated({}));
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("/nonexistent-home/.kube/config does not exist"),
            std::string::npos)
      << cfg.error().message;
  // In a pod with a broken mount and no home config, the in-cluster error is what matters.
  auto pod = loadConfig(
      isolated({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}));
  ASSERT_FALSE(pod);
  EXPECT_NE(pod.error().message.find("in-cluster: token file /nonexistent-sa/token"),
            std::string::npos)
      << pod.error().message;
}
