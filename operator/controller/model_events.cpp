#include "controller/model_events.h"

namespace mlmodel::controller {

void ModelEvents::emit(const api::MLModel& model, kube::EventType type, const std::string& reason,
                       const char* action, const std::string& note) const {
  if (!emitter_) return;
  kube::ObjectReference r;
  r.apiVersion = api::kApiVersion;
  r.kind = api::kKind;
  r.ns = model.metadata.ns;
  r.name = model.metadata.name;
  r.uid = model.metadata.uid;
  r.resourceVersion = model.metadata.resourceVersion;
  emitter_->emit(r, type, reason, action, note);
}

}  // namespace mlmodel::controller
