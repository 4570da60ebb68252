#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "rollout/planner.h"

namespace mlmodel::controller {

struct MeasurementPoolOptions {
  int threads = 4;               // rounds measured at once, over every Prometheus
  int perPrometheus = 2;         // rounds at once against one Prometheus (by URL)
  std::size_t maxQueued = 1024;  // rounds waiting; beyond, a round is an Error at once
  // How long a finished round is kept for the reconcile that asked for it (its model is
  // queued at once; a reconcile that fails to store the round asks again within this).
  core::Duration keep = std::chrono::minutes(2);
  const core::Clock* clock = nullptr;  // SystemClock when null
};

// Analysis rounds measured on threads of their own, so that a reconcile never waits on
// Prometheus: round() starts a round the first time its id is asked for and answers
// nullopt until it is in; `onDone(modelKey)` then queues the model, whose next reconcile
// gets the measurements. Bounded: `threads` rounds at once, `perPrometheus` of them against
// one Prometheus (a stalled one holds only its own share), `maxQueued` waiting.
class MeasurementPool final : public rollout::RoundSource {
 public:
  MeasurementPool(rollout::ProviderSource& providers,
                  std::function<void(const std::string&)> onDone,
                  MeasurementPoolOptions options = {});
  ~MeasurementPool() override;  // stop(), then joins (a query in flight ends at its timeout)
  MeasurementPool(const MeasurementPool&) = delete;
  MeasurementPool& operator=(const MeasurementPool&) = delete;

  std::optional<std::vector<analysis::Measurement>> round(
      const rollout::RoundRequest& request) override;

  // Takes no more rounds; true once none is being measured, false at `deadline`.
  bool stop(core::SteadyTime deadline);

  std::size_t queued() const;
  std::size_t running() const;
  std::uint64_t refused() const;  // rounds answered with an Error because the queue was full

 private:
  struct Job {
    rollout::RoundRequest request;
    std::string target;  // the Prometheus it queries, for the per-Prometheus limit
  };
  struct Done {
    std::vector<analysis::Measurement> measurements;
    core::SteadyTime at;
  };

  void work();
  std::optional<Job> next(std::unique_lock<std::mutex>& lock);  // waits; nullopt: stopping
  void expire(core::SteadyTime now);

  rollout::ProviderSource& providers_;
  const std::function<void(const std::string&)> onDone_;
  const MeasurementPoolOptions options_;
  const core::Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Job> queue_;                // in arrival order
  std::set<std::string> started_;         // ids queued or running
  std::map<std::string, Done> done_;      // finished, until taken or expired
  std::map<std::string, int> perTarget_;  // rounds running against each Prometheus
  std::size_t running_ = 0;
  std::uint64_t refused_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace mlmodel::controller
