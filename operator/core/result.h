#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mlmodel::core {

// Why something failed, in words a person can act on. `code` carries a protocol status
// (an HTTP code for API calls) when there is one, else 0.
struct Error {
  Error() = default;
  Error(std::string m, int c = 0, std::string r = {})  // NOLINT(google-explicit-constructor)
      : message(std::move(m)), code(c), reason(std::move(r)) {}

  std::string message;
  int code = 0;
  std::string reason;  // a machine-readable cause when the peer gives one ("Expired", ...)
};

// A value or an Error, in the spirit of absl::StatusOr (std::expected is C++23). Never
// dropped silently: a caller that means to ignore a failure says so with (void).
//   Result<Config> r = loadConfig(opts);
//   if (!r) return r.error();
//   use(r.value());
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const Error& error() const { return std::get<Error>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace mlmodel::core
