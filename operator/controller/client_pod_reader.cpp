#include "controller/client_pod_reader.h"

#include "kube/resource.h"

namespace mlmodel::controller {

core::Result<std::vector<web::json::value>> ClientPodReader::list(
    const std::string& ns, const std::string& labelSelector) {
  kube::ListOptions o;
  o.labelSelector = labelSelector;
  auto r = client_.list(kube::resources::pods, ns, o);
  if (!r) return r.error();
  return std::move(r.value().items);
}

}  // namespace mlmodel::controller
