#include "kube/metrics.h"

#include <prometheus/text_serializer.h>

#include <array>
#include <chrono>

namespace mlmodel::kube {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

struct Metrics::Families {
  explicit Families(prometheus::Registry& r)
      : requests(prometheus::BuildCounter()
                     .Name("rest_client_requests_total")
                     .Help("Number of HTTP requests, partitioned by status code, method, and host.")
                     .Register(r)),
        requestDuration(prometheus::BuildHistogram()
                            .Name("rest_client_request_duration_seconds")
                            .Help("Request latency in seconds. Broken down by verb, and host.")
                            .Register(r)),
        depth(prometheus::BuildGauge()
                  .Name("workqueue_depth")
                  .Help("Current depth of workqueue")
                  .Register(r)),
        adds(prometheus::BuildCounter()
                 .Name("workqueue_adds_total")
                 .Help("Total number of adds handled by workqueue")
                 .Register(r)),
        queueDuration(prometheus::BuildHistogram()
                          .Name("workqueue_queue_duration_seconds")
                          .Help("How long in seconds an item stays in workqueue before being "
                                "requested.")
                          .Register(r)),
        workDuration(prometheus::BuildHistogram()
                         .Name("workqueue_work_duration_seconds")
                         .Help("How long in seconds processing an item from workqueue takes.")
                         .Register(r)),
        retries(prometheus::BuildCounter()
                    .Name("workqueue_retries_total")
                    .Help("Total number of retries handled by workqueue")
                    .Register(r)),
        leader(prometheus::BuildGauge()
                   .Name("leader_election_master_status")
                   .Help("Gauge of if the reporting system is master of the relevant lease, 0 "
                         "indicates backup, 1 indicates master. 'name' is the string used to "
                         "identify the lease.")
                   .Register(r)) {}

  Family<Counter>& requests;
  Family<Histogram>& requestDuration;
  Family<Gauge>& depth;
  Family<Counter>& adds;
  Family<Histogram>& queueDuration;
  Family<Histogram>& workDuration;
  Family<Counter>& retries;
  Family<Gauge>& leader;
};

namespace {

// client-go's rest_client_request_duration_seconds buckets.
const Histogram::BucketBoundaries& requestBuckets() {
  static const Histogram::BucketBoundaries b{0.005, 0.025, 0.1, 0.25, 0.5,  1.0,
                                             2.0,   4.0,   8.0, 15.0, 30.0, 60.0};
  return b;
}

// client-go's workqueue buckets: 10ns to 10s, x10 each.
const Histogram::BucketBoundaries& queueBuckets() {
  static const Histogram::BucketBoundaries b{1e-8, 1e-7, 1e-6, 1e-5, 1e-4,
                                             1e-3, 1e-2, 1e-1, 1.0,  10.0};
  return b;
}

double seconds(core::Duration d) { return std::chrono::duration<double>(d).count(); }

// Label values come from a closed set, so a buggy caller cannot grow the series forever.
std::string methodLabel(const std::string& method) {
  static const std::array<const char*, 8> known{"GET",    "POST",  "PUT",  "PATCH",
                                                "DELETE", "WATCH", "HEAD", "OPTIONS"};
  for (const char* m : known) {
    if (method == m) return m;
  }
  return "other";
}

std::string codeLabel(int code) {
  if (code < 100 || code > 599) return "<error>";  // 0: the request never got an answer
  return std::to_string(code);
}

class PrometheusRequestObserver final : public RequestObserver {
 public:
  PrometheusRequestObserver(std::shared_ptr<prometheus::Registry> registry,
                            std::shared_ptr<Metrics::Families> families, std::string host)
      : registry_(std::move(registry)), families_(std::move(families)), host_(std::move(host)) {}

  void observe(const std::string& method, int code, core::Duration latency) override {
    const std::string verb = methodLabel(method);
    families_->requests.Add({{"code", codeLabel(code)}, {"method", verb}, {"host", host_}})
        .Increment();
    // The client reports no latency for a watch, which stays open for minutes anyway.
    if (verb == "WATCH") return;
    families_->requestDuration.Add({{"verb", verb}, {"host", host_}}, requestBuckets())
        .Observe(seconds(latency));
  }

 private:
  std::shared_ptr<prometheus::Registry> registry_;  // keeps the families alive
  std::shared_ptr<Metrics::Families> families_;
  std::string host_;
};

// The series of one queue, looked up once: the callbacks run under the queue's lock and
// then cost only an atomic add (or a histogram's short lock).
class PrometheusWorkQueueMetrics final : public WorkQueueMetrics {
 public:
  PrometheusWorkQueueMetrics(std::shared_ptr<prometheus::Registry> registry, Metrics::Families& f,
                             const prometheus::Labels& labels)
      : registry_(std::move(registry)),
        depth_(f.depth.Add(labels)),
        adds_(f.adds.Add(labels)),
        queueDuration_(f.queueDuration.Add(labels, queueBuckets())),
        workDuration_(f.workDuration.Add(labels, queueBuckets())),
        retries_(f.retries.Add(labels)) {}

  void added() override { adds_.Increment(); }
  void depth(std::size_t n) override { depth_.Set(static_cast<double>(n)); }
  void queueLatency(core::Duration d) override { queueDuration_.Observe(seconds(d)); }
  void workDuration(core::Duration d) override { workDuration_.Observe(seconds(d)); }
  void retried() override { retries_.Increment(); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;  // keeps the series alive
  Gauge& depth_;
  Counter& adds_;
  Histogram& queueDuration_;
  Histogram& workDuration_;
  Counter& retries_;
};

}  // namespace

Metrics::Metrics() : Metrics(std::make_shared<prometheus::Registry>()) {}

Metrics::Metrics(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)), families_(std::make_shared<Families>(*registry_)) {}

std::shared_ptr<RequestObserver> Metrics::requestObserver(std::string host) {
  return std::make_shared<PrometheusRequestObserver>(registry_, families_, std::move(host));
}

std::unique_ptr<WorkQueueMetrics> Metrics::forQueue(std::string_view name) {
  return std::make_unique<PrometheusWorkQueueMetrics>(
      registry_, *families_, prometheus::Labels{{"name", std::string(name)}});
}

void Metrics::setLeader(const std::string& name, bool leader) {
  families_->leader.Add({{"name", name}}).Set(leader ? 1.0 : 0.0);
}

std::string Metrics::serialize() const { return serializeText(*registry_); }

std::string serializeText(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace mlmodel::kube
