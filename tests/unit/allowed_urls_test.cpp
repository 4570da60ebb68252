#include "core/allowed_urls.h"

#include <gtest/gtest.h>

namespace mlmodel {
namespace {

core::AllowedUrls allowed(const std::vector<std::string>& prefixes) {
  auto a = core::AllowedUrls::parse(prefixes);
  EXPECT_TRUE(a) << a.error().message;
  return a.value();
}

TEST(AllowedUrls, WithinPathGoesByWholeSegments) {
  EXPECT_TRUE(core::withinPath("/a/b", "/a"));
  EXPECT_TRUE(core::withinPath("/a", "/a"));
  EXPECT_TRUE(core::withinPath("/a", ""));
  EXPECT_FALSE(core::withinPath("/ab", "/a"));
  EXPECT_FALSE(core::withinPath("/a", "/a/b"));
  EXPECT_TRUE(core::withinPath("acme/models/x", "acme/models"));
  EXPECT_FALSE(core::withinPath("acme/models-evil", "acme/models"));
}

TEST(AllowedUrls, AnEmptyListAllowsAnyAddress) {
  const auto a = allowed({});
  EXPECT_FALSE(a.restricts());
  EXPECT_TRUE(a.allows("http://anything:1234/x"));
}

TEST(AllowedUrls, SameOriginAndPathBySegments) {
  const auto a =
      allowed({"http://prometheus.monitoring:9090", "https://thanos.example/api/team-a/"});
  EXPECT_TRUE(a.restricts());
  EXPECT_TRUE(a.allows("http://prometheus.monitoring:9090"));
  EXPECT_TRUE(a.allows("http://prometheus.monitoring:9090/"));
  EXPECT_TRUE(a.allows("http://prometheus.monitoring:9090/prefix"));
  EXPECT_TRUE(a.allows("HTTP://Prometheus.Monitoring:9090"));  // scheme and host ignore case
  EXPECT_TRUE(a.allows("https://thanos.example/api/team-a"));
  EXPECT_TRUE(a.allows("https://thanos.example:443/api/team-a/x"));  // the default port written
  EXPECT_FALSE(a.allows("https://thanos.example/api/team-ab"));
  EXPECT_FALSE(a.allows("https://thanos.example/api"));
  EXPECT_FALSE(a.allows("http://thanos.example/api/team-a"));  // another scheme
  EXPECT_FALSE(a.allows("http://prometheus.monitoring:9091"));
  EXPECT_FALSE(a.allows("http://prometheus.monitoring:90901"));
  EXPECT_FALSE(a.allows("http://prometheus.monitoring:9090.evil.example"));
  EXPECT_FALSE(a.allows("http://prometheus.monitoring"));  // port 80
  EXPECT_FALSE(a.allows("http://kubernetes.default:443"));
}

// Each of these could make the request land elsewhere than the comparison saw.
TEST(AllowedUrls, AmbiguousAddressesAreNeverAllowed) {
  const auto a = allowed({"http://prometheus:9090"});
  for (const char* bad :
       {"http://prometheus:9090@evil:80", "http://user:pw@prometheus:9090",
        "http://prometheus:9090/../admin", "http://prometheus:9090/a/./b",
        "http://prometheus:9090/%2e%2e/x", "http://prometheus:9090?x=1", "http://prometheus:9090#f",
        "http://prometheus:9090\\@evil", "ftp://prometheus:9090", "prometheus:9090", "http://:9090",
        "http://prometheus:90a0"}) {
    EXPECT_FALSE(a.allows(bad)) << bad;
  }
}

TEST(AllowedUrls, Ipv6AndDefaultPorts) {
  const auto a = allowed({"http://[fd00::1]:9090", "https://prom.example"});
  EXPECT_TRUE(a.allows("http://[FD00::1]:9090/"));
  EXPECT_FALSE(a.allows("http://[fd00::2]:9090"));
  EXPECT_TRUE(a.allows("https://prom.example:443"));
  EXPECT_TRUE(a.allows("https://prom.example:0443"));
  EXPECT_FALSE(a.allows("https://prom.example:8443"));
}

TEST(AllowedUrls, APrefixThatIsNotAUrlIsAnError) {
  for (const char* bad : {"prometheus:9090", "http://u:p@prom:9090", "http://prom:9090?q",
                          "ftp://prom", "http://prom/../x", ""}) {
    auto a = core::AllowedUrls::parse({bad});
    ASSERT_FALSE(a) << bad;
    EXPECT_NE(a.error().message.find("is not an http or https URL prefix"), std::string::npos);
  }
  EXPECT_EQ(allowed({"http://a:1", "https://b/x"}).describe(), "http://a:1, https://b/x");
}

}  // namespace
}  // namespace mlmodel
