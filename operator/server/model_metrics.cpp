#include "server/model_metrics.h"

#include <iterator>

namespace mlmodel::server {
namespace {

template <size_t N>
int indexOf(const char* const (&names)[N], const std::string& name) {
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<int>(i);
  }
  return -1;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType t) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = t;
  return f;
}

prometheus::ClientMetric& add(prometheus::MetricFamily& f, const std::string& ns,
                              const std::string& name) {
  auto& m = f.metric.emplace_back();
  m.label = {{"name", name}, {"namespace", ns}};
  return m;
}

}  // namespace

void ModelMetrics::model(const std::string& ns, const std::string& name, const std::string& phase,
                         int64_t readyReplicas) {
  std::lock_guard lock(mu_);
  auto& r = rows_[ns][name];
  r.phase = static_cast<int8_t>(indexOf(kPhases, phase));
  if (r.phase < 0) r.phase = 0;  // an unknown phase reads as Pending
  r.readyReplicas = static_cast<int32_t>(readyReplicas);
}

void ModelMetrics::rolloutState(const std::string& ns, const std::string& name, int canaryWeight,
                                std::optional<bool> degraded) {
  std::lock_guard lock(mu_);
  auto& r = rows_[ns][name];
  r.canaryWeight = static_cast<int16_t>(canaryWeight < 0 ? -1 : canaryWeight);
  r.degraded = static_cast<int8_t>(degraded ? (*degraded ? 1 : 0) : -1);
}

void ModelMetrics::rolloutFinished(const std::string& ns, const std::string& name,
                                   const std::string& outcome) {
  const int i = indexOf(kOutcomes, outcome);
  if (i < 0) return;
  std::lock_guard lock(mu_);
  ++rows_[ns][name].outcomes[i];
}

void ModelMetrics::forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = rows_.find(ns);
  if (it == rows_.end()) return;
  it->second.erase(name);
  if (it->second.empty()) rows_.erase(it);
}

std::vector<prometheus::MetricFamily> ModelMetrics::Collect() const {
  using prometheus::MetricType;
  auto ready = family("mlmodel_ready", "1 when the MLModel's Ready condition is True, else 0",
                      MetricType::Gauge);
  auto replicas = family("mlmodel_ready_replicas", "Ready model-server replicas of the MLModel",
                         MetricType::Gauge);
  auto phase = family("mlmodel_phase",
                      "The MLModel's current phase (Pending, Progressing, Ready, Degraded, "
                      "Failed): 1, with the phase as a label",
                      MetricType::Gauge);
  auto weight = family("mlmodel_canary_weight",
                       "Traffic percent the running canary is asked to get", MetricType::Gauge);
  auto degraded =
      family("mlmodel_degraded", "1 while continuous verification finds the stable version failing",
             MetricType::Gauge);
  auto rollouts =
      family("mlmodel_rollouts_total",
             "Finished rollouts by outcome (Promoted, RolledBack, Aborted)", MetricType::Counter);
  std::lock_guard lock(mu_);
  for (const auto& [ns, models] : rows_) {
    for (const auto& [name, r] : models) {
      if (r.phase >= 0) {
        add(ready, ns, name).gauge.value = r.phase == 2 ? 1 : 0;
        add(replicas, ns, name).gauge.value = r.readyReplicas;
        auto& p = add(phase, ns, name);
        p.label.push_back({"phase", kPhases[r.phase]});
        p.gauge.value = 1;
      }
      if (r.canaryWeight >= 0) add(weight, ns, name).gauge.value = r.canaryWeight;
      if (r.degraded >= 0) add(degraded, ns, name).gauge.value = r.degraded;
      for (size_t i = 0; i < std::size(kOutcomes); ++i) {
        if (r.outcomes[i] == 0) continue;
        auto& c = add(rollouts, ns, name);
        c.label.push_back({"outcome", kOutcomes[i]});
        c.counter.value = r.outcomes[i];
      }
    }
  }
  std::vector<prometheus::MetricFamily> out;
  for (auto* f : {&ready, &replicas, &phase, &weight, &degraded, &rollouts}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace mlmodel::server
