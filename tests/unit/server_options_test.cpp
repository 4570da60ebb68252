#include <gtest/gtest.h>

#include "server/logging.h"
#include "server/options.h"

namespace mlmodel::server {
namespace {

TEST(ServerOptions, DefaultsFollowControllerRuntime) {
  auto o = parseOptions({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->metricsBindAddress, ":8080");
  EXPECT_EQ(o->healthProbeBindAddress, ":8081");
  EXPECT_FALSE(o->leaderElect);
  EXPECT_TRUE(o->namespaces.empty());
  EXPECT_EQ(o->wedgedWorkerTimeout, std::chrono::seconds(60));
}

TEST(ServerOptions, WedgedWorkerTimeoutIsInSeconds) {
  EXPECT_EQ(parseOptions({"--wedged-worker-timeout=5"})->wedgedWorkerTimeout,
            std::chrono::seconds(5));
  EXPECT_EQ(parseOptions({"--wedged-worker-timeout", "0"}).error().message,
            "--wedged-worker-timeout: must be at least 1");
  EXPECT_EQ(parseOptions({"--wedged-worker-timeout", "soon"}).error().message,
            "--wedged-worker-timeout: expected seconds, got \"soon\"");
}

TEST(ServerOptions, ParsesBothFlagSpellings) {
  auto o = parseOptions({"--namespace", "a,b", "--leader-elect", "--workers=8",
                         "--insecure-registry", "127.0.0.1:5000", "--log-format=json"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(o->leaderElect);
  EXPECT_EQ(o->workers, 8);
  EXPECT_EQ(o->insecureRegistries.count("127.0.0.1:5000"), 1u);
  EXPECT_EQ(o->logFormat, "json");
  EXPECT_FALSE(parseOptions({"--leader-elect=false"})->leaderElect);
}

TEST(ServerOptions, SecureMetricsAndReplyCap) {
  auto o = parseOptions(
      {"--metrics-secure", "--metrics-cert-path", "/certs", "--prometheus-max-reply-mib=32"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->metricsSecure);
  EXPECT_EQ(o->metricsCertPath, "/certs");
  EXPECT_EQ(o->metricsCertName, "tls.crt");
  EXPECT_EQ(o->metricsCertKey, "tls.key");
  EXPECT_EQ(o->prometheusMaxReplyMiB, 32);
  EXPECT_FALSE(parseOptions({})->metricsSecure);
  EXPECT_EQ(parseOptions({})->prometheusMaxReplyMiB, 8);
  EXPECT_FALSE(parseOptions({"--metrics-secure=false"})->metricsSecure);
  EXPECT_EQ(parseOptions({"--metrics-cert-path=/certs"}).error().message,
            "--metrics-cert-path: needs --metrics-secure");
  EXPECT_EQ(parseOptions({"--prometheus-max-reply-mib=0"}).error().message,
            "--prometheus-max-reply-mib: must be 1..1024");
}

TEST(ServerOptions, TheTrustBoundary) {
  auto o = parseOptions({"--prometheus-default-address", "http://prometheus.monitoring:9090",
                         "--prometheus-allowed-prefixes=http://a:1,https://b/x",
                         "--prometheus-allowed-prefixes", "http://c:3", "--allowed-registries",
                         "127.0.0.1:5000,ghcr.io/acme"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->prometheusDefaultAddress, "http://prometheus.monitoring:9090");
  EXPECT_EQ(o->prometheusAllowedPrefixes,
            (std::vector<std::string>{"http://a:1", "https://b/x", "http://c:3"}));
  EXPECT_EQ(o->allowedRegistries, (std::vector<std::string>{"127.0.0.1:5000", "ghcr.io/acme"}));
  EXPECT_TRUE(parseOptions({})->prometheusAllowedPrefixes.empty());
  EXPECT_EQ(parseOptions({"--prometheus-default-address=prometheus:9090"}).error().message,
            "--prometheus-default-address: \"prometheus:9090\" is not an http or https URL such "
            "as http://prometheus:9090");
  EXPECT_EQ(parseOptions({"--prometheus-allowed-prefixes=http://u:p@a:1"}).error().message,
            "--prometheus-allowed-prefixes: \"http://u:p@a:1\" is not an http or https URL "
            "prefix such as http://prometheus:9090 (no credentials, query, fragment, escapes or "
            "dot segments)");
  EXPECT_NE(parseOptions({"--allowed-registries=https://ghcr.io"})
                .error()
                .message.find("--allowed-registries: \"https://ghcr.io\" is not a registry"),
            std::string::npos);
}

TEST(ServerOptions, BadFlagsSayWhatIsWrong) {
  EXPECT_EQ(parseOptions({"--workers", "many"}).error().message,
            "--workers: expected a number, got \"many\"");
  EXPECT_EQ(parseOptions({"--log-format", "xml"}).error().message,
            "--log-format: text or json; got \"xml\"");
  EXPECT_EQ(parseOptions({"--frobnicate"}).error().message,
            "unknown flag --frobnicate (see --help)");
  EXPECT_EQ(parseOptions({"--kubeconfig"}).error().message, "--kubeconfig: needs a value");
}

TEST(JsonLogs, MessagesAreEscaped) {
  EXPECT_EQ(jsonEscape("configmaps \"cm\" not found\n\t\\"),
            "configmaps \\\"cm\\\" not found\\n\\t\\\\");
  EXPECT_EQ(jsonEscape(std::string("\x01", 1)), "\\u0001");
}

}  // namespace
}  // namespace mlmodel::server
