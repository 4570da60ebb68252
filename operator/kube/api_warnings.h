#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mlmodel::kube {

// The texts of the API server's warnings in a Warning header value (RFC 7234: `299 - "text"`,
// several joined by commas, as the server sends a deprecated API, an unknown field it
// dropped, or a policy's warn action). Only code 299 is kept, as client-go does; a value that
// does not parse yields what was read before the fault.
std::vector<std::string> parseWarnings(std::string_view header);

// Logs each distinct warning once, as kubectl does: a warning about our own request comes
// back for every model, and one line says it. Remembers at most `capacity` texts; past that,
// a new text is logged and not remembered. Thread-safe.
class WarningLog {
 public:
  explicit WarningLog(std::size_t capacity = 256) : capacity_(capacity) {}
  // `what` names the request ("PATCH /apis/apps/v1/..."); true when the text was logged.
  bool log(const std::string& what, const std::string& text);

 private:
  std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::size_t capacity_;
};

}  // namespace mlmodel::kube
