#pragma once

#include <string>

namespace mlmodel::server {

// The process-wide logger on stderr: "text" for people, "json" (one object per line, the
// message escaped) for log pipelines. `level`: debug, info, warn or error.
void setupLogging(const std::string& format, const std::string& level);

// `s` as the inside of a JSON string.
std::string jsonEscape(const std::string& s);

}  // namespace mlmodel::server
