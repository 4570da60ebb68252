#pragma once

// Who may read /metrics, as kubebuilder's secure metrics decide it: the bearer token is
// authenticated by the API server (TokenReview) and its user authorized for `get` on the
// path (SubjectAccessReview, as a non-resource URL: a ClusterRole with
// nonResourceURLs: ["/metrics"] grants it). Decisions are cached for a while, so that
// Prometheus scraping every few seconds costs the API server two requests a minute, and
// reviews run on worker threads of their own, never on the server's.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "server/http_server.h"

namespace mlmodel::kube {
class Client;
}  // namespace mlmodel::kube

namespace mlmodel::server {

struct ScrapeUser {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

// The API server's two reviews. An Error when it could not be asked (or did not answer).
class ScrapeReviewer {
 public:
  virtual ~ScrapeReviewer() = default;
  // The token's user; nullopt when the API server does not accept the token.
  virtual core::Result<std::optional<ScrapeUser>> authenticate(const std::string& token) = 0;
  // Whether `user` may `verb` the non-resource URL `path`.
  virtual core::Result<bool> allowed(const ScrapeUser& user, const std::string& verb,
                                     const std::string& path) = 0;
};

// TokenReview and SubjectAccessReview through `client` (the operator's ServiceAccount
// needs `create` on both: the chart's metrics-auth ClusterRole).
std::unique_ptr<ScrapeReviewer> makeKubeScrapeReviewer(std::shared_ptr<kube::Client> client);

struct ScrapeAuthOptions {
  std::chrono::seconds allowedTtl{60};          // a revoked token or binding counts after this
  std::chrono::seconds forbiddenTtl{30};        // a new binding counts after this
  std::chrono::seconds unauthenticatedTtl{10};  // a bad token is not re-reviewed sooner
  std::size_t maxCached = 1024;                 // tokens remembered
  std::size_t workers = 2;
  std::size_t maxPending = 64;  // reviews waiting; beyond, scrapes are answered 503
  const core::Clock* clock = nullptr;
};

enum class ScrapeVerdict { Allowed, Unauthenticated, Forbidden, Unavailable };

struct ScrapeDecision {
  ScrapeVerdict verdict = ScrapeVerdict::Unavailable;
  std::string message;  // why, for the response body
};

class ScrapeAuthorizer {
 public:
  ScrapeAuthorizer(std::shared_ptr<ScrapeReviewer> reviewer, ScrapeAuthOptions options = {});
  ~ScrapeAuthorizer();
  ScrapeAuthorizer(const ScrapeAuthorizer&) = delete;
  ScrapeAuthorizer& operator=(const ScrapeAuthorizer&) = delete;

  // Calls `done` once with the verdict for a request carrying this Authorization header
  // (`verb`: the method in lower case): at once when it is missing or cached, otherwise
  // from a worker after the reviews. Requests with the same token while its review runs
  // wait for that one review. An allowed verdict past its TTL (by less than another TTL)
  // answers at once while a review renews it, so a scraper never waits on the API server
  // after its first scrape; a revoked token is refused from the scrape after the review.
  void check(const std::string& authorization, const std::string& verb, const std::string& path,
             std::function<void(ScrapeDecision)> done);

  // `inner` behind check(): 401 (with WWW-Authenticate), 403 or 503 unless allowed; 500
  // when `inner` throws.
  // `inner` may run on a worker. This authorizer must outlive the server the handler is
  // given to, and be stopped before it (reviews answer through the server's thread).
  AsyncHttpHandler guard(AsyncHttpHandler inner);

  // Joins the workers; reviews still waiting are answered Unavailable, later checks too
  // unless cached. Idempotent; the destructor calls it.
  void stop();

  // Reviews asked of the API server so far (each a TokenReview, plus a
  // SubjectAccessReview when the token was accepted).
  std::size_t reviews() const;

 private:
  struct Cached {
    ScrapeDecision decision;
    core::SteadyTime expires;
  };
  struct Pending {
    std::string token, verb, path;
    std::vector<std::function<void(ScrapeDecision)>> waiters;
  };

  void work();
  ScrapeDecision review(const Pending& p);
  void remember(const std::string& key, const ScrapeDecision& d);

  std::shared_ptr<ScrapeReviewer> reviewer_;
  ScrapeAuthOptions options_;
  const core::Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Cached> cache_;
  std::map<std::string, std::shared_ptr<Pending>> pending_;  // by key, while reviewed
  std::deque<std::string> queue_;                            // keys waiting for a worker
  std::size_t reviews_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mlmodel::server
