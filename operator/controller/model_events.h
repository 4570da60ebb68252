#pragma once

#include <string>

#include "api/mlmodel.h"
#include "kube/event_recorder.h"

namespace mlmodel::controller {

// Events about one MLModel, through an optional emitter (none: nothing is sent).
class ModelEvents {
 public:
  explicit ModelEvents(kube::EventEmitter* emitter) : emitter_(emitter) {}
  void emit(const api::MLModel& model, kube::EventType type, const std::string& reason,
            const char* action, const std::string& note) const;

 private:
  kube::EventEmitter* emitter_;
};

}  // namespace mlmodel::controller
