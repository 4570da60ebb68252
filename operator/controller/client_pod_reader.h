#pragma once

#include "controller/pod_problems.h"
#include "kube/rest_client.h"

namespace mlmodel::controller {

// PodReader over the API server: one LIST of the namespace's pods by label selector.
class ClientPodReader final : public PodReader {
 public:
  explicit ClientPodReader(kube::Client& client) : client_(client) {}
  core::Result<std::vector<web::json::value>> list(const std::string& ns,
                                                   const std::string& labelSelector) override;

 private:
  kube::Client& client_;
};

}  // namespace mlmodel::controller
