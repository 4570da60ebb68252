#include <gtest/gtest.h>

#include <string>

#include "registry/reference.h"

using mlmodel::registry::ImageReference;
using mlmodel::registry::isValidDigest;
using mlmodel::registry::parseImageReference;

namespace {

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Good {
  std::string in;
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
  std::string str;
};

class RegistryParseGood : public ::testing::TestWithParam<Good> {};

TEST_P(RegistryParseGood, Parses) {
  const Good& g = GetParam();
  auto r = parseImageReference(g.in);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->registry, g.registry);
  EXPECT_EQ(r->repository, g.repository);
  EXPECT_EQ(r->tag, g.tag);
  EXPECT_EQ(r->digest, g.digest);
  EXPECT_EQ(r->str(), g.str);
  // str() round-trips.
  auto again = parseImageReference(r->str());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again.value(), r.value());
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryParseGood,
    ::testing::Values(
        Good{"nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
        Good{"nginx:1.25", "docker.io", "library/nginx", "1.25", "",
             "docker.io/library/nginx:1.25"},
        Good{"team/model:v2", "docker.io", "team/model", "v2", "", "docker.io/team/model:v2"},
        Good{"docker.io/nginx", "docker.io", "library/nginx", "latest", "",
             "docker.io/library/nginx:latest"},
        Good{"index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1", "",
             "docker.io/library/nginx:1"},
        Good{"registry.example:5000/models/fraud:1.4.0", "registry.example:5000", "models/fraud",
             "1.4.0", "", "registry.example:5000/models/fraud:1.4.0"},
        Good{"127.0.0.1:16450/smoke/model", "127.0.0.1:16450", "smoke/model", "latest", "",
             "127.0.0.1:16450/smoke/model:latest"},
        Good{"localhost/model:x", "localhost", "model", "x", "", "localhost/model:x"},
        Good{"localhost:5000/a/b/c:tag_1.0-rc", "localhost:5000", "a/b/c", "tag_1.0-rc", "",
             "localhost:5000/a/b/c:tag_1.0-rc"},
        Good{"ghcr.io/org/model-server__v2.x/a-b--c:_t", "ghcr.io", "org/model-server__v2.x/a-b--c",
             "_t", "", "ghcr.io/org/model-server__v2.x/a-b--c:_t"},
        Good{"Registry/model", "Registry", "model", "latest", "", "Registry/model:latest"},
        Good{"[::1]:5000/model:1", "[::1]:5000", "model", "1", "", "[::1]:5000/model:1"},
        Good{"reg.example/model@" + kDigest, "reg.example", "model", "", kDigest,
             "reg.example/model@" + kDigest},
        Good{"reg.example/model:1.0@" + kDigest, "reg.example", "model", "1.0", kDigest,
             "reg.example/model:1.0@" + kDigest},
        Good{"busybox@" + kDigest, "docker.io", "library/busybox", "", kDigest,
             "docker.io/library/busybox@" + kDigest}));

struct Bad {
  std::string in;
  std::string why;  // a part of the message
};

class RegistryParseBad : public ::testing::TestWithParam<Bad> {};

TEST_P(RegistryParseBad, SaysWhatIsWrong) {
  const Bad& b = GetParam();
  auto r = parseImageReference(b.in);
  ASSERT_FALSE(r) << "parsed as " << r->str();
  EXPECT_EQ(r.error().reason, "InvalidImageReference");
  EXPECT_NE(r.error().message.find(b.why), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("\"" + b.in + "\""), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryParseBad,
    ::testing::Values(Bad{"", "empty"}, Bad{"Nginx", "lowercase"},
                      Bad{"reg.example/Models/x", "lowercase"}, Bad{"nginx:", "empty tag"},
                      Bad{"nginx:.bad", "must start with"}, Bad{"nginx:a+b", "invalid character"},
                      Bad{"nginx:" + std::string(129, 'a'), "longer than 128"},
                      Bad{"nginx@sha256:abc", "64 lower-case hex"},
                      Bad{"nginx@sha512:" + std::string(128, 'a'), "not sha256"},
                      Bad{"nginx@sha256:" + std::string(64, 'A'), "lower-case hex"},
                      Bad{"reg.example/", "no repository name"},
                      Bad{"reg.example//model", "empty path component"},
                      Bad{"reg.example/model/", "empty path component"},
                      Bad{"reg.example/-model", "start and end"},
                      Bad{"reg.example/a..b", "may join"}, Bad{"reg.example/a_-b", "may join"},
                      Bad{"reg.example:99999/model", "out of range"},
                      Bad{"reg.example:abc/model", "not a number"},
                      Bad{"reg_example.io/model", "invalid character '_'"},
                      Bad{"-reg.example/model", "not a valid host name"},
                      Bad{"[::1/model", "no ']'"}, Bad{"nginx latest", "whitespace"},
                      Bad{"reg.example/" + std::string(250, 'a'), "longer than 255"}));

TEST(RegistryImageReference, WithDigestDropsTheTag) {
  auto r = parseImageReference("registry.example:5000/models/fraud:1.4.0");
  ASSERT_TRUE(r);
  const ImageReference pinned = r->withDigest(kDigest);
  EXPECT_EQ(pinned.str(), "registry.example:5000/models/fraud@" + kDigest);
  EXPECT_EQ(pinned.manifestReference(), kDigest);
  EXPECT_EQ(r->manifestReference(), "1.4.0");
  EXPECT_EQ(r->name(), "registry.example:5000/models/fraud");
  auto back = parseImageReference(pinned.str());
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value(), pinned);
}

TEST(RegistryImageReference, DigestValidation) {
  EXPECT_TRUE(isValidDigest(kDigest));
  EXPECT_FALSE(isValidDigest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(isValidDigest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(isValidDigest("md5:" + std::string(64, 'a')));
}

}  // namespace
