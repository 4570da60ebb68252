#pragma once

#include <prometheus/metric_family.h>

#include <string>

namespace mlmodel::server {

// A family of one unlabelled gauge or counter, for collectables read when scraped.
inline prometheus::MetricFamily singleValueFamily(std::string name, std::string help,
                                                  prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  auto& m = f.metric.emplace_back();
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return f;
}

}  // namespace mlmodel::server
