// Who may scrape /metrics (server/scrape_auth.h): the verdicts, what is cached and for how
// long (on a fake clock), reviews shared by concurrent scrapes, and the bound on reviews
// waiting. The API server's side is a fake ScrapeReviewer here; the integration test
// metrics_auth_test asks the real one.
#include "server/scrape_auth.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <string>

#include "core/clock.h"
#include "support/wait_until.h"

namespace {

using mlmodel::core::FakeClock;
using mlmodel::server::ScrapeAuthOptions;
using mlmodel::server::ScrapeAuthorizer;
using mlmodel::server::ScrapeDecision;
using mlmodel::server::ScrapeReviewer;
using mlmodel::server::ScrapeUser;
using mlmodel::server::ScrapeVerdict;

// Tokens "good" (user reader, allowed), "other" (user other, not allowed), anything else
// refused; "down" fails to be reviewed. With gate() set, reviews wait until open().
class FakeReviewer : public ScrapeReviewer {
 public:
  mlmodel::core::Result<std::optional<ScrapeUser>> authenticate(const std::string& token) override {
    waitOpen();
    if (token == "down") return mlmodel::core::Error{"connection refused"};
    if (token == "good") return std::optional<ScrapeUser>(ScrapeUser{"reader", "u1", {"g"}, {}});
    if (token == "other") return std::optional<ScrapeUser>(ScrapeUser{"other", "u2", {}, {}});
    return std::optional<ScrapeUser>{};
  }
  mlmodel::core::Result<bool> allowed(const ScrapeUser& user, const std::string& verb,
                                      const std::string& path) override {
    std::lock_guard lock(mu_);
    asked.insert(user.name + " " + verb + " " + path);
    return user.name == "reader" || (user.name == "other" && otherAllowed);
  }

  void gate() {
    std::lock_guard lock(mu_);
    gated_ = true;
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      gated_ = false;
    }
    cv_.notify_all();
  }
  // How many reviews are held at the gate.
  int held() {
    std::lock_guard lock(mu_);
    return held_;
  }

  std::set<std::string> asked;
  bool otherAllowed = false;

 private:
  void waitOpen() {
    std::unique_lock lock(mu_);
    ++held_;
    cv_.wait(lock, [&] { return !gated_; });
    --held_;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool gated_ = false;
  int held_ = 0;
};

struct Fixture {
  explicit Fixture(ScrapeAuthOptions o = {}) : reviewer(std::make_shared<FakeReviewer>()) {
    o.clock = &clock;
    auth = std::make_unique<ScrapeAuthorizer>(reviewer, o);
  }
  ~Fixture() {
    reviewer->open();  // a test that failed while reviews were held must not hang here
    auth.reset();
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;
  // The verdict for one request (waits for a review, bounded).
  ScrapeDecision check(const std::string& authorization) {
    std::promise<ScrapeDecision> p;
    auto f = p.get_future();
    auth->check(authorization, "get", "/metrics",
                [&p](const ScrapeDecision& d) { p.set_value(d); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    return f.get();
  }
  FakeClock clock;
  std::shared_ptr<FakeReviewer> reviewer;
  std::unique_ptr<ScrapeAuthorizer> auth;
};

TEST(ScrapeAuth, NoBearerTokenIsUnauthenticatedWithoutAskingTheApiServer) {
  Fixture f;
  for (const char* h : {"", "Basic dXNlcjpwdw==", "Bearer ", "Bearer   "}) {
    auto d = f.check(h);
    EXPECT_EQ(d.verdict, ScrapeVerdict::Unauthenticated) << h;
    EXPECT_EQ(d.message, "a bearer token is required");
  }
  EXPECT_EQ(f.auth->reviews(), 0u);
}

TEST(ScrapeAuth, VerdictsForAcceptedRefusedAndForbiddenTokens) {
  Fixture f;
  EXPECT_EQ(f.check("Bearer good").verdict, ScrapeVerdict::Allowed);
  EXPECT_EQ(f.check("Bearer nonsense").verdict, ScrapeVerdict::Unauthenticated);
  auto forbidden = f.check("Bearer other");
  EXPECT_EQ(forbidden.verdict, ScrapeVerdict::Forbidden);
  EXPECT_EQ(forbidden.message, "user \"other\" may not get /metrics");
  // The SubjectAccessReview asks about the non-resource URL with verb get.
  EXPECT_EQ(f.reviewer->asked,
            (std::set<std::string>{"reader get /metrics", "other get /metrics"}));
}

TEST(ScrapeAuth, TheGuardAsksForTheMethodInLowerCase) {
  Fixture f;
  auto handler = f.auth->guard(
      [](const mlmodel::server::HttpRequest&, const mlmodel::server::Respond& respond) {
        respond(mlmodel::server::textResponse(200, "metrics"));
      });
  for (const char* method : {"GET", "HEAD"}) {
    std::promise<mlmodel::server::HttpResponse> p;
    handler({method, "/metrics", "Bearer good"},
            [&p](mlmodel::server::HttpResponse r) { p.set_value(std::move(r)); });
    auto fut = p.get_future();
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(fut.get().status, 200u);
  }
  EXPECT_EQ(f.reviewer->asked,
            (std::set<std::string>{"reader get /metrics", "reader head /metrics"}));
}

TEST(ScrapeAuth, AnAllowedTokenIsReviewedOncePerMinute) {
  Fixture f;
  EXPECT_EQ(f.check("Bearer good").verdict, ScrapeVerdict::Allowed);
  for (int i = 0; i < 20; ++i) {
    f.clock.advance(std::chrono::seconds(2));  // Prometheus scraping every 2 s
    EXPECT_EQ(f.check("Bearer good").verdict, ScrapeVerdict::Allowed);
  }
  EXPECT_EQ(f.auth->reviews(), 1u);
  f.clock.advance(std::chrono::seconds(21));  // 61 s after the review
  EXPECT_EQ(f.check("Bearer good").verdict, ScrapeVerdict::Allowed);
  EXPECT_TRUE(mlmodel::testutil::waitUntil([&] { return f.auth->reviews() == 2; }));
}

TEST(ScrapeAuth, AnExpiredAllowedVerdictAnswersAtOnceWhileRenewedAndARevocationCountsNext) {
  Fixture f;
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Forbidden);
  f.reviewer->otherAllowed = true;
  f.clock.advance(std::chrono::seconds(31));
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Allowed);
  // The binding is removed; past the TTL the scrape is not held up by the review...
  f.reviewer->otherAllowed = false;
  f.reviewer->gate();
  f.clock.advance(std::chrono::seconds(61));
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Allowed);
  EXPECT_TRUE(mlmodel::testutil::waitUntil([&] { return f.reviewer->held() == 1; }));
  f.reviewer->open();
  // ...and once the review is back, the next one is refused.
  EXPECT_TRUE(mlmodel::testutil::waitUntil([&] { return f.auth->reviews() == 3; }));
  EXPECT_TRUE(mlmodel::testutil::waitUntil(
      [&] { return f.check("Bearer other").verdict == ScrapeVerdict::Forbidden; }));
  // A verdict more than one TTL past its time is not used: the scrape waits for a review.
  f.reviewer->otherAllowed = true;
  f.clock.advance(std::chrono::seconds(31));
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Allowed);
  f.reviewer->otherAllowed = false;
  f.clock.advance(std::chrono::seconds(121));
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Forbidden);
}

TEST(ScrapeAuth, TheBearerSchemeInAnyCaseAndSpacesAroundTheToken) {
  Fixture f;
  EXPECT_EQ(f.check("bearer good").verdict, ScrapeVerdict::Allowed);
  EXPECT_EQ(f.check("BEARER   good  ").verdict, ScrapeVerdict::Allowed);
  EXPECT_EQ(f.check("Bearergood").verdict, ScrapeVerdict::Unauthenticated);
  EXPECT_EQ(f.auth->reviews(), 1u);  // one token, one review
}

TEST(ScrapeAuth, AFloodOfMadeUpTokensDoesNotPushOutAnAllowedScraper) {
  ScrapeAuthOptions o;
  o.maxCached = 4;
  Fixture f(o);
  EXPECT_EQ(f.check("Bearer good").verdict, ScrapeVerdict::Allowed);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(f.check("Bearer made-up-" + std::to_string(i)).verdict,
              ScrapeVerdict::Unauthenticated);
  }
  const auto before = f.auth->reviews();
  EXPECT_EQ(f.check("Bearer good").verdict, ScrapeVerdict::Allowed);
  EXPECT_EQ(f.auth->reviews(), before) << "the allowed verdict was evicted";
}

TEST(ScrapeAuth, ANewBindingCountsOnceTheForbiddenVerdictExpires) {
  Fixture f;
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Forbidden);
  f.reviewer->otherAllowed = true;  // someone binds the metrics-reader role
  f.clock.advance(std::chrono::seconds(29));
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Forbidden);
  f.clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(f.check("Bearer other").verdict, ScrapeVerdict::Allowed);
}

TEST(ScrapeAuth, ARefusedTokenIsRememberedForTenSeconds) {
  Fixture f;
  EXPECT_EQ(f.check("Bearer nonsense").verdict, ScrapeVerdict::Unauthenticated);
  f.clock.advance(std::chrono::seconds(9));
  EXPECT_EQ(f.check("Bearer nonsense").verdict, ScrapeVerdict::Unauthenticated);
  EXPECT_EQ(f.auth->reviews(), 1u);
  f.clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(f.check("Bearer nonsense").verdict, ScrapeVerdict::Unauthenticated);
  EXPECT_EQ(f.auth->reviews(), 2u);
}

TEST(ScrapeAuth, AnApiServerThatCannotReviewIsUnavailableAndNotCached) {
  Fixture f;
  auto d = f.check("Bearer down");
  EXPECT_EQ(d.verdict, ScrapeVerdict::Unavailable);
  EXPECT_EQ(d.message, "the token could not be reviewed; try again");
  EXPECT_EQ(f.check("Bearer down").verdict, ScrapeVerdict::Unavailable);
  EXPECT_EQ(f.auth->reviews(), 2u);
}

TEST(ScrapeAuth, ConcurrentScrapesWithOneTokenShareOneReview) {
  Fixture f;
  f.reviewer->gate();
  std::vector<std::promise<ScrapeDecision>> answers(10);
  for (auto& a : answers) {
    f.auth->check("Bearer good", "get", "/metrics",
                  [&a](const ScrapeDecision& d) { a.set_value(d); });
  }
  f.reviewer->open();
  for (auto& a : answers) {
    auto fut = a.get_future();
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    EXPECT_EQ(fut.get().verdict, ScrapeVerdict::Allowed);
  }
  EXPECT_EQ(f.auth->reviews(), 1u);
}

TEST(ScrapeAuth, ReviewsWaitingBeyondTheBoundAreAnsweredAtOnce) {
  ScrapeAuthOptions o;
  o.workers = 1;
  o.maxPending = 3;
  Fixture f(o);
  f.reviewer->gate();
  std::vector<std::promise<ScrapeDecision>> answers(6);
  // One review runs (held at the gate), three wait; the fifth and sixth token are refused.
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (i == 1) {
      // Let the worker take the first one off the queue before filling it.
      ASSERT_TRUE(mlmodel::testutil::waitUntil([&] { return f.reviewer->held() == 1; }));
    }
    auto& a = answers[i];
    f.auth->check("Bearer t" + std::to_string(i), "get", "/metrics",
                  [&a](const ScrapeDecision& d) { a.set_value(d); });
  }
  for (std::size_t i = 4; i < answers.size(); ++i) {
    auto fut = answers[i].get_future();
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(1)), std::future_status::ready) << i;
    auto d = fut.get();
    EXPECT_EQ(d.verdict, ScrapeVerdict::Unavailable);
    EXPECT_EQ(d.message, "too many scrapes awaiting review; try again");
  }
  f.reviewer->open();
  for (std::size_t i = 0; i < 4; ++i) {
    auto fut = answers[i].get_future();
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready) << i;
    EXPECT_EQ(fut.get().verdict, ScrapeVerdict::Unauthenticated);
  }
}

}  // namespace
