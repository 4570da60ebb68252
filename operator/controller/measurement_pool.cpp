#include "controller/measurement_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "analysis/provider.h"

namespace mlmodel::controller {

MeasurementPool::MeasurementPool(rollout::ProviderSource& providers,
                                 std::function<void(const std::string&)> onDone,
                                 MeasurementPoolOptions options)
    : providers_(providers),
      onDone_(std::move(onDone)),
      options_(options),
      clock_(options_.clock ? *options_.clock : core::SystemClock::instance()) {
  const int n = std::max(1, options_.threads);
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
}

MeasurementPool::~MeasurementPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::optional<std::vector<analysis::Measurement>> MeasurementPool::round(
    const rollout::RoundRequest& request) {
  std::unique_lock lock(mu_);
  expire(clock_.steadyNow());
  if (auto it = done_.find(request.id); it != done_.end()) return it->second.measurements;
  if (started_.contains(request.id)) return std::nullopt;
  if (stopping_ || queue_.size() >= options_.maxQueued) {
    if (!stopping_) ++refused_;
    // No measurement is no evidence: an Error round, never a pass.
    return rollout::errorRound(request, analysis::kReasonProviderUnavailable,
                               stopping_ ? std::string("the operator is stopping")
                                         : "too many analysis rounds waiting (" +
                                               std::to_string(options_.maxQueued) + ")");
  }
  started_.insert(request.id);
  queue_.push_back(
      {request, request.prometheus ? request.prometheus->address : std::string("(none)")});
  lock.unlock();
  cv_.notify_one();
  return std::nullopt;
}

std::optional<MeasurementPool::Job> MeasurementPool::next(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    if (stopping_) return std::nullopt;
    // The oldest round whose Prometheus has room.
    auto it = std::find_if(queue_.begin(), queue_.end(), [&](const Job& j) {
      auto t = perTarget_.find(j.target);
      return t == perTarget_.end() || t->second < options_.perPrometheus;
    });
    if (it != queue_.end()) {
      Job job = std::move(*it);
      queue_.erase(it);
      return job;
    }
    cv_.wait(lock);
  }
}

void MeasurementPool::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    auto job = next(lock);
    if (!job) return;
    ++perTarget_[job->target];
    ++running_;
    lock.unlock();
    auto measurements = rollout::measureRound(job->request, providers_);
    lock.lock();
    --running_;
    if (--perTarget_[job->target] == 0) perTarget_.erase(job->target);
    started_.erase(job->request.id);
    done_[job->request.id] = {std::move(measurements), clock_.steadyNow()};
    lock.unlock();
    cv_.notify_all();  // a Prometheus has room again; stop() may be waiting
    if (onDone_) onDone_(job->request.modelKey);
    lock.lock();
  }
}

void MeasurementPool::expire(core::SteadyTime now) {
  for (auto it = done_.begin(); it != done_.end();) {
    it = now - it->second.at > options_.keep ? done_.erase(it) : std::next(it);
  }
}

bool MeasurementPool::stop(core::SteadyTime deadline) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  queue_.clear();
  cv_.notify_all();
  while (running_ > 0 && clock_.steadyNow() < deadline) clock_.waitUntil(lock, cv_, deadline);
  return running_ == 0;
}

std::size_t MeasurementPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::uint64_t MeasurementPool::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

std::size_t MeasurementPool::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

}  // namespace mlmodel::controller
