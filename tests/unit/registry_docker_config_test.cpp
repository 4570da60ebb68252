#include <gtest/gtest.h>

#include <string>

#include "registry/docker_config.h"

using mlmodel::registry::Credentials;
using mlmodel::registry::DockerConfig;
using mlmodel::registry::findCredentials;
using mlmodel::registry::ImageReference;
using mlmodel::registry::parseImageReference;

namespace {

ImageReference imageRef(const std::string& s) {
  auto r = parseImageReference(s);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r.value() : ImageReference{};
}

std::string userOf(const DockerConfig& cfg, const std::string& image) {
  auto c = cfg.find(imageRef(image));
  return c ? c->username : "<none>";
}

DockerConfig parse(const std::string& json) {
  auto cfg = DockerConfig::parse(json);
  EXPECT_TRUE(cfg) << cfg.error().message;
  return cfg ? cfg.value() : DockerConfig{};
}

TEST(RegistryDockerConfig, AuthFieldIsBase64UserColonPassword) {
  // base64("alice:s3cr:et") - the password may hold a colon.
  auto cfg = parse(R"({"auths":{"reg.example:5000":{"auth":"YWxpY2U6czNjcjpldA=="}}})");
  auto c = cfg.find(imageRef("reg.example:5000/models/fraud:1"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "s3cr:et");
  EXPECT_TRUE(c->identityToken.empty());
}

TEST(RegistryDockerConfig, UsernamePasswordAndIdentityToken) {
  auto cfg = parse(R"({"auths":{
    "a.example":{"username":"bob","password":"pw"},
    "b.example":{"identitytoken":"refresh-me"},
    "c.example":{"auth":"dXNlcjpwYXNz","username":"ignored","password":"ignored"}}})");
  auto a = cfg.find(imageRef("a.example/x"));
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (Credentials{"bob", "pw", ""}));
  auto b = cfg.find(imageRef("b.example/x"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->identityToken, "refresh-me");
  auto c = cfg.find(imageRef("c.example/x"));
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (Credentials{"user", "pass", ""}));
}

TEST(RegistryDockerConfig, KeyForms) {
  auto cfg = parse(R"({"auths":{
    "plain.example":{"username":"plain"},
    "https://scheme.example":{"username":"scheme"},
    "https://v1.example/v1/":{"username":"v1"},
    "http://port.example:5000/v2/":{"username":"port"},
    "https://index.docker.io/v1/":{"username":"hub"}}})");
  EXPECT_EQ(userOf(cfg, "plain.example/m"), "plain");
  EXPECT_EQ(userOf(cfg, "scheme.example/m"), "scheme");
  EXPECT_EQ(userOf(cfg, "v1.example/m"), "v1");
  EXPECT_EQ(userOf(cfg, "port.example:5000/m"), "port");
  EXPECT_EQ(userOf(cfg, "port.example/m"), "<none>");  // the port is part of the host
  EXPECT_EQ(userOf(cfg, "nginx"), "hub");
  EXPECT_EQ(userOf(cfg, "docker.io/team/model"), "hub");
  EXPECT_EQ(userOf(cfg, "other.example/m"), "<none>");
}

TEST(RegistryDockerConfig, DockerHubAliases) {
  for (const char* key :
       {"docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"}) {
    auto cfg = parse(std::string(R"({"auths":{")") + key + R"(":{"username":"hub"}}})");
    EXPECT_EQ(userOf(cfg, "team/model:1"), "hub") << key;
  }
}

TEST(RegistryDockerConfig, HostIsCaseInsensitive) {
  auto cfg = parse(R"({"auths":{"REG.Example":{"username":"u"}}})");
  EXPECT_EQ(userOf(cfg, "reg.example/m"), "u");
}

TEST(RegistryDockerConfig, MostSpecificKeyWins) {
  auto cfg = parse(R"({"auths":{
    "*.example.com":{"username":"wild"},
    "reg.example.com":{"username":"host"},
    "reg.example.com/team":{"username":"team"},
    "reg.example.com/team/sub":{"username":"sub"}}})");
  EXPECT_EQ(userOf(cfg, "reg.example.com/team/sub/m"), "sub");
  EXPECT_EQ(userOf(cfg, "reg.example.com/team/m"), "team");
  EXPECT_EQ(userOf(cfg, "reg.example.com/teams/m"), "host");  // a prefix ends at a '/'
  EXPECT_EQ(userOf(cfg, "other.example.com/m"), "wild");
  EXPECT_EQ(userOf(cfg, "a.b.example.com/m"), "<none>");  // '*' is one label
}

TEST(RegistryDockerConfig, NoAuthsIsEmpty) {
  auto cfg = parse(R"({"credsStore":"desktop"})");
  EXPECT_TRUE(cfg.entries().empty());
  EXPECT_FALSE(cfg.find(imageRef("nginx")));
}

TEST(RegistryDockerConfig, LegacyDockercfg) {
  auto cfg = DockerConfig::parseLegacy(R"({"reg.example":{"auth":"dXNlcjpwYXNz"}})");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(userOf(cfg.value(), "reg.example/m"), "user");
}

TEST(RegistryDockerConfig, Errors) {
  struct Case {
    std::string json;
    std::string why;
  };
  for (const auto& c :
       {Case{"not json", "not valid JSON"}, Case{"[]", "not a JSON object"},
        Case{R"({"auths":[]})", "\"auths\" is not an object"},
        Case{R"({"auths":{"r.example":"x"}})", "auths[\"r.example\"] is not"},
        Case{R"({"auths":{"r.example":{"auth":"%%%"}}})", "not valid base64"},
        Case{R"({"auths":{"r.example":{"auth":"bm9jb2xvbg=="}}})", "\"user:password\""},
        Case{R"({"auths":{"https:///v1/":{}}})", "no registry host"}}) {
    auto cfg = DockerConfig::parse(c.json);
    ASSERT_FALSE(cfg) << c.json;
    EXPECT_NE(cfg.error().message.find(c.why), std::string::npos) << cfg.error().message;
    EXPECT_NE(cfg.error().message.find(".dockerconfigjson"), std::string::npos);
  }
}

TEST(RegistryDockerConfig, FindCredentialsTriesSecretsInOrder) {
  std::vector<DockerConfig> configs{parse(R"({"auths":{"a.example":{"username":"first"}}})"),
                                    parse(R"({"auths":{"b.example":{"username":"second"},
                                                       "a.example":{"username":"later"}}})")};
  auto a = findCredentials(configs, imageRef("a.example/m"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->username, "first");
  auto b = findCredentials(configs, imageRef("b.example/m"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->username, "second");
  EXPECT_FALSE(findCredentials(configs, imageRef("c.example/m")));
}

}  // namespace
