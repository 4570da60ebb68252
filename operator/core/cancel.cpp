#include "core/cancel.h"

namespace mlmodel::core {

CancelToken::Registration::~Registration() {
  if (!token_) return;
  std::lock_guard lock(token_->mu_);
  token_->callbacks_.erase(id_);
}

bool CancelToken::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void CancelToken::cancel() {
  std::lock_guard lock(mu_);
  if (cancelled_) return;
  cancelled_ = true;
  for (auto& [id, f] : callbacks_) f();
  callbacks_.clear();
}

CancelToken::Registration CancelToken::onCancel(std::function<void()> f) const {
  std::lock_guard lock(mu_);
  if (cancelled_) {
    f();
    return {};
  }
  const uint64_t id = ++next_;
  callbacks_.emplace(id, std::move(f));
  return Registration(this, id);
}

}  // namespace mlmodel::core
