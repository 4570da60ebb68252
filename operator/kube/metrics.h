#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "kube/rest_client.h"
#include "kube/workqueue.h"

namespace mlmodel::kube {

// The client runtime's own metrics, under the names client-go uses so that existing
// dashboards and alerts work:
//   rest_client_requests_total{code,method,host}        counter
//   rest_client_request_duration_seconds{verb,host}     histogram
//   workqueue_depth{name}                               gauge
//   workqueue_adds_total{name}                          counter
//   workqueue_queue_duration_seconds{name}              histogram
//   workqueue_work_duration_seconds{name}               histogram
//   workqueue_retries_total{name}                       counter
//   leader_election_master_status{name}                 gauge (1 = leading)
//
//   Metrics metrics;
//   ClientOptions opts{.observer = metrics.requestObserver("10.0.0.1:6443")};
//   auto queue = makeWorkQueue({.name = "mlmodel", .metrics = &metrics});
//   metrics.setLeader("mlmodel-operator", true);
//   auto text = metrics.serialize();  // served by server/metrics_server.h
//
// Thread-safe. Everything this hands out (observers, queue metrics) keeps the registry
// alive, so it may outlive the Metrics object.
class Metrics final : public WorkQueueMetricsProvider {
 public:
  // A fresh registry.
  Metrics();
  // Adds the families to `registry`, which may hold other metrics too.
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // An observer for a Client talking to `host` (host[:port], the host label).
  std::shared_ptr<RequestObserver> requestObserver(std::string host);

  // WorkQueueMetricsProvider: the series of queue `name`. Two queues of one name share
  // their series.
  std::unique_ptr<WorkQueueMetrics> forQueue(std::string_view name) override;

  // leader_election_master_status{name}: 1 while this replica holds lease `name`.
  void setLeader(const std::string& name, bool leader);

  // The registry in the Prometheus text exposition format.
  std::string serialize() const;

  // The families, shared with what this hands out.
  struct Families;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Families> families_;
};

// The whole registry in the Prometheus text exposition format.
std::string serializeText(const prometheus::Registry& registry);

}  // namespace mlmodel::kube
