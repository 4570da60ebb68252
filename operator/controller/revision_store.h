#pragma once

#include <set>
#include <string>

#include "api/mlmodel.h"
#include "core/result.h"
#include "kube/rest_client.h"

namespace mlmodel::controller {

using Json = web::json::value;

// The label and name of the ControllerRevisions that keep the spec of each revision a
// model rolled out: `<model>-<templateHash>`, data {"spec": audit::revisionSpec}. Owned by
// the MLModel (garbage-collected with it) and bounded by its history: `kubectl mlmodel diff`
// compares two of them, `kubectl mlmodel rollback --to-revision` restores one.
std::string revisionName(const std::string& model, const std::string& templateHash);
Json controllerRevision(const api::MLModel& model, const std::string& templateHash,
                        const Json& revisionSpec, int64_t number);

// One revision to keep: its template hash and its spec.
struct RevisionRecord {
  std::string templateHash;
  Json spec;
};

// Writes the revisions a rollout needs: each of `records` not yet stored is created (one
// list, then a create per missing one), numbered after the newest; stored revisions whose
// hash is not in `keep` are deleted. Called when a rollout starts, never on the first
// deployment, so a new model costs no more writes. Errors are the first failed request;
// what succeeded stays.
core::Status storeRevisions(kube::Client& client, const api::MLModel& model,
                            const std::vector<RevisionRecord>& records,
                            const std::set<std::string>& keep);

}  // namespace mlmodel::controller
