#include "core/json_read.h"

namespace mlmodel::core {

const web::json::value* jsonFind(const web::json::value& v,
                                 std::initializer_list<const char*> path) {
  const web::json::value* cur = &v;
  for (const char* p : path) {
    if (!cur->is_object()) return nullptr;
    const auto& obj = cur->as_object();
    auto it = obj.find(p);
    if (it == obj.end()) return nullptr;
    cur = &it->second;
  }
  return cur;
}

std::string jsonString(const web::json::value& v, std::initializer_list<const char*> path,
                       const std::string& fallback) {
  const auto* f = jsonFind(v, path);
  return f && f->is_string() ? f->as_string() : fallback;
}

int64_t jsonInt(const web::json::value& v, std::initializer_list<const char*> path,
                int64_t fallback) {
  const auto* f = jsonFind(v, path);
  return f && f->is_number() ? f->as_number().to_int64() : fallback;
}

bool jsonBool(const web::json::value& v, std::initializer_list<const char*> path, bool fallback) {
  const auto* f = jsonFind(v, path);
  return f && f->is_boolean() ? f->as_bool() : fallback;
}

}  // namespace mlmodel::core
