#include "kube/resource.h"

#include "core/encoding.h"

namespace mlmodel::kube {

std::string urlEncode(const std::string& value) { return core::urlEncode(value); }

std::string collectionPath(const ResourceType& type, const std::string& ns) {
  std::string path =
      type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  if (type.namespaced && !ns.empty()) path += "/namespaces/" + ns;
  return path + "/" + type.plural;
}

std::string objectPath(const ResourceType& type, const std::string& ns, const std::string& name,
                       const std::string& subresource) {
  std::string path = collectionPath(type, ns) + "/" + name;
  if (!subresource.empty()) path += "/" + subresource;
  return path;
}

}  // namespace mlmodel::kube
