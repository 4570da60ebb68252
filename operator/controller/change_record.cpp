#include "controller/change_record.h"

#include <algorithm>

#include "audit/attribution.h"
#include "audit/revision_spec.h"
#include "audit/spec_diff.h"

namespace mlmodel::controller {

rollout::Change changeRecord(const Json* object, const api::MLModel& model, const Json* stable,
                             const rollout::Revision& stableRevision,
                             const SourcedVersion* sourced) {
  rollout::Change c;
  if (object) {
    const audit::ChangeAuthor who = audit::whoChangedSpec(*object);
    c.by = who.manager;
    c.operation = who.operation;
    c.gitops = who.gitops;
    c.cause = audit::changeCause(*object);
  }
  if (stable && !stableRevision.image.empty()) {
    c.fields = audit::changedPaths(
        audit::revisionSpecOfDeployment(*stable, stableRevision.image, stableRevision.version),
        audit::revisionSpec(model.spec), "spec");
  }
  if (sourced) {
    // A model from MLflow names no image: when only the image and version differ, MLflow
    // made the change (an alias moved), whoever wrote the spec last.
    const bool onlyVersion =
        stable && !c.fields.empty() &&
        std::all_of(c.fields.begin(), c.fields.end(),
                    [](const std::string& f) { return f == "spec.image" || f == "spec.version"; });
    if (onlyVersion || !sourced->movedFrom.empty()) {
      c.by = "mlflow";
      c.operation.clear();
    }
    const std::string registry =
        "MLflow " + sourced->ref.model + " version " + sourced->ref.version +
        (sourced->ref.alias.empty() ? "" : " (alias " + sourced->ref.alias + ")") +
        (sourced->ref.runId.empty() ? "" : ", run " + sourced->ref.runId);
    // A change-cause left on the object from an earlier edit does not explain an alias move.
    if (c.cause.empty() || c.by == "mlflow") c.cause = registry;
  }
  return c;
}

}  // namespace mlmodel::controller
