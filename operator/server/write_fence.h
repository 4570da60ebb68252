#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "core/result.h"

namespace mlmodel::server {

// Whether this process may write to the API server now: open until close(), and, once a
// lease guards it, only while the lease is held. Every write of the operator's client asks
// (kube::ClientOptions::writeGate), so a reconcile that was in flight when the lease ran out
// or the grace period ended writes nothing more. Thread-safe.
class WriteFence {
 public:
  core::Status check() const {
    std::lock_guard lock(mu_);
    if (closed_) return core::Error{"not written: " + reason_};
    if (!holds_) return core::Ok{};
    if (auto s = holds_(); !s) return core::Error{"not written: " + s.error().message};
    return core::Ok{};
  }
  // From now on writes need `holds` to be Ok (a leader's lease check).
  void guardWith(std::function<core::Status()> holds) {
    std::lock_guard lock(mu_);
    holds_ = std::move(holds);
  }
  // No write passes any more; `why` (the first one given) says so in the errors.
  void close(const std::string& why) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    reason_ = why;
  }

 private:
  mutable std::mutex mu_;
  std::function<core::Status()> holds_;  // guarded by mu_
  std::string reason_;                   // guarded by mu_
  bool closed_ = false;                  // guarded by mu_
};

}  // namespace mlmodel::server
