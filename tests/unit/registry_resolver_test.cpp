#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "fake_transport.h"
#include "registry/auth_challenge.h"
#include "registry/distribution_resolver.h"
#include "registry/encoding.h"
#include "registry/fake_resolver.h"

using namespace std::chrono_literals;
using mlmodel::core::FakeClock;
using mlmodel::registry::Credentials;
using mlmodel::registry::DistributionResolver;
using mlmodel::registry::DistributionResolverOptions;
using mlmodel::registry::ImageReference;
using mlmodel::registry::parseImageReference;
using mlmodel::registry::Resolution;
using mlmodel::registry::TransportFactory;
using mlmodel::testutil::FakeTransport;
namespace http = mlmodel::http;
namespace core = mlmodel::core;
namespace detail = mlmodel::registry::detail;

namespace {

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kOtherDigest =
    "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const std::string kIndexType = "application/vnd.oci.image.index.v1+json";
const std::string kRegistry = "https://reg.example:5000";
const std::string kAuthServer = "https://auth.example";
const std::string kImage = "reg.example:5000/models/fraud:1.4.0";

// Hands the resolver a transport per server that forwards to a FakeTransport the test
// scripts, and remembers which servers it was asked for.
class FakeServers {
 public:
  FakeTransport& at(const std::string& baseUrl) {
    auto& slot = servers_[baseUrl];
    if (!slot) slot = std::make_unique<FakeTransport>();
    return *slot;
  }
  TransportFactory factory() {
    return [this](const std::string& baseUrl) -> std::unique_ptr<http::Transport> {
      created_.push_back(baseUrl);
      return std::make_unique<Forward>(at(baseUrl));
    };
  }
  const std::vector<std::string>& created() const { return created_; }
  size_t pending() {
    size_t n = 0;
    for (auto& [url, s] : servers_) n += s->pending();
    return n;
  }

 private:
  class Forward final : public http::Transport {
   public:
    explicit Forward(FakeTransport& to) : to_(to) {}
    core::Result<http::Response> send(const http::Request& r) override { return to_.send(r); }
    core::Result<http::StreamResponse> stream(const http::Request& r) override {
      return to_.stream(r);
    }

   private:
    FakeTransport& to_;
  };

  std::map<std::string, std::unique_ptr<FakeTransport>> servers_;
  std::vector<std::string> created_;
};

ImageReference imageRef(const std::string& s) {
  auto r = parseImageReference(s);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r.value() : ImageReference{};
}

std::map<std::string, std::string> found(const std::string& digest,
                                         const std::string& type = kIndexType) {
  return {{"docker-content-digest", digest}, {"content-type", type}};
}

std::string header(const http::Request& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "<unset>" : it->second;
}

const std::string kBearerChallenge =
    R"(Bearer realm="https://auth.example/token",service="reg.example:5000",scope="repository:models/fraud:pull")";

class RegistryResolverTest : public ::testing::Test {
 protected:
  DistributionResolver make(DistributionResolverOptions o = {}) {
    o.clock = &clock_;
    return DistributionResolver(servers_.factory(), std::move(o));
  }
  FakeTransport& registry() { return servers_.at(kRegistry); }
  FakeTransport& auth() { return servers_.at(kAuthServer); }

  FakeServers servers_;
  FakeClock clock_;
  const Credentials alice_{"alice", "pw", ""};
};

TEST_F(RegistryResolverTest, AnonymousHead) {
  auto resolver = make();
  registry().respond(200, "", found(kDigest));
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, kDigest);
  EXPECT_EQ(r->mediaType, kIndexType);

  EXPECT_EQ(servers_.created(), std::vector<std::string>{kRegistry});
  ASSERT_EQ(registry().requestCount(), 1u);
  const auto req = registry().requests()[0];
  EXPECT_EQ(req.method, "HEAD");
  EXPECT_EQ(req.target, "/v2/models/fraud/manifests/1.4.0");
  EXPECT_EQ(req.timeout, 10s);
  EXPECT_EQ(header(req, "Authorization"), "<unset>");
  const std::string accept = header(req, "Accept");
  for (const char* type :
       {"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json"}) {
    EXPECT_NE(accept.find(type), std::string::npos) << type;
  }
}

TEST_F(RegistryResolverTest, SchemeAndHost) {
  DistributionResolverOptions o;
  o.insecureRegistries = {"127.0.0.1:5000"};
  o.timeout = 3s;
  auto resolver = make(o);
  EXPECT_EQ(resolver.baseUrl("127.0.0.1:5000"), "http://127.0.0.1:5000");
  EXPECT_EQ(resolver.baseUrl("127.0.0.1:5001"), "https://127.0.0.1:5001");
  EXPECT_EQ(resolver.baseUrl("docker.io"), "https://registry-1.docker.io");

  servers_.at("http://127.0.0.1:5000").respond(200, "", found(kDigest));
  auto r = resolver.resolve(imageRef("127.0.0.1:5000/m:1"), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(servers_.at("http://127.0.0.1:5000").requests().at(0).timeout, 3s);

  servers_.at("https://registry-1.docker.io").respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef("nginx"), nullptr));
  EXPECT_EQ(servers_.at("https://registry-1.docker.io").requests().at(0).target,
            "/v2/library/nginx/manifests/latest");
}

TEST_F(RegistryResolverTest, HeadWithoutDigestFallsBackToGetAndHashesTheBody) {
  auto resolver = make();
  registry().respond(200, "", {{"content-type", kIndexType}});
  registry().respond(200, "abc", {{"content-type", "application/vnd.oci.image.manifest.v1+json"}});
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  // sha256("abc"), the FIPS 180-2 test vector.
  EXPECT_EQ(r->digest, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(r->mediaType, "application/vnd.oci.image.manifest.v1+json");
  const auto reqs = registry().requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].target, reqs[0].target);
  EXPECT_EQ(header(reqs[1], "Accept"), header(reqs[0], "Accept"));
}

TEST_F(RegistryResolverTest, GetBodyWinsOverItsDigestHeader) {
  auto resolver = make();
  registry().respond(405, "");
  registry().respond(200, "abc", found(kOtherDigest));
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, detail::sha256Digest("abc"));
}

TEST_F(RegistryResolverTest, NonSha256DigestHeaderFallsBackToGet) {
  auto resolver = make();
  registry().respond(200, "", found("sha512:abcd"));
  registry().respond(200, "abc", found("sha512:abcd"));
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, detail::sha256Digest("abc"));
}

TEST_F(RegistryResolverTest, DigestReferenceIsCheckedByDigest) {
  auto resolver = make();
  registry().respond(200, "", found(kDigest));
  auto r = resolver.resolve(imageRef("reg.example:5000/models/fraud@" + kDigest), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, kDigest);
  EXPECT_EQ(registry().requests().at(0).target, "/v2/models/fraud/manifests/" + kDigest);
}

TEST_F(RegistryResolverTest, BasicChallenge) {
  auto resolver = make();
  registry().respond(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})",
                     {{"www-authenticate", R"(Basic realm="Registry Realm")"}});
  registry().respond(200, "", found(kDigest));
  auto r = resolver.resolve(imageRef(kImage), &alice_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, kDigest);
  auto reqs = registry().requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(header(reqs[0], "Authorization"), "<unset>");
  EXPECT_EQ(header(reqs[1], "Authorization"), "Basic " + detail::base64Encode("alice:pw"));

  // Known now: the next resolve sends the credentials at once.
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &alice_));
  reqs = registry().requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(header(reqs[2], "Authorization"), "Basic YWxpY2U6cHc=");
}

TEST_F(RegistryResolverTest, BasicChallengeWithoutCredentials) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", R"(Basic realm="Registry Realm")"}});
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_NE(r.error().message.find("image " + kImage + ":"), std::string::npos);
  EXPECT_NE(r.error().message.find("no credentials"), std::string::npos) << r.error().message;
  EXPECT_EQ(registry().requestCount(), 1u);
}

TEST_F(RegistryResolverTest, BasicCredentialsRefused) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", R"(Basic realm="r")"}});
  registry().respond(401,
                     R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                     {{"www-authenticate", R"(Basic realm="r")"}});
  auto r = resolver.resolve(imageRef(kImage), &alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_EQ(r.error().code, 401);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("image " + kImage), std::string::npos) << m;
  EXPECT_NE(m.find("registry reg.example:5000"), std::string::npos) << m;
  EXPECT_NE(m.find("user \"alice\""), std::string::npos) << m;
  EXPECT_NE(m.find("UNAUTHORIZED"), std::string::npos) << m;
  EXPECT_EQ(m.find("authentication required"), std::string::npos) << m;  // never the body
}

TEST_F(RegistryResolverTest, ForbiddenIsUnauthorized) {
  auto resolver = make();
  registry().respond(403, "");
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_NE(r.error().message.find("anonymously"), std::string::npos) << r.error().message;
}

TEST_F(RegistryResolverTest, BearerChallengeTokenIsCachedUntilExpiry) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"token":"t1","expires_in":300})");
  registry().respond(200, "", found(kDigest));
  auto r = resolver.resolve(imageRef(kImage), &alice_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->digest, kDigest);

  ASSERT_EQ(auth().requestCount(), 1u);
  const auto tokenReq = auth().requests()[0];
  EXPECT_EQ(tokenReq.method, "GET");
  EXPECT_EQ(tokenReq.target,
            "/token?service=reg.example%3A5000&scope=repository%3Amodels%2Ffraud%3Apull");
  EXPECT_EQ(header(tokenReq, "Authorization"), "Basic " + detail::base64Encode("alice:pw"));
  EXPECT_EQ(header(registry().requests().at(1), "Authorization"), "Bearer t1");

  // Cached: one HEAD, no token request, while 90% of expires_in has not passed.
  clock_.advance(269s);
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &alice_));
  EXPECT_EQ(auth().requestCount(), 1u);
  EXPECT_EQ(registry().requestCount(), 3u);
  EXPECT_EQ(header(registry().requests().at(2), "Authorization"), "Bearer t1");

  // Expired: the challenge is answered afresh.
  clock_.advance(2s);
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"token":"t2"})");
  registry().respond(200, "", found(kOtherDigest));
  auto again = resolver.resolve(imageRef(kImage), &alice_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->digest, kOtherDigest);
  EXPECT_EQ(auth().requestCount(), 2u);
  const auto reqs = registry().requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(header(reqs[3], "Authorization"), "<unset>");
  EXPECT_EQ(header(reqs[4], "Authorization"), "Bearer t2");

  // t2 had no expires_in: 60 s, renewed after 54 s.
  clock_.advance(53s);
  registry().respond(200, "", found(kOtherDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &alice_));
  EXPECT_EQ(auth().requestCount(), 2u);
  clock_.advance(2s);
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"token":"t3"})");
  registry().respond(200, "", found(kOtherDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &alice_));
  EXPECT_EQ(auth().requestCount(), 3u);
  EXPECT_EQ(servers_.pending(), 0u);
}

TEST_F(RegistryResolverTest, BearerAnonymousTakesAccessToken) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"access_token":"anon"})");
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), nullptr));
  EXPECT_EQ(header(auth().requests().at(0), "Authorization"), "<unset>");
  EXPECT_EQ(header(registry().requests().at(1), "Authorization"), "Bearer anon");
}

TEST_F(RegistryResolverTest, TokensAreCachedPerRepositoryAndCredentials) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"token":"alice-token","expires_in":300})");
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &alice_));

  // No credentials: alice's token must not serve this request.
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"token":"anon-token"})");
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), nullptr));
  EXPECT_EQ(header(registry().requests().at(2), "Authorization"), "<unset>");
  EXPECT_EQ(header(registry().requests().at(3), "Authorization"), "Bearer anon-token");

  // Another repository: another scope, another token.
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"token":"other"})");
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef("reg.example:5000/models/other:1"), &alice_));
  EXPECT_NE(auth().requests().at(2).target.find("scope=repository%3Amodels%2Fother%3Apull"),
            std::string::npos);
  EXPECT_EQ(servers_.pending(), 0u);
}

TEST_F(RegistryResolverTest, RefusedCachedTokenIsReplaced) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"token":"t1","expires_in":3600})");
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &alice_));

  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});  // t1 revoked
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});  // anonymous
  auth().respond(200, R"({"token":"t2"})");
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &alice_));
  const auto reqs = registry().requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(header(reqs[2], "Authorization"), "Bearer t1");
  EXPECT_EQ(header(reqs[3], "Authorization"), "<unset>");
  EXPECT_EQ(header(reqs[4], "Authorization"), "Bearer t2");
}

TEST_F(RegistryResolverTest, IdentityTokenIsTradedByPost) {
  auto resolver = make();
  const Credentials id{"", "", "refresh-123"};
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(200, R"({"access_token":"at","refresh_token":"new"})");
  registry().respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef(kImage), &id));
  const auto req = auth().requests().at(0);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/token");
  EXPECT_EQ(header(req, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(req.body,
            "grant_type=refresh_token&client_id=mlmodel-operator&service=reg.example%3A5000"
            "&scope=repository%3Amodels%2Ffraud%3Apull&refresh_token=refresh-123");
  EXPECT_EQ(header(registry().requests().at(1), "Authorization"), "Bearer at");
}

TEST_F(RegistryResolverTest, TokenServerRefusal) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().respond(401, R"({"details":"incorrect username or password"})");
  auto r = resolver.resolve(imageRef(kImage), &alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_NE(r.error().message.find("image " + kImage), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("user \"alice\""), std::string::npos) << r.error().message;
}

TEST_F(RegistryResolverTest, TokenServerUnreachable) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", kBearerChallenge}});
  auth().fail("connection refused");
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "RegistryUnavailable");
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos);
  EXPECT_NE(r.error().message.find(kImage), std::string::npos);
}

TEST_F(RegistryResolverTest, NoCredentialsToPlainHttpRealm) {
  auto resolver = make();
  registry().respond(
      401, "", {{"www-authenticate", R"(Bearer realm="http://auth.example/token",service="s")"}});
  auto r = resolver.resolve(imageRef(kImage), &alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_NE(r.error().message.find("plain-HTTP"), std::string::npos) << r.error().message;
  EXPECT_EQ(servers_.created().size(), 1u);  // never contacted
}

TEST_F(RegistryResolverTest, UnknownChallenge) {
  auto resolver = make();
  registry().respond(401, "", {{"www-authenticate", R"(Negotiate)"}});
  auto r = resolver.resolve(imageRef(kImage), &alice_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "Unauthorized");
  EXPECT_NE(r.error().message.find("Negotiate"), std::string::npos) << r.error().message;
}

TEST_F(RegistryResolverTest, NotFoundIsManifestUnknown) {
  auto resolver = make();
  registry().respond(404, "");
  auto r = resolver.resolve(imageRef("reg.example:5000/models/fraud:9.9.9"), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "ManifestUnknown");
  EXPECT_EQ(r.error().code, 404);
  EXPECT_EQ(r.error().message, "image reg.example:5000/models/fraud:9.9.9: tag not found");
}

TEST_F(RegistryResolverTest, UnknownRepository) {
  auto resolver = make();
  registry().respond(
      404,
      R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})");
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "ManifestUnknown");
  EXPECT_EQ(r.error().message, "image " + kImage + ": repository not found");
}

TEST_F(RegistryResolverTest, ServerErrorIsRegistryUnavailable) {
  auto resolver = make();
  registry().respond(503, R"({"errors":[{"code":"UNAVAILABLE","message":"backend is down"}]})");
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "RegistryUnavailable");
  EXPECT_EQ(r.error().code, 503);
  EXPECT_EQ(r.error().message,
            "image " + kImage + ": registry reg.example:5000 is unavailable (HTTP 503)");

  registry().respond(429, "too many requests");
  auto limited = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().reason, "RegistryUnavailable");
}

TEST_F(RegistryResolverTest, TransportFailureIsRegistryUnavailable) {
  auto resolver = make();
  registry().fail("HEAD https://reg.example:5000/v2/...: Connection refused");
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "RegistryUnavailable");
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(
      r.error().message.find("image " + kImage + ": registry reg.example:5000 is unreachable"),
      std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("Connection refused"), std::string::npos);
}

TEST_F(RegistryResolverTest, OtherAnswersAreRegistryErrors) {
  auto resolver = make();
  registry().respond(400,
                     R"({"errors":[{"code":"NAME_INVALID","message":"invalid repository name"}]})");
  auto r = resolver.resolve(imageRef(kImage), nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().reason, "RegistryError");
  EXPECT_EQ(r.error().message,
            "image " + kImage + ": registry reg.example:5000 answered HTTP 400: NAME_INVALID");
}

TEST_F(RegistryResolverTest, EmptyCredentialsAreAnonymous) {
  auto resolver = make();
  const Credentials none;
  registry().respond(401, "", {{"www-authenticate", R"(Basic realm="r")"}});
  auto r = resolver.resolve(imageRef(kImage), &none);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no credentials"), std::string::npos);
}

TEST(RegistryWwwAuthenticate, Parses) {
  auto c = detail::parseWwwAuthenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(c[0].params["service"], "registry.docker.io");
  EXPECT_EQ(c[0].params["scope"], "repository:library/nginx:pull,push");

  c = detail::parseWwwAuthenticate(R"(Basic realm="a \"quoted\" realm", Bearer Realm=x , error=e)");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].params["realm"], R"(a "quoted" realm)");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].params["realm"], "x");
  EXPECT_EQ(c[1].params["error"], "e");
  EXPECT_TRUE(detail::parseWwwAuthenticate("").empty());
}

TEST(RegistryEncoding, Helpers) {
  EXPECT_EQ(detail::sha256Digest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(detail::urlEncode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
  EXPECT_EQ(detail::base64Encode("user:pass"), "dXNlcjpwYXNz");
  auto d = detail::base64Decode("dXNlcjpwYXNz");
  ASSERT_TRUE(d);
  EXPECT_EQ(d.value(), "user:pass");
}

TEST(RegistryFakeResolver, AnswersByReference) {
  mlmodel::registry::FakeResolver fake;
  fake.set("docker.io/library/fraud:1.4.0", Resolution{kDigest, kIndexType});
  auto ok = fake.resolve(imageRef("fraud:1.4.0"), nullptr);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->digest, kDigest);
  auto missing = fake.resolve(imageRef("fraud:2"), nullptr);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().reason, "ManifestUnknown");
  EXPECT_EQ(fake.calls().size(), 2u);
}

}  // namespace

namespace {

// Registries are named by tenants: a transport per server must not pile up for ever.
TEST_F(RegistryResolverTest, TransportsForManyRegistriesAreBoundedAndIdleOnesGo) {
  auto resolver = make();
  for (int i = 0; i < 100; ++i) {
    const std::string reg = "reg" + std::to_string(i) + ".example";
    servers_.at("https://" + reg).respond(200, "", found(kDigest));
    ASSERT_TRUE(resolver.resolve(imageRef(reg + "/m:1"), nullptr));
    clock_.advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(resolver.heldTransports(), 64u);
  // The one used last is still held: no new transport for it.
  const size_t created = servers_.created().size();
  servers_.at("https://reg99.example").respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef("reg99.example/m:1"), nullptr));
  EXPECT_EQ(servers_.created().size(), created);
  clock_.advance(std::chrono::minutes(10));
  servers_.at("https://reg0.example").respond(200, "", found(kDigest));
  ASSERT_TRUE(resolver.resolve(imageRef("reg0.example/m:1"), nullptr));
  EXPECT_EQ(resolver.heldTransports(), 1u);
}

}  // namespace
