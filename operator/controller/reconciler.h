#pragma once

#include <string>

#include "api/mlmodel.h"
#include "controller/image_resolver.h"
#include "core/clock.h"
#include "kube/event_recorder.h"
#include "kube/rest_client.h"
#include "kube/store.h"
#include "kube/workqueue.h"

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
};

// Turns one MLModel into its Deployment and Service and reports what it sees in status.
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
  Image resolveImage(const api::MLModel& model);
  // Applies `desired` unless the cache shows it in place; true when it wrote.
  core::Result<bool> ensure(const api::MLModel& model, const kube::ResourceType& type,
                            const kube::ObjectReader& cache, const Json& desired, const char* kind);
  // `applied`: the Deployment was just changed, so the cached one is out of date.
  Json buildStatus(const api::MLModel& model, const Image& image, const kube::ObjectPtr& dep,
                   bool applied, const std::optional<core::Error>& applyError) const;
  core::Status writeStatus(const api::MLModel& model, const Json& status);
  kube::WorkResult invalid(const Json& object, const core::Error& error);
  void event(const api::MLModel& model, kube::EventType type, const char* reason,
             const char* action, const std::string& note);

  ReconcilerDeps deps_;
};

}  // namespace mlmodel::controller
