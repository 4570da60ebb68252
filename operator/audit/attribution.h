#pragma once

#include <cpprest/json.h>

#include <string>

namespace mlmodel::audit {

using Json = web::json::value;

// Who last changed an MLModel's spec, as the API server recorded it. Every field is ""
// when unknown.
struct ChangeAuthor {
  std::string manager;    // the field manager as recorded: "kubectl-edit", "helm", ...
  std::string operation;  // "Apply" (server-side apply) or "Update" (any other write)
  std::string time;       // RFC 3339, as recorded
  // The GitOps source the object's labels or annotations name, whoever the manager is:
  // "flux:Kustomization NAMESPACE/NAME", "flux:HelmRelease NAMESPACE/NAME" or
  // "argocd:Application APP".
  std::string gitops;
};

// From metadata.managedFields of an object as the API server returns it (informers drop
// managedFields: read the object itself). The latest entry that owns any spec field; on
// equal times (they have whole seconds) the later entry in the list. Writes to a
// subresource (status, scale) are not spec changes. Malformed fields read as absent.
ChangeAuthor whoChangedSpec(const Json& object);

// The kubernetes.io/change-cause annotation, trimmed and cut to at most 256 bytes on a
// UTF-8 character boundary; "" when absent.
std::string changeCause(const Json& object);

}  // namespace mlmodel::audit
