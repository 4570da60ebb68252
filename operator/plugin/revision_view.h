#pragma once

#include <cpprest/json.h>

#include <map>
#include <string>

#include "core/result.h"

namespace mlmodel::plugin {

using Json = web::json::value;

// The specs the operator kept of a model's revisions (ControllerRevisions labelled with
// the model), by template hash: what `diff` compares and `rollback` restores. A revision
// without one (the only version a model ever ran, or one trimmed away) falls back to the
// image and version its history entry names.
using RevisionSpecs = std::map<std::string, Json>;

// From the items of a ControllerRevision list: label serving.mlops.dev/template-hash ->
// data.spec.
RevisionSpecs revisionSpecsOf(const std::vector<Json>& controllerRevisions);

// What changed from history revision `from` to `to` (numbered as `history` prints them):
// one line per spec field, "  spec.env[LOG].value: \"info\" -> \"debug\"". An Error names
// the revisions that exist when one is not.
core::Result<std::string> revisionDiff(const Json& model, int from, int to,
                                       const RevisionSpecs& specs);

// The merge patch that returns the model to history revision `revision`: the whole pod
// spec the revision ran (env, resources, args, ... with fields added since removed), or
// only its image and version when its spec was not kept. A model from MLflow is pinned to
// the revision's MLflow version instead (spec.mlflow.version; the alias is no longer
// followed until it is set again).
core::Result<Json> rollbackPatch(const Json& model, int revision, const RevisionSpecs& specs);

}  // namespace mlmodel::plugin
