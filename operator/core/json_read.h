#pragma once

#include <cpprest/json.h>

#include <cstdint>
#include <initializer_list>
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
int64_t jsonInt(const web::json::value& v, std::initializer_list<const char*> path,
                int64_t fallback = 0);
bool jsonBool(const web::json::value& v, std::initializer_list<const char*> path,
              bool fallback = false);

}  // namespace mlmodel::core
