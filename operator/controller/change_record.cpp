#include "controller/change_record.h"

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
  if (sourced && !sourced->movedFrom.empty()) {
    // The spec did not change: the registry did.
    c.by = "mlflow";
    c.operation.clear();
  }
  if (sourced && c.cause.empty()) {
    c.cause = "MLflow " + sourced->ref.model + " version " + sourced->ref.version +
              (sourced->ref.alias.empty() ? "" : " (alias " + sourced->ref.alias + ")") +
              (sourced->ref.runId.empty() ? "" : ", run " + sourced->ref.runId);
  }
  if (stable && !stableRevision.image.empty()) {
    c.fields = audit::changedPaths(
        audit::revisionSpecOfDeployment(*stable, stableRevision.image, stableRevision.version),
        audit::revisionSpec(model.spec), "spec");
  }
  return c;
}

}  // namespace mlmodel::controller
