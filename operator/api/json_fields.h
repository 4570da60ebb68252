#pragma once

#include <cpprest/json.h>

#include <optional>
#include <string>

#include "core/result.h"

namespace mlmodel::api {

using Json = web::json::value;

// Typed reads of optional object fields that name the field on a type error:
//   JsonFields f(spec, "spec");
//   auto port = f.integer("port");          // Error "spec.port: expected an integer, got a string"
//   if (!port) return port.error();
// Unknown fields are ignored; an absent or null field is nullopt.
class JsonFields {
 public:
  JsonFields(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  core::Result<std::optional<std::string>> string(const char* field) const;
  core::Result<std::optional<int64_t>> integer(const char* field) const;
  core::Result<std::optional<double>> number(const char* field) const;
  core::Result<std::optional<bool>> boolean(const char* field) const;
  // Objects and arrays are returned as they are, after checking their type.
  core::Result<std::optional<Json>> object(const char* field) const;
  core::Result<std::optional<Json>> array(const char* field) const;

  std::string pathOf(const char* field) const { return path_ + "." + field; }

 private:
  const Json* find(const char* field) const;
  core::Error typeError(const char* field, const char* expected) const;

  const Json& object_;
  const std::string path_;
};

// What a JSON value is, in words: "a string", "an integer", "an object", ...
std::string describeType(const Json& value);

}  // namespace mlmodel::api
