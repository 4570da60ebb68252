#include "controller/revision_store.h"

#include <algorithm>

#include "controller/desired.h"
#include "core/json_read.h"
#include "kube/api_error.h"

namespace mlmodel::controller {
namespace {

inline constexpr const char* kHashLabel = "serving.mlops.dev/template-hash";

}  // namespace

std::string revisionName(const std::string& model, const std::string& templateHash) {
  return model + "-" + templateHash;
}

Json controllerRevision(const api::MLModel& model, const std::string& templateHash,
                        const Json& revisionSpec, int64_t number) {
  Json cr = Json::object();
  cr["apiVersion"] = Json::string("apps/v1");
  cr["kind"] = Json::string("ControllerRevision");
  Json meta = Json::object();
  meta["name"] = Json::string(revisionName(model.metadata.name, templateHash));
  meta["namespace"] = Json::string(model.metadata.ns);
  Json labels = standardLabels(model);
  // The revision's own version, not the spec's (the outgoing stable's is stored too).
  if (revisionSpec.has_string_field("version")) {
    labels["app.kubernetes.io/version"] = revisionSpec.at("version");
  }
  labels[kModelLabel] = Json::string(model.metadata.name);
  labels[kHashLabel] = Json::string(templateHash);
  meta["labels"] = labels;
  meta["ownerReferences"] = Json::array({ownerReference(model)});
  cr["metadata"] = meta;
  Json data = Json::object();
  data["spec"] = revisionSpec;
  cr["data"] = data;
  cr["revision"] = Json::number(number);
  return cr;
}

core::Status storeRevisions(kube::Client& client, const api::MLModel& model,
                            const std::vector<RevisionRecord>& records,
                            const std::set<std::string>& keep) {
  kube::ListOptions o;
  o.labelSelector =
      std::string(kModelLabel) + "=" + model.metadata.name + "," + kManagedBy + "=mlmodel-operator";
  auto stored = client.list(kube::resources::controllerRevisions, model.metadata.ns, o);
  if (!stored) return stored.error();
  std::set<std::string> have;
  int64_t newest = 0;
  std::vector<Json> mine;
  for (const auto& cr : stored->items) {
    // A model deleted and created again under the same name: its predecessor's revisions
    // await garbage collection and must not stand in for this model's.
    const Json* owners = core::jsonFind(cr, {"metadata", "ownerReferences"});
    const bool ours = owners && owners->is_array() && owners->size() > 0 &&
                      core::jsonString(owners->at(0), {"uid"}) == model.metadata.uid;
    if (!ours) {
      auto d = client.remove(kube::resources::controllerRevisions, model.metadata.ns,
                             core::jsonString(cr, {"metadata", "name"}));
      if (!d && !kube::isNotFound(d.error())) return d.error();
      continue;
    }
    mine.push_back(cr);
    have.insert(core::jsonString(cr, {"metadata", "labels", kHashLabel}));
    newest = std::max(newest, core::jsonInt(cr, {"revision"}));
  }
  for (const auto& r : records) {
    if (r.templateHash.empty() || have.count(r.templateHash)) continue;
    auto c = client.create(kube::resources::controllerRevisions, model.metadata.ns,
                           controllerRevision(model, r.templateHash, r.spec, ++newest));
    if (!c && kube::isAlreadyExists(c.error()) && !have.count(r.templateHash)) {
      // The predecessor's, deleted above but not gone yet: the next rollout stores it.
      continue;
    }
    // Another worker (or an earlier attempt whose answer was lost) made it: same content.
    if (!c && !kube::isAlreadyExists(c.error())) return c.error();
    have.insert(r.templateHash);
  }
  for (const auto& cr : mine) {
    const std::string hash = core::jsonString(cr, {"metadata", "labels", kHashLabel});
    if (keep.count(hash)) continue;
    auto d = client.remove(kube::resources::controllerRevisions, model.metadata.ns,
                           core::jsonString(cr, {"metadata", "name"}));
    if (!d && !kube::isNotFound(d.error())) return d.error();
  }
  return core::Ok{};
}

}  // namespace mlmodel::controller
