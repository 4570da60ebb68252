#pragma once

#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "controller/mlflow_versions.h"
#include "core/result.h"
#include "rollout/status.h"

namespace mlmodel::controller {

using Json = web::json::value;

// Reasons of a version MLflow has but that cannot run (beside mlflow::kReason*).
inline constexpr const char* kReasonVersionNotReady = "ModelVersionNotReady";
inline constexpr const char* kReasonNoImage = "NoImageForVersion";

// What spec.mlflow resolved to in one reconcile.
struct SourcedVersion {
  std::string image;    // what to run; "" when nothing was ever resolved
  std::string version;  // MLflow's version number
  rollout::RegistryRef ref;
  // The latest read failed: `image` is then the last version resolved (status.mlflow),
  // so an MLflow outage or a removed alias never changes what runs.
  std::optional<core::Error> error;
  std::string movedFrom;       // the alias pointed at this other version before
  Json status = Json::null();  // status.mlflow

  // The VersionResolved condition's message ("alias champion of fraud is version 7").
  std::string describe(const api::MlflowSpec& spec) const;
};

// Reads the version spec.mlflow names (through `source`, so at most spec.interval old) and
// turns it into an image: the version must be READY, and have the image tag or fit the
// template, and the image must be a valid reference. Needs spec.mlflow, admitted first
// (trust_policy.h: the address is allowed and filled in).
SourcedVersion resolveSource(const api::MLModel& model, VersionSource& source,
                             const std::string& now);

// When this model reads its alias next: spec.mlflow.interval, plus up to a tenth of it
// chosen by the model's key, so that models created together do not read together.
core::Duration nextRead(const api::MlflowSpec& spec, const std::string& key);

// How soon a read that failed is tried again while the last version keeps running: the
// interval, at most 30 s (the lookups' own error cache keeps MLflow from being hammered
// by reconciles in between).
core::Duration retryRead(const api::MlflowSpec& spec);

// The MLflow tag that writeBack sets on a version, and its value for a history entry.
std::string writeBackKey(const api::MLModel& model);
std::string writeBackValue(const rollout::HistoryEntry& e);
// What status.mlflow.reported records once `e` is written back.
std::string reportedMark(const rollout::HistoryEntry& e);

}  // namespace mlmodel::controller
