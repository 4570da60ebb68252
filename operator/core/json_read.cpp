#include "core/json_read.h"

#include <limits>

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

std::optional<int64_t> jsonInteger(const web::json::value& v) {
  if (!v.is_number()) return std::nullopt;
  const auto& n = v.as_number();
  if (n.is_int64()) return n.to_int64();
  if (n.is_integral()) return std::nullopt;  // a uint64 beyond int64
  const double d = v.as_double();
  // 2^63 is exact as a double; NaN fails both comparisons.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return std::nullopt;
  return static_cast<int64_t>(d);
}

int64_t jsonInt(const web::json::value& v, std::initializer_list<const char*> path,
                int64_t fallback) {
  const auto* f = jsonFind(v, path);
  return f ? jsonInteger(*f).value_or(fallback) : fallback;
}

int jsonInt32(const web::json::value& v, std::initializer_list<const char*> path, int fallback) {
  const int64_t n = jsonInt(v, path, int64_t{std::numeric_limits<int>::max()} + 1);
  return n >= std::numeric_limits<int>::min() && n <= std::numeric_limits<int>::max()
             ? static_cast<int>(n)
             : fallback;
}

bool jsonBool(const web::json::value& v, std::initializer_list<const char*> path, bool fallback) {
  const auto* f = jsonFind(v, path);
  return f && f->is_boolean() ? f->as_bool() : fallback;
}

}  // namespace mlmodel::core
