#pragma once

#include <atomic>
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
    if (closed_.load(std::memory_order_acquire)) {
      std::lock_guard lock(mu_);
      return core::Error{"not written: " + reason_};
    }
    std::function<core::Status()> holds;
    {
      std::lock_guard lock(mu_);
      holds = holds_;
    }
    if (!holds) return core::Ok{};
    if (auto s = holds(); !s) return core::Error{"not written: " + s.error().message};
    return core::Ok{};
  }
  // From now on writes need `holds` to be Ok (a leader's lease check).
  void guardWith(std::function<core::Status()> holds) {
    std::lock_guard lock(mu_);
    holds_ = std::move(holds);
  }
  // No write passes any more; `why` says so in the errors.
  void close(const std::string& why) {
    {
      std::lock_guard lock(mu_);
      if (closed_.load()) return;
      reason_ = why;
    }
    closed_.store(true, std::memory_order_release);
  }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;
  std::function<core::Status()> holds_;  // guarded by mu_
  std::string reason_;                   // guarded by mu_
  std::atomic<bool> closed_{false};
};

}  // namespace mlmodel::server
