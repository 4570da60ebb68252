#pragma once

#include <optional>
#include <string>

namespace mlmodel::core {

// An http(s) service address a spec names (Prometheus, MLflow), split for a transport:
// "https://mlflow.example/team-a/" -> {"https://mlflow.example", "/team-a"}.
struct BaseUrl {
  std::string base;    // scheme://authority, the scheme lower-cased
  std::string prefix;  // "" or "/path" without a trailing slash
};

// nullopt unless `address` is http or https with a host, and has no credentials, query,
// fragment or whitespace.
std::optional<BaseUrl> splitBaseUrl(const std::string& address);

}  // namespace mlmodel::core
