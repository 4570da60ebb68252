#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

namespace mlmodel::core {

// Lenient reads of JSON other programs wrote (objects from the API server's caches, Lease
// records, replies): a missing field, a null, or a value of another type reads as the
// fallback. Specs, where a wrong type must be reported, go through api::JsonFields.
//   jsonInt(deployment, {"status", "readyReplicas"});     // 0 when absent
//   jsonString(object, {"metadata", "namespace"});
const web::json::value* jsonFind(const web::json::value& v,
                                 std::initializer_list<const char*> path);
std::string jsonString(const web::json::value& v, std::initializer_list<const char*> path,
                       const std::string& fallback = "");
// A number within int64 (a fraction truncated); nullopt for anything else. cpprest's own
// as_integer()/to_int64() cast a double such as 1e51 straight to an integer: undefined
// behaviour (found by tests/fuzz/rollout_status_fuzz).
std::optional<int64_t> jsonInteger(const web::json::value& v);
int64_t jsonInt(const web::json::value& v, std::initializer_list<const char*> path,
                int64_t fallback = 0);
// As jsonInt, for an int: a number outside int's range reads as the fallback too.
int jsonInt32(const web::json::value& v, std::initializer_list<const char*> path, int fallback = 0);
bool jsonBool(const web::json::value& v, std::initializer_list<const char*> path,
              bool fallback = false);

}  // namespace mlmodel::core
