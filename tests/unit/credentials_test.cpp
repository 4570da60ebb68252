#include "kube/credentials.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "kube/config_util.h"
#include "kube/exec_credential.h"

namespace fs = std::filesystem;
using namespace std::chrono;
using namespace std::chrono_literals;
using mlmodel::core::FakeClock;
using mlmodel::core::WallTime;
using mlmodel::kube::ExecConfig;
using mlmodel::kube::ExecCredentialSource;
using mlmodel::kube::StaticTokenSource;
using mlmodel::kube::TokenFileSource;
namespace detail = mlmodel::kube::detail;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "credentials-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p.string();
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path_ / name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

std::string tokenOf(mlmodel::kube::CredentialSource& s) {
  auto t = s.token();
  return t ? t.value() : "<error: " + t.error().message + ">";
}

// A plugin that counts its runs, records its arguments and exec info, and prints an
// ExecCredential whose token names the run; the file "expiry", when present, holds the
// expirationTimestamp.
const char* kPlugin = R"(#!/bin/sh
dir=$(dirname "$0")
n=$(cat "$dir/count" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$dir/count"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/exec-info"
printf '%s\n' "$@" > "$dir/args"
expiry=$(cat "$dir/expiry" 2>/dev/null)
if [ -n "$expiry" ]; then exp=",\"expirationTimestamp\":\"$expiry\""; else exp=""; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s"%s}}\n' "$n" "$exp"
)";

std::string writeScript(const TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.write(name, body);
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

const auto kStart = sys_days{2030y / January / 1};

}  // namespace

TEST(Credentials, StaticTokenIgnoresInvalidate) {
  StaticTokenSource s("abc");
  EXPECT_EQ(tokenOf(s), "abc");
  s.invalidate();
  EXPECT_EQ(tokenOf(s), "abc");
}

TEST(Credentials, TokenFileIsReReadAfterAMinuteAndAfterInvalidate) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.write("token", "one\n");
  TokenFileSource s(path, clock);
  EXPECT_EQ(tokenOf(s), "one");

  dir.write("token", "two");
  clock.advance(59s);
  EXPECT_EQ(tokenOf(s), "one");  // still fresh
  clock.advance(1s);
  EXPECT_EQ(tokenOf(s), "two");

  dir.write("token", "three");
  EXPECT_EQ(tokenOf(s), "two");
  s.invalidate();
  EXPECT_EQ(tokenOf(s), "three");
}

TEST(Credentials, TokenFileKeepsTheLastGoodTokenWhenTheFileGoesAway) {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.write("token", "good");
  TokenFileSource s(path, clock);
  EXPECT_EQ(tokenOf(s), "good");
  fs::remove(path);
  s.invalidate();
  EXPECT_EQ(tokenOf(s), "good");

  TokenFileSource fresh(path, clock);
  auto t = fresh.token();
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("token file " + path + ": No such file"), std::string::npos);

  TokenFileSource empty(dir.write("empty", " \n"), clock);
  ASSERT_FALSE(empty.token());
  EXPECT_NE(empty.token().error().message.find("file is empty"), std::string::npos);
}

TEST(CredentialsExec, CachedUntilExpiryThenReRunAndAfterInvalidate) {
  TempDir dir;
  FakeClock clock{WallTime(kStart)};
  ExecConfig c;
  c.command = writeScript(dir, "plugin", kPlugin);
  c.args = {"--cluster", "a b; touch injected", "$(id)"};
  c.env = {{"PLUGIN_MODE", "test"}};
  ExecCredentialSource s(c, clock);

  dir.write("expiry", "2030-01-01T00:10:00Z");
  EXPECT_EQ(tokenOf(s), "tok-1");
  EXPECT_EQ(tokenOf(s), "tok-1");
  clock.advance(9min + 59s);
  EXPECT_EQ(tokenOf(s), "tok-1");
  EXPECT_EQ(dir.read("count"), "1\n");

  dir.write("expiry", "2030-01-01T01:00:00+01:00");  // 00:00Z: already expired once read
  clock.advance(1s);                                 // at the first expiry
  EXPECT_EQ(tokenOf(s), "tok-2");
  EXPECT_EQ(tokenOf(s), "tok-3");
  dir.write("expiry", "2030-01-01T00:20:00Z");
  EXPECT_EQ(tokenOf(s), "tok-4");
  EXPECT_EQ(tokenOf(s), "tok-4");
  s.invalidate();  // a 401: the plugin runs again although the token has not expired
  EXPECT_EQ(tokenOf(s), "tok-5");
  EXPECT_EQ(dir.read("count"), "5\n");

  // Arguments arrive verbatim, without a shell in between.
  EXPECT_EQ(dir.read("args"), "--cluster\na b; touch injected\n$(id)\n");
  EXPECT_FALSE(fs::exists(dir.path() + "/injected"));
  EXPECT_EQ(dir.read("exec-info"),
            R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
            R"("spec":{"interactive":false}})");
}

TEST(CredentialsExec, KubeconfigEnvIsAddedToTheOperatorEnvironment) {
  TempDir dir;
  FakeClock clock;
  ExecConfig c;
  c.command = writeScript(dir, "plugin",
                          "#!/bin/sh\nprintf '%s|%s' \"$PLUGIN_MODE\" \"${PATH:+has-path}\" > "
                          "\"$(dirname \"$0\")/env\"\n"
                          "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",'"
                          "'\"kind\":\"ExecCredential\",\"status\":{\"token\":\"x\"}}'\n");
  c.env = {{"PLUGIN_MODE", "test"}};
  ExecCredentialSource s(c, clock);
  EXPECT_EQ(tokenOf(s), "x");
  EXPECT_EQ(dir.read("env"), "test|has-path");
}

TEST(CredentialsExec, WithoutExpiryCachedUntilInvalidate) {
  TempDir dir;
  FakeClock clock{WallTime(kStart)};
  ExecConfig c;
  c.command = writeScript(dir, "plugin", kPlugin);
  ExecCredentialSource s(c, clock);
  EXPECT_EQ(tokenOf(s), "tok-1");
  clock.advance(24h);
  EXPECT_EQ(tokenOf(s), "tok-1");
  s.invalidate();
  EXPECT_EQ(tokenOf(s), "tok-2");
  EXPECT_EQ(tokenOf(s), "tok-2");
}

TEST(CredentialsExec, ConcurrentCallersShareOneRun) {
  TempDir dir;
  FakeClock clock{WallTime(kStart)};
  ExecConfig c;
  c.command = writeScript(dir, "plugin", kPlugin);
  dir.write("expiry", "2030-01-01T01:00:00Z");
  ExecCredentialSource s(c, clock);
  std::vector<std::thread> threads;
  std::vector<std::string> got(6);
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = tokenOf(s); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, "tok-1");
  EXPECT_EQ(dir.read("count"), "1\n");
}

TEST(CredentialsExec, ClusterInfoIsPassedWhenAsked) {
  TempDir dir;
  FakeClock clock{WallTime(kStart)};
  ExecConfig c;
  c.apiVersion = mlmodel::kube::kExecApiV1;
  c.command = writeScript(dir, "plugin", kPlugin);
  c.provideClusterInfo = true;
  c.server = "https://[::1]:6443";
  c.caPem = "PEM";
  ExecCredentialSource s(c, clock);
  EXPECT_EQ(tokenOf(s), "tok-1");
  EXPECT_NE(dir.read("exec-info")
                .find(R"("cluster":{"certificate-authority-data":"UEVN",)"
                      R"("server":"https://[::1]:6443"})"),
            std::string::npos)
      << dir.read("exec-info");
}

TEST(CredentialsExec, FailingPluginReportsItsStatusAndStderrTail) {
  TempDir dir;
  FakeClock clock;
  ExecConfig c;
  c.command = writeScript(dir, "plugin",
                          "#!/bin/sh\necho 'noise that scrolls away' >&2\n"
                          "echo 'error: SSO session expired, run aws sso login' >&2\nexit 3\n");
  ExecCredentialSource s(c, clock);
  auto t = s.token();
  ASSERT_FALSE(t);
  const std::string& msg = t.error().message;
  EXPECT_NE(msg.find("exec plugin \"" + c.command + "\": exited with status 3"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("SSO session expired"), std::string::npos) << msg;
}

TEST(CredentialsExec, BadOutputIsAnErrorThatDoesNotEchoIt) {
  TempDir dir;
  FakeClock clock;
  ExecConfig c;
  c.command = writeScript(dir, "plugin", "#!/bin/sh\necho 'secret-ish {not json'\n");
  ExecCredentialSource s(c, clock);
  auto t = s.token();
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("not JSON"), std::string::npos) << t.error().message;
  EXPECT_EQ(t.error().message.find("secret-ish"), std::string::npos) << t.error().message;

  c.apiVersion = mlmodel::kube::kExecApiV1beta1;
  c.command = writeScript(dir, "v1", kPlugin);
  ExecCredentialSource wrongVersion(c, clock);
  t = wrongVersion.token();
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("configured for \"client.authentication.k8s.io/v1beta1\""),
            std::string::npos)
      << t.error().message;
}

TEST(CredentialsExec, MissingCommandShowsTheInstallHint) {
  FakeClock clock;
  ExecConfig c;
  c.command = "mlmodel-no-such-plugin";
  c.installHint = "install it with: apt install mlmodel-plugin";
  ExecCredentialSource s(c, clock);
  auto t = s.token();
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("cannot run"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("apt install mlmodel-plugin"), std::string::npos);
}

TEST(CredentialsExec, HungPluginTimesOut) {
  TempDir dir;
  FakeClock clock;
  ExecConfig c;
  c.command = writeScript(dir, "plugin", "#!/bin/sh\necho waiting >&2\nsleep 30\n");
  c.timeout = 200ms;  // a real-time I/O limit, not test logic waiting
  ExecCredentialSource s(c, clock);
  const auto start = steady_clock::now();
  auto t = s.token();
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message.find("timed out after 200ms; stderr: waiting"), std::string::npos)
      << t.error().message;
  EXPECT_LT(steady_clock::now() - start, 10s);
}

TEST(CredentialsExec, ParsesExecCredentialStatus) {
  auto ok = mlmodel::kube::parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
      R"("status":{"token":"t","expirationTimestamp":"2030-01-01T00:00:00Z"}})",
      mlmodel::kube::kExecApiV1);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->token, "t");
  EXPECT_EQ(ok->expiry, WallTime(kStart));

  auto cert = mlmodel::kube::parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
      R"("status":{"clientCertificateData":"x","clientKeyData":"y"}})",
      mlmodel::kube::kExecApiV1);
  ASSERT_FALSE(cert);
  EXPECT_NE(cert.error().message.find("client certificate"), std::string::npos);

  auto badTime = mlmodel::kube::parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
      R"("status":{"token":"t","expirationTimestamp":"tomorrow"}})",
      mlmodel::kube::kExecApiV1);
  ASSERT_FALSE(badTime);
  EXPECT_NE(badTime.error().message.find("expirationTimestamp"), std::string::npos);

  // Found by tests/fuzz/exec_credential_fuzz: a year past 2262 overflowed the clock's
  // nanoseconds (undefined behaviour) instead of failing.
  auto farFuture = mlmodel::kube::parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
      R"("status":{"token":"t","expirationTimestamp":"4052-11-30T01:00:00Z"}})",
      mlmodel::kube::kExecApiV1);
  ASSERT_FALSE(farFuture);
  EXPECT_NE(farFuture.error().message.find("expirationTimestamp"), std::string::npos);
}

// --- helpers the loaders share ---

TEST(ConfigUtil, Base64DecodesPaddingWhitespaceAndRejectsGarbage) {
  EXPECT_EQ(detail::base64Decode("").value(), "");
  EXPECT_EQ(detail::base64Decode("QQ==").value(), "A");
  EXPECT_EQ(detail::base64Decode("QUI=").value(), "AB");
  EXPECT_EQ(detail::base64Decode("QUJD").value(), "ABC");
  EXPECT_EQ(detail::base64Decode("QUJD\nRA==\n").value(), "ABCD");
  EXPECT_EQ(detail::base64Decode("QUJDRA").value(), "ABCD");  // padding left off
  EXPECT_FALSE(detail::base64Decode("QU=J"));
  EXPECT_FALSE(detail::base64Decode("Q"));
  EXPECT_FALSE(detail::base64Decode("QQ==="));
  EXPECT_FALSE(detail::base64Decode("QU-_"));
  const std::string binary("\0\xff\x10 x", 5);
  EXPECT_EQ(detail::base64Decode(detail::base64Encode(binary)).value(), binary);
}

TEST(ConfigUtil, ParsesRfc3339WithFractionsAndOffsets) {
  using namespace std::chrono;
  const auto base = sys_days{2030y / January / 2} + 3h + 4min + 5s;
  EXPECT_EQ(detail::parseRfc3339("2030-01-02T03:04:05Z").value(), base);
  EXPECT_EQ(detail::parseRfc3339("2030-01-02T03:04:05.25Z").value(), base + 250ms);
  EXPECT_EQ(detail::parseRfc3339("2030-01-02T05:04:05+02:00").value(), base);
  EXPECT_EQ(detail::parseRfc3339("2030-01-01T22:34:05-04:30").value(), base);
  EXPECT_FALSE(detail::parseRfc3339("2030-01-02 03:04:05"));
  EXPECT_FALSE(detail::parseRfc3339("2030-02-30T03:04:05Z"));
  EXPECT_FALSE(detail::parseRfc3339("2030-01-02T03:04:05Zjunk"));
  // Only the years a WallTime holds (1678-2261), not RFC 3339's 0000-9999.
  EXPECT_EQ(detail::parseRfc3339("2261-12-31T23:59:59Z").value(),
            sys_days{2261y / December / 31} + 23h + 59min + 59s);
  EXPECT_FALSE(detail::parseRfc3339("2262-04-12T00:00:00Z"));
  EXPECT_FALSE(detail::parseRfc3339("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(detail::parseRfc3339("0001-01-01T00:00:00Z"));
}

TEST(ConfigUtil, JoinHostPortBracketsIpv6Once) {
  EXPECT_EQ(detail::joinHostPort("10.0.0.1", "443"), "10.0.0.1:443");
  EXPECT_EQ(detail::joinHostPort("::1", "443"), "[::1]:443");
  EXPECT_EQ(detail::joinHostPort("[::1]", "443"), "[::1]:443");
}
