#pragma once

#include <cpprest/json.h>

#include <cstddef>
#include <string>
#include <vector>

namespace mlmodel::audit {

using Json = web::json::value;

// The paths of the fields where `before` and `after` differ, for people to read in a
// rollout history, each starting with `prefix`:
//   spec.env[LOG_LEVEL].value   an element of a list of named objects (env, volumes...),
//                               matched by name, so an insertion is one change
//   spec.env[B]                 a named element on one side only
//   spec.args                   any other list, compared whole
//   spec.resources.limits       a key on one side only
// Keys and names in sorted order. At most `limit` entries: when more fields differ the
// last one says how many were left out ("… and 3 more").
std::vector<std::string> changedPaths(const Json& before, const Json& after,
                                      const std::string& prefix, size_t limit = 16);

}  // namespace mlmodel::audit
