#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/result.h"

namespace mlmodel::kube {

// Supplies a bearer token per request. The REST client asks before each request and calls
// invalidate() after a 401, so sources that can refresh do so on the next token().
//
//   auto creds = std::make_shared<TokenFileSource>(path, SystemClock::instance());
//   auto t = creds->token();
//   if (!t) return t.error();
//   request.headers().add("Authorization", "Bearer " + t.value());
//
// Implementations: StaticTokenSource, TokenFileSource, ExecCredentialSource
// (exec_credential.h).
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual core::Result<std::string> token() = 0;  // thread-safe
  virtual void invalidate() = 0;                  // called after a 401
};

// A token written into the kubeconfig. There is nothing to refresh, so invalidate() is a
// no-op and a 401 stays a 401.
class StaticTokenSource final : public CredentialSource {
 public:
  explicit StaticTokenSource(std::string token) : token_(std::move(token)) {}
  core::Result<std::string> token() override { return token_; }
  void invalidate() override {}

 private:
  const std::string token_;
};

// A token read from a file (tokenFile in a kubeconfig, the in-cluster service account
// token). Projected tokens are rotated by the kubelet, so the file is re-read once the
// cached copy is older than `maxAge` and after invalidate(). When a re-read fails but an
// earlier read succeeded, the old token is served: it is usually still valid, and the
// next request that gets a 401 will ask again.
//
// `clock` must outlive the source.
class TokenFileSource final : public CredentialSource {
 public:
  TokenFileSource(std::string path, const core::Clock& clock,
                  core::Duration maxAge = std::chrono::minutes(1));
  core::Result<std::string> token() override;
  void invalidate() override;
  const std::string& path() const { return path_; }

 private:
  core::Result<std::string> readToken() const;

  const std::string path_;
  const core::Clock& clock_;
  const core::Duration maxAge_;
  std::mutex mu_;
  std::string token_;          // guarded by mu_; empty until the first good read
  core::SteadyTime readAt_{};  // guarded by mu_
  bool stale_ = true;          // guarded by mu_; set by invalidate()
};

}  // namespace mlmodel::kube
