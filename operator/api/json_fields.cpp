#include "api/json_fields.h"

#include <cmath>

namespace mlmodel::api {

std::string describeType(const Json& v) {
  switch (v.type()) {
    case Json::value_type::String:
      return "a string";
    case Json::value_type::Number:
      return v.is_integer() ? "an integer" : "a number";
    case Json::value_type::Boolean:
      return "a boolean";
    case Json::value_type::Object:
      return "an object";
    case Json::value_type::Array:
      return "an array";
    case Json::value_type::Null:
      return "null";
  }
  return "a value";
}

const Json* JsonFields::find(const char* field) const {
  if (!object_.is_object() || !object_.has_field(field)) return nullptr;
  const Json& v = object_.at(field);
  return v.is_null() ? nullptr : &v;
}

core::Error JsonFields::typeError(const char* field, const char* expected) const {
  return core::Error{
      pathOf(field) + ": expected " + expected + ", got " + describeType(object_.at(field)), 0,
      "InvalidSpec"};
}

core::Result<std::optional<std::string>> JsonFields::string(const char* field) const {
  const Json* v = find(field);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return typeError(field, "a string");
  return std::optional<std::string>(v->as_string());
}

core::Result<std::optional<int64_t>> JsonFields::integer(const char* field) const {
  const Json* v = find(field);
  if (!v) return std::optional<int64_t>();
  if (!v->is_number()) return typeError(field, "an integer");
  const double d = v->as_double();
  if (!v->is_integer() && d != std::floor(d)) return typeError(field, "an integer");
  // 1e20 is a whole number but no int64: converting it would be undefined behaviour.
  if (!v->is_integer() && (d < -9.2e18 || d > 9.2e18)) {
    return typeError(field, "an integer within 64 bits");
  }
  return std::optional<int64_t>(v->is_integer() ? v->as_number().to_int64()
                                                : static_cast<int64_t>(d));
}

core::Result<std::optional<double>> JsonFields::number(const char* field) const {
  const Json* v = find(field);
  if (!v) return std::optional<double>();
  if (!v->is_number()) return typeError(field, "a number");
  return std::optional<double>(v->as_double());
}

core::Result<std::optional<bool>> JsonFields::boolean(const char* field) const {
  const Json* v = find(field);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return typeError(field, "a boolean");
  return std::optional<bool>(v->as_bool());
}

core::Result<std::optional<Json>> JsonFields::object(const char* field) const {
  const Json* v = find(field);
  if (!v) return std::optional<Json>();
  if (!v->is_object()) return typeError(field, "an object");
  return std::optional<Json>(*v);
}

core::Result<std::optional<Json>> JsonFields::array(const char* field) const {
  const Json* v = find(field);
  if (!v) return std::optional<Json>();
  if (!v->is_array()) return typeError(field, "an array");
  return std::optional<Json>(*v);
}

}  // namespace mlmodel::api
