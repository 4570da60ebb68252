#include "server/scrape_auth.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "api/json_fields.h"
#include "core/encoding.h"
#include "kube/resource.h"
#include "kube/rest_client.h"

namespace mlmodel::server {
namespace {

using api::Json;

const kube::ResourceType kTokenReviews{"authentication.k8s.io", "v1", "tokenreviews", false};
const kube::ResourceType kSubjectAccessReviews{"authorization.k8s.io", "v1", "subjectaccessreviews",
                                               false};

// The cache is keyed by a digest, so that tokens are not kept in memory longer than a
// review. "" when hashing fails (then nothing is cached or looked up: no shared entry).
std::string digest(const std::string& token, const std::string& verb, const std::string& path) {
  const std::string in = token + '\n' + verb + '\n' + path;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(in.data(), in.size(), md, &n, EVP_sha256(), nullptr) != 1 || n == 0) return "";
  return std::string(reinterpret_cast<const char*>(md), n);
}

// The token of "Bearer <token>" (the scheme in any case, spaces around the token
// dropped, as the API server reads it); "" otherwise.
std::string bearerToken(const std::string& authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() ||
      core::toLower(authorization.substr(0, kScheme.size())) != kScheme ||
      (authorization[kScheme.size()] != ' ' && authorization[kScheme.size()] != '\t')) {
    return "";
  }
  const auto first = authorization.find_first_not_of(" \t", kScheme.size());
  if (first == std::string::npos) return "";
  const auto last = authorization.find_last_not_of(" \t");
  return authorization.substr(first, last - first + 1);
}

std::vector<std::string> strings(const Json& array) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (const auto& v : array.as_array()) {
    if (v.is_string()) out.push_back(v.as_string());
  }
  return out;
}

class KubeScrapeReviewer final : public ScrapeReviewer {
 public:
  explicit KubeScrapeReviewer(std::shared_ptr<kube::Client> client) : client_(std::move(client)) {}

  core::Result<std::optional<ScrapeUser>> authenticate(const std::string& token) override {
    Json review = Json::object();
    review["apiVersion"] = Json::string("authentication.k8s.io/v1");
    review["kind"] = Json::string("TokenReview");
    review["spec"]["token"] = Json::string(token);
    auto r = client_->create(kTokenReviews, "", review);
    if (!r) return r.error();
    const Json& status = r.value().has_object_field("status") ? r.value().at("status") : Json();
    if (!status.is_object() || !status.has_boolean_field("authenticated") ||
        !status.at("authenticated").as_bool()) {
      return std::optional<ScrapeUser>{};
    }
    ScrapeUser user;
    if (status.has_object_field("user")) {
      const Json& u = status.at("user");
      if (u.has_string_field("username")) user.name = u.at("username").as_string();
      if (u.has_string_field("uid")) user.uid = u.at("uid").as_string();
      if (u.has_array_field("groups")) user.groups = strings(u.at("groups"));
      if (u.has_object_field("extra")) {
        for (const auto& [k, v] : u.at("extra").as_object()) user.extra[k] = strings(v);
      }
    }
    return std::optional<ScrapeUser>(std::move(user));
  }

  core::Result<bool> allowed(const ScrapeUser& user, const std::string& verb,
                             const std::string& path) override {
    Json spec = Json::object();
    spec["user"] = Json::string(user.name);
    if (!user.uid.empty()) spec["uid"] = Json::string(user.uid);
    Json groups = Json::array();
    for (size_t i = 0; i < user.groups.size(); ++i) groups[i] = Json::string(user.groups[i]);
    spec["groups"] = groups;
    if (!user.extra.empty()) {
      Json extra = Json::object();
      for (const auto& [k, values] : user.extra) {
        Json a = Json::array();
        for (size_t i = 0; i < values.size(); ++i) a[i] = Json::string(values[i]);
        extra[k] = a;
      }
      spec["extra"] = extra;
    }
    spec["nonResourceAttributes"]["path"] = Json::string(path);
    spec["nonResourceAttributes"]["verb"] = Json::string(verb);
    Json review = Json::object();
    review["apiVersion"] = Json::string("authorization.k8s.io/v1");
    review["kind"] = Json::string("SubjectAccessReview");
    review["spec"] = spec;
    auto r = client_->create(kSubjectAccessReviews, "", review);
    if (!r) return r.error();
    const Json& v = r.value();
    return v.has_object_field("status") && v.at("status").has_boolean_field("allowed") &&
           v.at("status").at("allowed").as_bool();
  }

 private:
  std::shared_ptr<kube::Client> client_;
};

HttpResponse refusal(unsigned status, const std::string& message) {
  HttpResponse r = textResponse(status, message + "\n");
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"metrics\"");
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

std::unique_ptr<ScrapeReviewer> makeKubeScrapeReviewer(std::shared_ptr<kube::Client> client) {
  return std::make_unique<KubeScrapeReviewer>(std::move(client));
}

ScrapeAuthorizer::ScrapeAuthorizer(std::shared_ptr<ScrapeReviewer> reviewer,
                                   ScrapeAuthOptions options)
    : reviewer_(std::move(reviewer)),
      options_(options),
      clock_(options.clock ? *options.clock : core::SystemClock::instance()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.workers, 1); ++i) {
    threads_.emplace_back([this] { work(); });
  }
}

ScrapeAuthorizer::~ScrapeAuthorizer() { stop(); }

void ScrapeAuthorizer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  // Whoever still waits hears that no answer comes.
  std::map<std::string, std::shared_ptr<Pending>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(pending_);
    queue_.clear();
  }
  for (auto& [key, p] : left) {
    for (auto& w : p->waiters) w({ScrapeVerdict::Unavailable, "the operator is stopping"});
  }
}

std::size_t ScrapeAuthorizer::reviews() const {
  std::lock_guard lock(mu_);
  return reviews_;
}

void ScrapeAuthorizer::check(const std::string& authorization, const std::string& verb,
                             const std::string& path, std::function<void(ScrapeDecision)> done) {
  const std::string token = bearerToken(authorization);
  if (token.empty()) {
    done({ScrapeVerdict::Unauthenticated, "a bearer token is required"});
    return;
  }
  const std::string key = digest(token, verb, path);
  if (key.empty()) {
    done({ScrapeVerdict::Unavailable, "the token could not be hashed; try again"});
    return;
  }
  std::unique_lock lock(mu_);
  const auto now = clock_.steadyNow();
  bool stale = false;  // an allowed verdict past its time, answered while re-reviewed
  if (auto c = cache_.find(key); c != cache_.end()) {
    if (now < c->second.expires) {
      auto decision = c->second.decision;
      lock.unlock();
      done(std::move(decision));
      return;
    }
    // A scraper allowed a moment ago is not made to wait (nor refused when the queue is
    // full) while its verdict is renewed: it gets the old one, for one TTL more at most.
    stale = c->second.decision.verdict == ScrapeVerdict::Allowed &&
            now < c->second.expires + options_.allowedTtl;
    if (!stale) cache_.erase(c);
  }
  if (auto p = pending_.find(key); p != pending_.end()) {
    if (!stale) {
      p->second->waiters.push_back(std::move(done));
      return;
    }
  } else if (queue_.size() < options_.maxPending && !stopping_) {
    auto p = std::make_shared<Pending>();
    p->token = token;
    p->verb = verb;
    p->path = path;
    if (stale) {
      pending_.emplace(key, std::move(p));
      queue_.push_back(key);
      lock.unlock();
      cv_.notify_one();
      done({ScrapeVerdict::Allowed, ""});
      return;
    }
    p->waiters.push_back(std::move(done));
    pending_.emplace(key, std::move(p));
    queue_.push_back(key);
    lock.unlock();
    cv_.notify_one();
    return;
  }
  lock.unlock();
  if (stale) {
    done({ScrapeVerdict::Allowed, ""});
  } else {
    done({ScrapeVerdict::Unavailable, "too many scrapes awaiting review; try again"});
  }
}

void ScrapeAuthorizer::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const std::string key = queue_.front();
    queue_.pop_front();
    auto p = pending_.at(key);
    lock.unlock();
    ScrapeDecision d;
    try {
      d = review(*p);
    } catch (const std::exception& e) {
      spdlog::error("metrics: reviewing a scrape: {}", e.what());
      d = {ScrapeVerdict::Unavailable, "the scrape could not be reviewed; try again"};
    }
    lock.lock();
    if (d.verdict != ScrapeVerdict::Unavailable) {
      remember(key, d);
    } else if (auto c = cache_.find(key); c != cache_.end()) {
      cache_.erase(c);  // a stale verdict that could not be renewed: the next scrape waits
    }
    pending_.erase(key);
    // Waiters added after this point start a review of their own (or hit the cache).
    auto waiters = std::move(p->waiters);
    lock.unlock();
    for (auto& w : waiters) {
      try {
        w(d);
      } catch (const std::exception& e) {
        spdlog::error("metrics: answering a scrape: {}", e.what());
      }
    }
    lock.lock();
  }
}

ScrapeDecision ScrapeAuthorizer::review(const Pending& p) {
  {
    std::lock_guard lock(mu_);
    ++reviews_;
  }
  auto user = reviewer_->authenticate(p.token);
  if (!user) {
    spdlog::warn("metrics: TokenReview failed: {}", user.error().message);
    return {ScrapeVerdict::Unavailable, "the token could not be reviewed; try again"};
  }
  if (!user.value()) return {ScrapeVerdict::Unauthenticated, "the token was not accepted"};
  const ScrapeUser& u = *user.value();
  auto ok = reviewer_->allowed(u, p.verb, p.path);
  if (!ok) {
    spdlog::warn("metrics: SubjectAccessReview failed: {}", ok.error().message);
    return {ScrapeVerdict::Unavailable, "access could not be reviewed; try again"};
  }
  if (!ok.value()) {
    return {ScrapeVerdict::Forbidden, "user \"" + u.name + "\" may not " + p.verb + " " + p.path};
  }
  return {ScrapeVerdict::Allowed, ""};
}

void ScrapeAuthorizer::remember(const std::string& key, const ScrapeDecision& d) {
  const auto now = clock_.steadyNow();
  if (cache_.size() >= options_.maxCached) {
    // Expired ones first, then refusals (a flood of made-up tokens), so that a flood does
    // not push out the scrapers that are allowed; then everything: bounded, whatever comes.
    std::erase_if(cache_,
                  [&](const auto& kv) { return kv.second.expires + options_.allowedTtl <= now; });
    if (cache_.size() >= options_.maxCached) {
      std::erase_if(cache_, [](const auto& kv) {
        return kv.second.decision.verdict != ScrapeVerdict::Allowed;
      });
    }
    if (cache_.size() >= options_.maxCached) cache_.clear();
  }
  std::chrono::seconds ttl = options_.allowedTtl;
  if (d.verdict == ScrapeVerdict::Forbidden) ttl = options_.forbiddenTtl;
  if (d.verdict == ScrapeVerdict::Unauthenticated) ttl = options_.unauthenticatedTtl;
  cache_[key] = {d, now + ttl};
}

AsyncHttpHandler ScrapeAuthorizer::guard(AsyncHttpHandler inner) {
  return [this, inner = std::move(inner)](const HttpRequest& request, const Respond& respond) {
    // The verb of a non-resource URL is the method in lower case, as the API server and
    // controller-runtime name it: `get` for GET, `head` for HEAD.
    check(request.authorization, core::toLower(request.method), request.path,
          [inner, request, respond](const ScrapeDecision& d) {
            switch (d.verdict) {
              case ScrapeVerdict::Allowed:
                try {
                  inner(request, respond);
                } catch (const std::exception& e) {
                  spdlog::error("serving {}: {}", request.path, e.what());
                  respond(textResponse(500, "internal error\n"));
                }
                return;
              case ScrapeVerdict::Unauthenticated:
                respond(refusal(401, "Unauthorized: " + d.message));
                return;
              case ScrapeVerdict::Forbidden:
                respond(refusal(403, "Forbidden: " + d.message));
                return;
              case ScrapeVerdict::Unavailable:
                respond(refusal(503, d.message));
                return;
            }
          });
  };
}

}  // namespace mlmodel::server
