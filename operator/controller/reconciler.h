#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "api/rollout.h"
#include "controller/image_resolver.h"
#include "controller/pod_problems.h"
#include "controller/rollout_metrics.h"
#include "controller/trust_policy.h"
#include "core/clock.h"
#include "kube/event_recorder.h"
#include "kube/rest_client.h"
#include "kube/store.h"
#include "kube/workqueue.h"
#include "rollout/planner.h"

namespace mlmodel::controller {

using Json = web::json::value;

// What a reconcile reads and writes through. Reads come from informer caches; writes go
// to the API server. Every pointer must outlive the Reconciler.
struct ReconcilerDeps {
  kube::Client* client = nullptr;
  const kube::ObjectReader* models = nullptr;
  const kube::ObjectReader* deployments = nullptr;  // ours only (label managed-by)
  const kube::ObjectReader* services = nullptr;     // ours only
  ImageResolver* resolver = nullptr;
  kube::EventEmitter* events = nullptr;
  const core::Clock* clock = nullptr;
  rollout::ProviderSource* providers = nullptr;  // Prometheus for analysis and monitoring
  // Optional: where analysis rounds are measured (a MeasurementPool, off the workers).
  // Null: on the reconciling thread, through `providers`.
  rollout::RoundSource* rounds = nullptr;
  RolloutMetrics* metrics = nullptr;  // optional
  PodReader* pods = nullptr;  // optional: says why pods do not start (ImagePullBackOff, ...)
  // The administrator's limits on images and Prometheus addresses, and the default
  // Prometheus. Null: any registry and address, no default.
  const TrustPolicy* policy = nullptr;
};

// Turns one MLModel into its Deployments and Services and reports what it sees in status.
// A changed pod template rolls out as a canary when spec.rollout.canary asks for one
// (rollout/planner.h decides each step; this class applies what it decides).
// reconcile() is idempotent and writes nothing when everything already matches: objects
// are applied only when the cache shows a field we own differs, status only when it
// changed. Safe to call from several workers for different keys.
class Reconciler {
 public:
  explicit Reconciler(ReconcilerDeps deps) : deps_(deps) {}
  kube::WorkResult reconcile(const std::string& key);

 private:
  struct Image {
    std::string run;         // what the pod runs: image@sha256:... when pinned
    std::string digest;      // "" when not pinned
    std::string resolvedAt;  // RFC 3339
    bool fresh = false;      // resolved in this reconcile
    std::optional<core::Error> error;
  };
  struct Applied {
    bool stable = false;  // the stable Deployment was just changed
    std::optional<core::Error> error;
  };
  Image resolveImage(const api::MLModel& model, const rollout::RolloutStatus& rs);
  rollout::PlanInput planInput(const api::MLModel& model, const api::RolloutSpec& ro,
                               const api::MonitoringSpec& mon, const Image& image,
                               const rollout::RolloutStatus& rs) const;
  Applied applyPlan(const api::MLModel& model, const api::RolloutSpec& ro, const Image& image,
                    const rollout::Plan& plan);
  core::Status setRouteWeight(const api::MLModel& model, const std::string& route, int canary);
  // Applies `desired` (named `name`) unless the cache shows it in place; true when it wrote.
  core::Result<bool> ensure(const api::MLModel& model, const kube::ResourceType& type,
                            const kube::ObjectReader& cache, const std::string& name,
                            const Json& desired, const char* kind);
  // Why the stable Deployment's pods do not start, once it has not been available for
  // kPodCheckAfter (then at most every kPodCheckEvery; the last answer is kept in between),
  // and when to look again. Nothing while the Deployment is done.
  struct PodCheck {
    std::optional<PodProblem> problem;
    std::optional<core::Duration> recheck;
  };
  PodCheck checkPods(const api::MLModel& model, bool justApplied);
  Json buildStatus(const api::MLModel& model, const Image& image, const rollout::Plan* plan,
                   const Applied& applied, const std::optional<PodProblem>& pods) const;
  // warnOnStall: when the write makes the model Stalled, say why in a Warning Event too
  // (false when this reconcile already sent one).
  core::Status writeStatus(const api::MLModel& model, const Json& status, bool warnOnStall = false);
  // How long to hold a write that changes only progress counters (kProgressEvery since
  // the last write); nullopt: write now.
  std::optional<core::Duration> progressWait(const std::string& key, const Json& prev,
                                             const Json& next);
  void report(const api::MLModel& model, const rollout::Plan& plan, bool monitored);
  kube::WorkResult invalid(const Json& object, const core::Error& error);
  void event(const api::MLModel& model, kube::EventType type, const char* reason,
             const char* action, const std::string& note);

  ReconcilerDeps deps_;
  // Per model: the resourceVersion its last status write was based on (a cache still at
  // that version has not seen the write yet, and acting on it would repeat a step), and
  // when that write was made (progress counters are written at most once a kProgressEvery).
  struct LastWrite {
    std::string from;
    core::SteadyTime at{};
  };
  std::mutex writesMu_;
  std::map<std::string, LastWrite> writtenFrom_;
  struct PodWatch {
    core::SteadyTime notReadySince{};
    std::optional<core::SteadyTime> checkedAt;
    std::optional<PodProblem> last;
  };
  std::mutex podsMu_;
  std::map<std::string, PodWatch> podWatch_;
};

// A Deployment not available for this long has its pods looked at (a normal rollout is done
// by then, so a fleet rolling out costs no pod reads), and again this often while it stays so.
inline constexpr core::Duration kPodCheckAfter = std::chrono::seconds(10);
inline constexpr core::Duration kPodCheckEvery = std::chrono::seconds(30);

// A status that differs from the last one only in its counters (replicas, ready
// replicas, the messages that count them) waits until this long after the last write: a
// rollout of many pods reports its progress this often rather than once a pod, and a new
// model whose reconcile catches its Deployment half-way skips the write in between.
// Anything else (a condition turning, a phase, a step, a generation) is written at once.
inline constexpr core::Duration kProgressEvery = std::chrono::seconds(10);

}  // namespace mlmodel::controller
