#pragma once

#include <memory>

#include "kube/config.h"
#include "kube/rest_client.h"

namespace mlmodel::kube {

// A REST client for the API server a Config points at, over cpprestsdk.
//   auto cfg = loadConfig({});
//   if (!cfg) return cfg.error();
//   auto client = makeClient(cfg.value());
std::unique_ptr<Client> makeClient(const Config& config, ClientOptions options = {});

}  // namespace mlmodel::kube
