#pragma once

#include <cpprest/json.h>

#include <string>

#include "core/result.h"

namespace mlmodel::plugin {

using Json = web::json::value;

// What `kubectl mlmodel` shows and decides, from an MLModel as the API server returns it.
// Pure functions, so they are tested without a cluster.

// The rollout in words: phase, stable, the canary's step and weights, the analysis counts
// and latest values, and the conditions that are not plain good news.
std::string describeStatus(const Json& model);

// status.history as a table, oldest first, numbered from 1 (the revision that
// `rollback --to-revision N` and `diff` take), with who started each rollout, the spec
// fields it changed and why.
std::string historyTable(const Json& model);

// Where a model stands for a pipeline waiting on it.
enum class WaitState {
  Pending,  // still rolling out (or the spec's generation is not observed yet)
  Done,     // the spec's version is promoted and Ready
  Failed,   // Stalled (rolled back, aborted, invalid, an image that cannot be resolved)
};
struct WaitVerdict {
  WaitState state = WaitState::Pending;
  std::string message;
};
WaitVerdict judgeWait(const Json& model);

// The running canary's version, or "" when none runs.
std::string canaryVersion(const Json& model);

}  // namespace mlmodel::plugin
