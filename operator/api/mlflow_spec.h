#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "api/json_fields.h"
#include "core/result.h"

namespace mlmodel::api {

// The MLflow version tag that holds a version's image when spec.mlflow names no template.
inline constexpr const char* kDefaultImageTag = "image";
// What spec.mlflow.imageTemplate replaces with the version number.
inline constexpr const char* kVersionPlaceholder = "{{version}}";

// spec.mlflow: the model's versions come from an MLflow registered model, by alias (the
// operator follows it as it moves) or by a fixed version. A version becomes an image by
// its `imageTag` tag or by `imageTemplate`.
struct MlflowSpec {
  std::string address;  // "" for the operator's default (--mlflow-default-address)
  std::string model;
  std::string alias;    // exactly one of alias and version
  std::string version;  // MLflow's version number, "7"
  std::string imageTag = kDefaultImageTag;
  std::string imageTemplate;  // e.g. registry.example/models/fraud:{{version}}
  std::string authSecret;     // Secret with `token`, or `username` and `password`
  std::string caSecret;       // Secret with `ca.crt`
  std::chrono::milliseconds interval{std::chrono::minutes(1)};  // how often the alias is read
  bool writeBack = false;  // tag each version with its rollout's outcome

  // The image of MLflow version `version`: the template with the version in it, or "" when
  // the image comes from a tag.
  std::string templateImage(const std::string& v) const;
  // "alias champion" or "version 7", for messages.
  std::string selector() const;
};

// spec.mlflow of a spec object; nullopt when absent. Errors name the field (InvalidSpec).
core::Result<std::optional<MlflowSpec>> decodeMlflow(const JsonFields& spec);

}  // namespace mlmodel::api
