#pragma once

// What the fuzz targets share: the input as text or as a JSON value, and a check that
// stops the run (libFuzzer then saves the input) when an invariant does not hold.

#include <cpprest/json.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <system_error>

namespace mlmodel::fuzz {

inline std::string text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The JSON the input holds, or nullopt. The targets fuzz our decoders, which all start at
// a parsed value; cpprest's parser is still run on every input, so a crash in it shows.
inline std::optional<web::json::value> json(const uint8_t* data, size_t size) {
  std::error_code ec;
  auto value = web::json::value::parse(text(data, size), ec);
  if (ec) return std::nullopt;
  return value;
}

// An invariant of the code under test; a failure aborts, which libFuzzer reports as a crash.
inline void check(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: invariant failed: %s\n", what);
  std::abort();
}

}  // namespace mlmodel::fuzz
