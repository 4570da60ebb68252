// CachingResolver: one registry request for many models naming one tag at once, never a
// remembered error, never an answer shared across credentials.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "registry/caching_resolver.h"
#include "registry/fake_resolver.h"
#include "registry/reference.h"

using namespace mlmodel;
using namespace mlmodel::registry;

namespace {

const std::string kImage = "registry.example/models/fraud:1.4.0";
const std::string kDigest1 = "sha256:" + std::string(64, '1');
const std::string kDigest2 = "sha256:" + std::string(64, '2');

ImageReference ref(const std::string& s) { return parseImageReference(s).value(); }

class CachingResolverTest : public ::testing::Test {
 protected:
  FakeResolver registry;
  core::FakeClock clock;
  CachingResolver cached{registry, {std::chrono::seconds(10), 8, &clock}};
};

TEST_F(CachingResolverTest, ATagAskedAgainWithinTheTtlCostsOneRequest) {
  registry.set(kImage, Resolution{kDigest1, "application/vnd.oci.image.index.v1+json"});
  for (int i = 0; i < 5; ++i) {
    auto r = cached.resolve(ref(kImage), nullptr);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().digest, kDigest1);
  }
  EXPECT_EQ(registry.calls().size(), 1u);
}

TEST_F(CachingResolverTest, AMovedTagIsSeenOnceTheTtlHasPassed) {
  registry.set(kImage, Resolution{kDigest1, ""});
  ASSERT_TRUE(cached.resolve(ref(kImage), nullptr));
  registry.set(kImage, Resolution{kDigest2, ""});
  clock.advance(std::chrono::seconds(9));
  EXPECT_EQ(cached.resolve(ref(kImage), nullptr).value().digest, kDigest1);
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(cached.resolve(ref(kImage), nullptr).value().digest, kDigest2);
  EXPECT_EQ(registry.calls().size(), 2u);
}

TEST_F(CachingResolverTest, ErrorsAreNotRemembered) {
  registry.set(kImage, core::Error{"image " + kImage + ": registry unavailable", 503,
                                   kReasonRegistryUnavailable});
  EXPECT_FALSE(cached.resolve(ref(kImage), nullptr));
  registry.set(kImage, Resolution{kDigest1, ""});
  auto r = cached.resolve(ref(kImage), nullptr);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().digest, kDigest1);
  EXPECT_EQ(registry.calls().size(), 2u);
}

TEST_F(CachingResolverTest, AnswersAreNotSharedAcrossCredentials) {
  registry.set(kImage, Resolution{kDigest1, ""});
  const Credentials alice{"alice", "secret-a", ""};
  const Credentials bob{"alice", "other-password", ""};
  ASSERT_TRUE(cached.resolve(ref(kImage), &alice));
  ASSERT_TRUE(cached.resolve(ref(kImage), &alice));
  ASSERT_TRUE(cached.resolve(ref(kImage), &bob));
  ASSERT_TRUE(cached.resolve(ref(kImage), nullptr));
  const auto calls = registry.calls();
  ASSERT_EQ(calls.size(), 3u);  // alice once, bob once, anonymous once
  ASSERT_TRUE(calls[1].creds);
  EXPECT_EQ(calls[1].creds->password, "other-password");
  EXPECT_FALSE(calls[2].creds.has_value());
}

TEST_F(CachingResolverTest, ADigestReferenceIsAlwaysChecked) {
  const std::string pinned = "registry.example/models/fraud@" + kDigest1;
  registry.set(pinned, Resolution{kDigest1, ""});
  ASSERT_TRUE(cached.resolve(ref(pinned), nullptr));
  ASSERT_TRUE(cached.resolve(ref(pinned), nullptr));
  EXPECT_EQ(registry.calls().size(), 2u);
}

TEST_F(CachingResolverTest, StaysWithinItsSize) {
  for (int i = 0; i < 20; ++i) {
    const std::string image = "registry.example/models/m" + std::to_string(i) + ":1";
    registry.set(image, Resolution{kDigest1, ""});
    ASSERT_TRUE(cached.resolve(ref(image), nullptr));
    EXPECT_LE(cached.size(), 8u);
  }
  // The last one is still remembered after the evictions.
  ASSERT_TRUE(cached.resolve(ref("registry.example/models/m19:1"), nullptr));
  EXPECT_EQ(registry.calls().size(), 20u);
}

}  // namespace
