#include "kube/credentials.h"

#include <spdlog/spdlog.h>

#include "kube/config_util.h"

namespace mlmodel::kube {

TokenFileSource::TokenFileSource(std::string path, const core::Clock& clock, core::Duration maxAge)
    : path_(std::move(path)), clock_(clock), maxAge_(maxAge) {}

core::Result<std::string> TokenFileSource::readToken() const {
  auto content = detail::readFile(path_);
  if (!content) return core::Error{"token file " + content.error().message};
  std::string token = detail::trimSpace(content.value());
  if (token.empty()) return core::Error{"token file " + path_ + ": file is empty"};
  return token;
}

core::Result<std::string> TokenFileSource::token() {
  std::lock_guard lock(mu_);
  const core::SteadyTime now = clock_.steadyNow();
  if (!token_.empty() && !stale_ && now - readAt_ < maxAge_) return token_;

  auto fresh = readToken();
  if (!fresh) {
    if (token_.empty()) return fresh.error();
    spdlog::warn("{}; keeping the previously read token", fresh.error().message);
    // Back off for a full period rather than hitting the disk on every request.
    readAt_ = now;
    stale_ = false;
    return token_;
  }
  token_ = std::move(fresh).value();
  readAt_ = now;
  stale_ = false;
  return token_;
}

void TokenFileSource::invalidate() {
  std::lock_guard lock(mu_);
  stale_ = true;
}

}  // namespace mlmodel::kube
