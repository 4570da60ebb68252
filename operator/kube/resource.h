#pragma once

#include <string>

namespace mlmodel::kube {

// Which REST collection a call addresses: group/version/plural, and whether it lives in
// namespaces. Kept explicit (no discovery) because the operator knows every type it uses.
struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  bool namespaced = true;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
};

namespace resources {
inline const ResourceType namespaces{"", "v1", "namespaces", false};
inline const ResourceType configMaps{"", "v1", "configmaps", true};
inline const ResourceType secrets{"", "v1", "secrets", true};
inline const ResourceType services{"", "v1", "services", true};
inline const ResourceType pods{"", "v1", "pods", true};
inline const ResourceType podTemplates{"", "v1", "podtemplates", true};
inline const ResourceType serviceAccounts{"", "v1", "serviceaccounts", true};
inline const ResourceType deployments{"apps", "v1", "deployments", true};
inline const ResourceType controllerRevisions{"apps", "v1", "controllerrevisions", true};
inline const ResourceType leases{"coordination.k8s.io", "v1", "leases", true};
inline const ResourceType events{"events.k8s.io", "v1", "events", true};
inline const ResourceType roleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", true};
inline const ResourceType selfSubjectReviews{"authentication.k8s.io", "v1", "selfsubjectreviews",
                                             false};
inline const ResourceType customResourceDefinitions{"apiextensions.k8s.io", "v1",
                                                    "customresourcedefinitions", false};
}  // namespace resources

// Percent-encodes a query parameter value.
std::string urlEncode(const std::string& value);

// "/api/v1/namespaces/ns/pods" or "/apis/apps/v1/deployments" (ns empty: all namespaces).
std::string collectionPath(const ResourceType& type, const std::string& ns);

// The path of one object, optionally of its subresource ("status", "scale").
std::string objectPath(const ResourceType& type, const std::string& ns, const std::string& name,
                       const std::string& subresource = "");

}  // namespace mlmodel::kube
