#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "controller/model_events.h"
#include "core/clock.h"
#include "core/result.h"
#include "kube/rest_client.h"

namespace mlmodel::controller {

using Json = web::json::value;

// A status that differs from the last one only in its counters (replicas, ready
// replicas, the messages that count them) waits until this long after the last write: a
// rollout of many pods reports its progress this often rather than once a pod, and a new
// model whose reconcile catches its Deployment half-way skips the write in between.
// Anything else (a condition turning, a phase, a step, a generation) is written at once.
inline constexpr core::Duration kProgressEvery = std::chrono::seconds(10);

// Writes models' status and remembers, per model, what each write was based on. Safe to
// call from several workers for different models.
class StatusWriter {
 public:
  StatusWriter(kube::Client& client, const ModelEvents& events, const core::Clock& clock)
      : client_(client), events_(events), clock_(clock) {}

  // Writes `status` unless the model already holds it: a merge patch of the whole status,
  // conditional on the model's resourceVersion (409 when it changed since it was read).
  // Then a ModelReady Event when Ready turned True, and with warnOnStall a Warning Event
  // when the model became Stalled (or Stalled for another reason).
  core::Status write(const api::MLModel& model, const Json& status, bool warnOnStall);
  // True while the cache still shows the model at the version our last write was based
  // on: acting on it would repeat what that write recorded.
  bool ownWritePending(const std::string& key, const std::string& resourceVersion);
  // How long to hold a write that changes only progress counters (kProgressEvery since
  // the last write); nullopt: write now.
  std::optional<core::Duration> progressWait(const std::string& key, const Json& prev,
                                             const Json& next);
  void forget(const std::string& key);

 private:
  struct LastWrite {
    std::string from;  // the resourceVersion it was based on
    core::SteadyTime at{};
  };
  kube::Client& client_;
  const ModelEvents& events_;
  const core::Clock& clock_;
  std::mutex mu_;
  std::map<std::string, LastWrite> last_;
};

}  // namespace mlmodel::controller
