#pragma once

#include <optional>
#include <string>

#include "api/mlmodel.h"
#include "api/rollout.h"
#include "controller/applier.h"
#include "controller/deployment_state.h"
#include "controller/image_pinning.h"
#include "controller/image_resolver.h"
#include "controller/model_events.h"
#include "controller/model_source.h"
#include "controller/pod_problems.h"
#include "controller/pod_watch.h"
#include "controller/rollout_metrics.h"
#include "controller/status_writer.h"
#include "controller/traffic_router.h"
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
  // Optional: MLflow, for models with spec.mlflow (null: such models are refused).
  VersionSource* versions = nullptr;
};

// Turns one MLModel into its Deployments and Services and reports what it sees in status.
// A changed pod template rolls out as a canary when spec.rollout.canary asks for one.
// One reconcile is a flat sequence of parts, each with one job:
//   decode and admit the spec (api/, trust_policy.h)  ->  pin the image (image_pinning.h)
//   -> plan (rollout/planner.h, a pure function)  ->  apply (applier.h, traffic_router.h)
//   -> build the status (model_status.h, pure)  ->  write it (status_writer.h).
// reconcile() is idempotent and writes nothing when everything already matches: objects
// are applied only when the cache shows a field we own differs, status only when it
// changed. Safe to call from several workers for different keys.
class Reconciler {
 public:
  explicit Reconciler(ReconcilerDeps deps);
  kube::WorkResult reconcile(const std::string& key);

 private:
  // Each owned Deployment, read from the cache once per reconcile.
  struct Observed {
    DeploymentState stable;
    DeploymentState canary;
  };
  struct Applied {
    bool stable = false;  // the stable Deployment was just changed
    std::optional<core::Error> error;
  };
  rollout::PlanInput planInput(const Json& object, const api::MLModel& model,
                               const api::RolloutSpec& ro, const api::MonitoringSpec& mon,
                               const PinnedImage& image, const rollout::RolloutStatus& rs,
                               const Observed& seen, const SourcedVersion* sourced) const;
  Applied applyPlan(const api::MLModel& model, const api::RolloutSpec& ro, const PinnedImage& image,
                    const rollout::Plan& plan, const Observed& seen);
  void report(const api::MLModel& model, const rollout::Plan& plan, bool monitored);
  // A spec that cannot be acted on: Stalled with `error`'s reason, and no retry (the next
  // edit enqueues the model again).
  kube::WorkResult refuse(const Json& object, const core::Error& error);
  // A refusal after spec.mlflow resolved: worded for the MLflow version, and read again on
  // its interval (MLflow may move to a version that can run).
  kube::WorkResult refuseSourced(const Json& object, const api::MLModel& model,
                                 const std::optional<SourcedVersion>& sourced, core::Error error);
  // spec.mlflow resolved to nothing that can run: say why, apply nothing, retry.
  kube::WorkResult unresolved(const api::MLModel& model, const core::Error& error);
  // Reads spec.mlflow's version into the model's image and version; says when the alias
  // moved or the read failed.
  SourcedVersion source(api::MLModel& model);
  // A rollout started: keeps the spec of the target and of the outgoing stable revision
  // in ControllerRevisions (revision_store.h), and drops those history no longer names.
  void recordRevisions(const api::MLModel& model, const rollout::RolloutStatus& rs,
                       const rollout::Plan& plan, const rollout::Revision& target,
                       const Observed& seen);
  // spec.mlflow.writeBack: tags the version of the newest history entry with its outcome,
  // once (status.mlflow.reported remembers it).
  void writeBack(const api::MLModel& model, const rollout::RolloutStatus& rs,
                 SourcedVersion& sourced);

  ReconcilerDeps deps_;
  ModelEvents events_;
  StatusWriter status_;
  Applier applier_;
  TrafficRouter router_;
  PodWatch pods_;
};

}  // namespace mlmodel::controller
