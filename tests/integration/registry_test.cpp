// Digest resolution against real docker-registry processes: the local cluster's (plain
// HTTP, anonymous, $REGISTRY) and one started here with htpasswd (basic) auth. Images
// are pushed over the distribution HTTP API, as tests/smoke/registry-digest.sh does.
// Bearer-token auth has no real token server here; the unit tests cover it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/transport.h"
#include "registry/distribution_resolver.h"
#include "registry/docker_config.h"
#include "registry/encoding.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
namespace core = mlmodel::core;
namespace http = mlmodel::http;
namespace registry = mlmodel::registry;
using registry::DistributionResolver;
using registry::DistributionResolverOptions;
using registry::ImageReference;

namespace {

const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
const char* kOciIndex = "application/vnd.oci.image.index.v1+json";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string randomSuffix() {
  static std::mt19937 rng{std::random_device{}()};
  return std::to_string(std::uniform_int_distribution<int>(100000, 999999)(rng));
}

ImageReference parse(const std::string& s) {
  auto r = registry::parseImageReference(s);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r.value() : ImageReference{};
}

// A loopback port nothing listens on (just released by the kernel).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Pushes images over the distribution API: blobs by monolithic upload (POST, then PUT
// with ?digest=), then the manifest by tag.
class Pusher {
 public:
  Pusher(const std::string& hostPort, std::string authorization)
      : base_("http://" + hostPort),
        transport_(http::makeTransport(base_, {})),
        authorization_(std::move(authorization)) {}

  // The manifest's digest and its bytes; an empty digest after a failed ADD_FAILURE.
  std::string pushImage(const std::string& repo, const std::string& tag, std::string* manifest) {
    const std::string config =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    const std::string layer = "model weights " + randomSuffix();
    const std::string cfg = pushBlob(repo, config);
    const std::string lay = pushBlob(repo, layer);
    if (cfg.empty() || lay.empty()) return {};
    *manifest =
        std::string(R"({"schemaVersion":2,"mediaType":")") + kOciManifest +
        R"(","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + cfg +
        R"(","size":)" + std::to_string(config.size()) +
        R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
        lay + R"(","size":)" + std::to_string(layer.size()) + "}]}";
    return putManifest(repo, tag, *manifest, kOciManifest);
  }

  std::string putManifest(const std::string& repo, const std::string& ref, const std::string& body,
                          const std::string& type) {
    http::Request req;
    req.method = "PUT";
    req.target = "/v2/" + repo + "/manifests/" + ref;
    req.headers["Content-Type"] = type;
    req.body = body;
    auto r = send(req);
    if (!r || r->status != 201) {
      ADD_FAILURE() << "manifest PUT " << req.target << ": " << describe(r);
      return {};
    }
    return registry::detail::sha256Digest(body);
  }

 private:
  std::string pushBlob(const std::string& repo, const std::string& data) {
    std::string digest = registry::detail::sha256Digest(data);
    http::Request post;
    post.method = "POST";
    post.target = "/v2/" + repo + "/blobs/uploads/";
    auto started = send(post);
    if (!started || started->status != 202 || !started->header("location")) {
      ADD_FAILURE() << "blob upload POST: " << describe(started);
      return {};
    }
    std::string location = *started->header("location");
    if (location.rfind(base_, 0) == 0) location = location.substr(base_.size());
    http::Request put;
    put.method = "PUT";
    put.target = location + (location.find('?') == std::string::npos ? "?" : "&") +
                 "digest=" + registry::detail::urlEncode(digest);
    put.headers["Content-Type"] = "application/octet-stream";
    put.body = data;
    auto done = send(put);
    if (!done || done->status != 201) {
      ADD_FAILURE() << "blob upload PUT: " << describe(done);
      return {};
    }
    return digest;
  }

  core::Result<http::Response> send(http::Request req) {
    req.timeout = 10s;
    if (!authorization_.empty()) req.headers["Authorization"] = authorization_;
    return transport_->send(req);
  }

  static std::string describe(const core::Result<http::Response>& r) {
    if (!r) return r.error().message;
    return "HTTP " + std::to_string(r->status) + " " + r->body;
  }

  std::string base_;
  std::unique_ptr<http::Transport> transport_;
  std::string authorization_;
};

// Real transports that note each request's method and target.
class Recorded final : public http::Transport {
 public:
  Recorded(std::unique_ptr<http::Transport> real, std::vector<std::string>& log)
      : real_(std::move(real)), log_(log) {}
  core::Result<http::Response> send(const http::Request& r) override {
    log_.push_back(r.method + " " + r.target);
    return real_->send(r);
  }
  core::Result<http::StreamResponse> stream(const http::Request& r) override {
    return real_->stream(r);
  }

 private:
  std::unique_ptr<http::Transport> real_;
  std::vector<std::string>& log_;
};

std::unique_ptr<DistributionResolver> resolverFor(const std::set<std::string>& insecure) {
  DistributionResolverOptions o;
  o.insecureRegistries = insecure;
  o.timeout = 5s;
  return std::make_unique<DistributionResolver>(registry::transportFactory(), o);
}

class Registry : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = env("REGISTRY");
    ASSERT_FALSE(registry_.empty())
        << "REGISTRY is not set: run under hack/test.sh or eval \"$(hack/cluster.sh env)\"";
    repo_ = "it/registry-" + randomSuffix();
    resolver_ = resolverFor({registry_});
  }

  std::string registry_;
  std::string repo_;
  std::unique_ptr<DistributionResolver> resolver_;
};

TEST_F(Registry, ResolvesTagToTheDigestOfThePushedManifest) {
  Pusher pusher(registry_, "");
  std::string manifest;
  const std::string want = pusher.pushImage(repo_, "1.0.0", &manifest);
  ASSERT_FALSE(want.empty());

  std::vector<std::string> sent;
  DistributionResolverOptions o;
  o.insecureRegistries = {registry_};
  auto real = registry::transportFactory();
  DistributionResolver recorded(
      [&](const std::string& url) { return std::make_unique<Recorded>(real(url), sent); }, o);
  const ImageReference ref = parse(registry_ + "/" + repo_ + ":1.0.0");
  auto r = recorded.resolve(ref, nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, want);
  EXPECT_EQ(r->mediaType, kOciManifest);
  // One HEAD: the registry sends Docker-Content-Digest, so no GET is needed.
  EXPECT_EQ(sent, std::vector<std::string>{"HEAD /v2/" + repo_ + "/manifests/1.0.0"});

  // The pinned reference names the same manifest.
  const ImageReference pinned = ref.withDigest(r->digest);
  EXPECT_EQ(pinned.str(), registry_ + "/" + repo_ + "@" + want);
  auto again = resolver_->resolve(pinned, nullptr);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->digest, want);
}

TEST_F(Registry, ResolvesAnIndexTag) {
  Pusher pusher(registry_, "");
  std::string manifest;
  const std::string image = pusher.pushImage(repo_, "amd64", &manifest);
  ASSERT_FALSE(image.empty());
  const std::string index = std::string(R"({"schemaVersion":2,"mediaType":")") + kOciIndex +
                            R"(","manifests":[{"mediaType":")" + kOciManifest + R"(","digest":")" +
                            image + R"(","size":)" + std::to_string(manifest.size()) +
                            R"(,"platform":{"architecture":"amd64","os":"linux"}}]})";
  const std::string want = pusher.putManifest(repo_, "2.0.0", index, kOciIndex);
  ASSERT_FALSE(want.empty());

  auto r = resolver_->resolve(parse(registry_ + "/" + repo_ + ":2.0.0"), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, want);
  EXPECT_EQ(r->mediaType, kOciIndex);
}

TEST_F(Registry, UnknownTagIsManifestUnknown) {
  Pusher pusher(registry_, "");
  std::string manifest;
  ASSERT_FALSE(pusher.pushImage(repo_, "1.0.0", &manifest).empty());

  const std::string image = registry_ + "/" + repo_ + ":9.9.9";
  auto r = resolver_->resolve(parse(image), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "ManifestUnknown");
  EXPECT_EQ(r.error().message, "image " + image + ": tag not found");

  const std::string noRepo = registry_ + "/it/never-pushed-" + randomSuffix() + ":1";
  auto missing = resolver_->resolve(parse(noRepo), nullptr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, "ManifestUnknown");
  EXPECT_NE(missing.error().message.find(noRepo), std::string::npos) << missing.error().message;
}

TEST_F(Registry, UnreachableRegistryIsRegistryUnavailable) {
  const int port = freePort();
  ASSERT_NE(port, 0);
  const std::string closed = "127.0.0.1:" + std::to_string(port);
  auto resolver = resolverFor({closed});
  const std::string image = closed + "/models/fraud:1.0.0";
  const auto start = std::chrono::steady_clock::now();
  auto r = resolver->resolve(parse(image), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "RegistryUnavailable");
  EXPECT_NE(r.error().message.find("image " + image + ": registry " + closed + " is unreachable"),
            std::string::npos)
      << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // refused, not timed out
}

// A second docker-registry, with htpasswd auth, on a free loopback port; stopped (by its
// PID) when the test ends, and killed with the test process if that dies first.
class AuthRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists("/usr/bin/docker-registry")) << "docker-registry is not installed";
    const std::string htpasswd = run("htpasswd -Bbn alice s3cret 2>&1");
    ASSERT_EQ(htpasswd.rfind("alice:$2", 0), 0u)
        << "htpasswd (Debian package apache2-utils) is needed: " << htpasswd;
    char tmpl[] = "/tmp/registry-auth-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "htpasswd") << htpasswd;
    const int port = freePort();
    ASSERT_NE(port, 0);
    hostPort_ = "127.0.0.1:" + std::to_string(port);
    std::ofstream(dir_ / "config.yml")
        << "version: 0.1\n"
        << "log: {level: warn}\n"
        << "storage:\n  filesystem: {rootdirectory: " << (dir_ / "data").string() << "}\n"
        << "http:\n  addr: " << hostPort_ << "\n  secret: mlmodel-test\n"
        << "auth:\n  htpasswd: {realm: mlmodel-test, path: " << (dir_ / "htpasswd").string()
        << "}\n";
    ASSERT_NO_FATAL_FAILURE(startRegistry());
    repo_ = "it/private-" + randomSuffix();
    resolver_ = resolverFor({hostPort_});
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  static std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return "popen failed";
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
    return out;
  }

  void startRegistry() {
    const std::string config = (dir_ / "config.yml").string();
    const std::string log = (dir_ / "registry.log").string();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      // Only async-signal-safe calls between fork and exec.
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execl("/usr/bin/docker-registry", "docker-registry", "serve", config.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when /v2/ asks for credentials.
    auto probe = http::makeTransport("http://" + hostPort_, {});
    http::Request req;
    req.target = "/v2/";
    req.timeout = 1s;
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < end) {
      auto r = probe->send(req);
      if (r && r->status == 401) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "docker-registry exited: " << run("cat " + log);
      }
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "docker-registry not ready on " << hostPort_ << ": " << run("cat " + log);
  }

  std::string basic(const std::string& user, const std::string& pass) const {
    return "Basic " + registry::detail::base64Encode(user + ":" + pass);
  }

  registry::Credentials credentialsFromPullSecret(const std::string& user,
                                                  const std::string& pass) {
    const std::string json = R"({"auths":{"http://)" + hostPort_ + R"(/v2/":{"auth":")" +
                             registry::detail::base64Encode(user + ":" + pass) + R"("}}})";
    auto cfg = registry::DockerConfig::parse(json);
    EXPECT_TRUE(cfg) << cfg.error().message;
    auto creds = cfg ? cfg->find(parse(hostPort_ + "/" + repo_)) : std::nullopt;
    EXPECT_TRUE(creds.has_value());
    return creds.value_or(registry::Credentials{});
  }

  fs::path dir_;
  pid_t pid_ = -1;
  std::string hostPort_;
  std::string repo_;
  std::unique_ptr<DistributionResolver> resolver_;
};

TEST_F(AuthRegistry, ResolvesWithPullSecretCredentials) {
  Pusher pusher(hostPort_, basic("alice", "s3cret"));
  std::string manifest;
  const std::string want = pusher.pushImage(repo_, "1.0.0", &manifest);
  ASSERT_FALSE(want.empty());

  const registry::Credentials creds = credentialsFromPullSecret("alice", "s3cret");
  EXPECT_EQ(creds.username, "alice");
  const ImageReference ref = parse(hostPort_ + "/" + repo_ + ":1.0.0");
  auto r = resolver_->resolve(ref, &creds);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, want);
  // Again, now with the Basic scheme known up front.
  auto again = resolver_->resolve(ref, &creds);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->digest, want);

  const std::string unknown = hostPort_ + "/" + repo_ + ":9.9.9";
  auto missing = resolver_->resolve(parse(unknown), &creds);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, "ManifestUnknown");
  EXPECT_EQ(missing.error().message, "image " + unknown + ": tag not found");
}

TEST_F(AuthRegistry, WithoutOrWithWrongCredentialsIsUnauthorized) {
  Pusher pusher(hostPort_, basic("alice", "s3cret"));
  std::string manifest;
  ASSERT_FALSE(pusher.pushImage(repo_, "1.0.0", &manifest).empty());
  const std::string image = hostPort_ + "/" + repo_ + ":1.0.0";

  auto anonymous = resolver_->resolve(parse(image), nullptr);
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().reason, "Unauthorized");
  EXPECT_NE(anonymous.error().message.find("image " + image + ": registry " + hostPort_),
            std::string::npos)
      << anonymous.error().message;
  EXPECT_NE(anonymous.error().message.find("no credentials"), std::string::npos)
      << anonymous.error().message;

  const registry::Credentials wrong = credentialsFromPullSecret("alice", "wrong");
  auto refused = resolver_->resolve(parse(image), &wrong);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().reason, "Unauthorized");
  EXPECT_EQ(refused.error().code, 401);
  EXPECT_NE(refused.error().message.find("user \"alice\""), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(image), std::string::npos) << refused.error().message;
}

}  // namespace
