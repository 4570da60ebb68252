#include "kube/api_error.h"

#include <cpprest/json.h>

#include <string_view>

namespace mlmodel::kube {

namespace {

constexpr std::string_view kTypedPatchFailure = "failed to create typed patch object";

}  // namespace

core::Error apiError(int httpCode, const std::string& body, const std::string& what) {
  std::string message;
  std::string reason;
  try {
    const auto status = web::json::value::parse(body);
    if (status.is_object() && status.has_string_field("message")) {
      message = status.at("message").as_string();
    }
    if (status.is_object() && status.has_string_field("reason")) {
      reason = status.at("reason").as_string();
    }
  } catch (const std::exception&) {
    // Not a Status (a proxy's HTML page, say): show the body as it is.
  }
  if (message.empty()) message = body.size() > 512 ? body.substr(0, 512) + "..." : body;
  // The text keeps the code the server sent.
  std::string text = what + ": " + std::to_string(httpCode) + " " + message;
  if (httpCode == 500 && reason.empty() && message.starts_with(kTypedPatchFailure)) {
    httpCode = 400;
    reason = "BadRequest";
  }
  return core::Error{std::move(text), httpCode, reason};
}

}  // namespace mlmodel::kube
