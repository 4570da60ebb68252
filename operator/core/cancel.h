#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace mlmodel::core {

// Cancels work in flight from another thread: the Manager cancels when its lease is lost
// (or a graceful stop runs out of time), and every HTTP exchange carrying the token aborts
// at once instead of running to its deadline. Thread-safe.
//   CancelToken stop;
//   auto reg = stop.onCancel([conn] { conn->abort(); });  // for the exchange's duration
//   ...                                                  // stop.cancel() elsewhere
class CancelToken {
 public:
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& o) noexcept : token_(o.token_), id_(o.id_) { o.token_ = nullptr; }
    Registration& operator=(Registration&&) = delete;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    // Once this returns, the callback does not run (and is not running).
    ~Registration();

   private:
    friend class CancelToken;
    Registration(const CancelToken* token, uint64_t id) : token_(token), id_(id) {}
    const CancelToken* token_ = nullptr;
    uint64_t id_ = 0;
  };

  bool cancelled() const;
  // Runs each registered callback once, under the token's lock: they must be short and
  // must not touch the token (an abort() that posts a close is the use).
  void cancel();
  // `f` runs on cancel(), at once when already cancelled, until the Registration goes.
  // Const: whoever may only watch a token (a request) may still register.
  [[nodiscard]] Registration onCancel(std::function<void()> f) const;

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  mutable uint64_t next_ = 0;
  mutable std::map<uint64_t, std::function<void()>> callbacks_;
};

}  // namespace mlmodel::core
