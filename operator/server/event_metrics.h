#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace mlmodel::server {

// The event recorder's queue, read when scraped:
//   mlmodel_operator_events_queued          Events waiting to be sent
//   mlmodel_operator_events_dropped_total   Events dropped (queue full, or left at stop)
// A steady queue near its bound, or drops, mean Events users will not see.
class EventMetrics final : public prometheus::Collectable {
 public:
  EventMetrics(std::function<std::uint64_t()> queued, std::function<std::uint64_t()> dropped)
      : queued_(std::move(queued)), dropped_(std::move(dropped)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::function<std::uint64_t()> queued_, dropped_;
};

}  // namespace mlmodel::server
