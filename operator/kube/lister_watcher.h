#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kube/rest_client.h"

namespace mlmodel::kube {

// What a reflector needs from the API server: a consistent list, then a watch from the
// list's resourceVersion. Fakes implement it in unit tests; ClientListerWatcher is the real one.
class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  // Items go to `onItem` as they arrive (ObjectList::items stays empty).
  virtual core::Result<ObjectList> list(const std::function<void(Json&&)>& onItem) = 0;
  virtual core::Result<std::unique_ptr<WatchStream>> watch(const std::string& resourceVersion,
                                                           int timeoutSeconds) = 0;
};

// Lists and watches one resource type through a Client, optionally in one namespace and
// narrowed by label and field selectors. `prune` names fields of each object that are
// never read ("metadata.managedFields"): they are checked but not decoded.
class ClientListerWatcher final : public ListerWatcher {
 public:
  ClientListerWatcher(Client& client, ResourceType type, std::string ns = "",
                      std::string labelSelector = "", std::string fieldSelector = "",
                      const std::vector<std::string>& prune = {})
      : client_(client),
        type_(std::move(type)),
        ns_(std::move(ns)),
        labelSelector_(std::move(labelSelector)),
        fieldSelector_(std::move(fieldSelector)),
        listPrune_(prune, "items.*"),
        watchPrune_(prune, "object") {}

  core::Result<ObjectList> list(const std::function<void(Json&&)>& onItem) override {
    ListOptions o;
    o.onItem = onItem;
    o.labelSelector = labelSelector_;
    o.fieldSelector = fieldSelector_;
    o.prune = &listPrune_;
    return client_.list(type_, ns_, o);
  }

  core::Result<std::unique_ptr<WatchStream>> watch(const std::string& resourceVersion,
                                                   int timeoutSeconds) override {
    WatchOptions o;
    o.resourceVersion = resourceVersion;
    o.labelSelector = labelSelector_;
    o.fieldSelector = fieldSelector_;
    o.timeoutSeconds = timeoutSeconds;
    o.prune = &watchPrune_;
    return client_.watch(type_, ns_, o);
  }

 private:
  Client& client_;
  const ResourceType type_;
  const std::string ns_;
  const std::string labelSelector_;
  const std::string fieldSelector_;
  const core::JsonPrune listPrune_, watchPrune_;
};

}  // namespace mlmodel::kube
