#pragma once

#include <string>

#include "core/result.h"

namespace mlmodel::kube {

// Errors from the API server carry the HTTP code in Error::code, the Status reason
// ("NotFound", "AlreadyExists", "Conflict", "Expired", "Invalid", ...) in Error::reason and
// the Status message, which says what was wrong in words, in Error::message.
// Transport failures have code 0.

// Builds the Error for a non-2xx answer from its Status body (or the raw body when it is
// not a Status). Server-side apply answers a field its schema lacks with 500 and "failed to
// create typed patch object (...): <path>: field not declared in schema"
// (kubernetes/kubernetes#139253): that one is read as the 400 BadRequest it is, so that it
// is neither retried nor taken for the server's own failure.
core::Error apiError(int httpCode, const std::string& body, const std::string& what);

inline bool isNotFound(const core::Error& e) { return e.code == 404; }
inline bool isAlreadyExists(const core::Error& e) {
  return e.code == 409 && e.reason == "AlreadyExists";
}
inline bool isConflict(const core::Error& e) {
  return e.code == 409 && e.reason != "AlreadyExists";
}
inline bool isGone(const core::Error& e) { return e.code == 410; }
inline bool isInvalid(const core::Error& e) { return e.code == 422; }
// The server refused the object itself (400 BadRequest: a field its schema does not
// know; 422 Invalid: a value out of range, an immutable field changed): sending it again
// cannot succeed until whatever the object was built from changes.
inline bool isRejectedObject(const core::Error& e) { return e.code == 400 || e.code == 422; }
inline bool isTooManyRequests(const core::Error& e) { return e.code == 429; }
inline bool isServerError(const core::Error& e) { return e.code >= 500; }
inline bool isTransportError(const core::Error& e) { return e.code == 0; }

}  // namespace mlmodel::kube
