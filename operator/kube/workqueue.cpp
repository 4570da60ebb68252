#include "kube/workqueue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace mlmodel::kube {

using core::Duration;
using core::SteadyTime;

namespace {

// client-go's queue, delaying queue and rate-limiting queue in one: the delaying part is
// a deadline-ordered set that callers drain lazily, so the queue needs no thread of its own.
class RateLimitingQueue final : public WorkQueue {
 public:
  explicit RateLimitingQueue(WorkQueueOptions options);

  void add(const std::string& key) override;
  void addAfter(const std::string& key, Duration delay) override;
  void addRateLimited(const std::string& key) override;
  void forget(const std::string& key) override { limiter_->forget(key); }
  int numRequeues(const std::string& key) const override { return limiter_->numRequeues(key); }
  std::optional<std::string> get() override;
  std::optional<std::string> tryGet() override;
  void done(const std::string& key) override;
  std::size_t len() override;
  void shutDown() override;
  void shutDownWithDrain() override;
  bool shuttingDown() const override;

 private:
  // `readyAt` is when the key became ready, the start of its queue latency.
  void addLocked(const std::string& key, SteadyTime readyAt);
  void promoteDueLocked(SteadyTime now);
  std::string popLocked(SteadyTime now);
  SteadyTime nextDeadlineLocked() const;

  const core::Clock& clock_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<WorkQueueMetrics> metrics_;

  mutable std::mutex mu_;
  std::condition_variable ready_;  // a key was queued, a deadline moved, or shutdown
  std::condition_variable idle_;   // nothing is being processed
  std::deque<std::string> queue_;
  // Keys that need processing: queued ones, and held ones added again meanwhile.
  std::unordered_set<std::string> dirty_;
  std::unordered_map<std::string, SteadyTime> processing_;  // key -> handed out at
  std::unordered_map<std::string, SteadyTime> readyAt_;     // key -> queued at
  std::unordered_map<std::string, SteadyTime> waiting_;     // key -> deadline
  std::set<std::pair<SteadyTime, std::string>> deadlines_;  // waiting_, by deadline
  bool shuttingDown_ = false;
};

RateLimitingQueue::RateLimitingQueue(WorkQueueOptions options)
    : clock_(options.clock ? *options.clock : core::SystemClock::instance()),
      limiter_(options.rateLimiter ? std::move(options.rateLimiter)
                                   : defaultControllerRateLimiter(clock_)),
      metrics_(options.metrics ? options.metrics->forQueue(options.name) : nullptr) {
  if (!metrics_) metrics_ = std::make_unique<NoopWorkQueueMetrics>();
}

void RateLimitingQueue::add(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  if (shuttingDown_) return;
  addLocked(key, clock_.steadyNow());
}

void RateLimitingQueue::addLocked(const std::string& key, SteadyTime readyAt) {
  if (dirty_.contains(key)) return;  // already queued, or already due for a re-queue
  metrics_->added();
  dirty_.insert(key);
  readyAt_.try_emplace(key, readyAt);
  if (processing_.contains(key)) return;  // done() will queue it
  queue_.push_back(key);
  metrics_->depth(queue_.size());
  ready_.notify_one();
}

void RateLimitingQueue::addAfter(const std::string& key, Duration delay) {
  std::lock_guard<std::mutex> guard(mu_);
  if (shuttingDown_) return;
  metrics_->retried();
  const SteadyTime now = clock_.steadyNow();
  if (delay <= Duration::zero()) {
    addLocked(key, now);
    return;
  }
  const SteadyTime deadline = now + delay;
  auto [it, inserted] = waiting_.try_emplace(key, deadline);
  if (!inserted) {
    if (it->second <= deadline) return;  // the earlier deadline wins
    deadlines_.erase({it->second, key});
    it->second = deadline;
  }
  deadlines_.emplace(deadline, key);
  // A blocked get() may be waiting for a later deadline: let it recompute.
  ready_.notify_all();
}

void RateLimitingQueue::addRateLimited(const std::string& key) {
  addAfter(key, limiter_->when(key));
}

void RateLimitingQueue::promoteDueLocked(SteadyTime now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto [deadline, key] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    waiting_.erase(key);
    addLocked(key, deadline);
  }
}

SteadyTime RateLimitingQueue::nextDeadlineLocked() const {
  return deadlines_.empty() ? SteadyTime::max() : deadlines_.begin()->first;
}

std::string RateLimitingQueue::popLocked(SteadyTime now) {
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  metrics_->depth(queue_.size());
  dirty_.erase(key);
  processing_.emplace(key, now);
  if (auto it = readyAt_.find(key); it != readyAt_.end()) {
    metrics_->queueLatency(now - it->second);
    readyAt_.erase(it);
  }
  return key;
}

std::optional<std::string> RateLimitingQueue::get() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const SteadyTime now = clock_.steadyNow();
    promoteDueLocked(now);
    if (!queue_.empty()) return popLocked(now);
    if (shuttingDown_) return std::nullopt;
    clock_.waitUntil(lock, ready_, nextDeadlineLocked());
  }
}

std::optional<std::string> RateLimitingQueue::tryGet() {
  std::lock_guard<std::mutex> guard(mu_);
  const SteadyTime now = clock_.steadyNow();
  promoteDueLocked(now);
  if (queue_.empty()) return std::nullopt;
  return popLocked(now);
}

void RateLimitingQueue::done(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  const auto it = processing_.find(key);
  if (it == processing_.end()) return;  // not handed out: nothing to finish
  metrics_->workDuration(clock_.steadyNow() - it->second);
  processing_.erase(it);
  if (dirty_.contains(key)) {
    queue_.push_back(key);
    metrics_->depth(queue_.size());
    ready_.notify_one();
  }
  if (processing_.empty()) idle_.notify_all();
}

std::size_t RateLimitingQueue::len() {
  std::lock_guard<std::mutex> guard(mu_);
  promoteDueLocked(clock_.steadyNow());
  return queue_.size();
}

void RateLimitingQueue::shutDown() {
  std::lock_guard<std::mutex> guard(mu_);
  shuttingDown_ = true;
  waiting_.clear();
  deadlines_.clear();
  ready_.notify_all();
}

void RateLimitingQueue::shutDownWithDrain() {
  shutDown();
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return processing_.empty(); });
}

bool RateLimitingQueue::shuttingDown() const {
  std::lock_guard<std::mutex> guard(mu_);
  return shuttingDown_;
}

}  // namespace

std::unique_ptr<WorkQueue> makeWorkQueue(WorkQueueOptions options) {
  return std::make_unique<RateLimitingQueue>(std::move(options));
}

bool processNextItem(WorkQueue& queue, const WorkFn& fn) {
  const std::optional<std::string> key = queue.get();
  if (!key) return false;
  WorkResult result;
  try {
    result = fn(*key);
  } catch (const std::exception& e) {
    // An escaped exception would end the thread and the process; retry the key instead,
    // and say so: a key retried for ever without a word is a model stuck without a reason.
    spdlog::error("work on {} threw: {}", *key, e.what());
    result = WorkResult::retry();
  } catch (...) {
    spdlog::error("work on {} threw a non-standard exception", *key);
    result = WorkResult::retry();
  }
  switch (result.kind) {
    case WorkResult::Kind::kSuccess:
      queue.forget(*key);
      break;
    case WorkResult::Kind::kRetry:
      queue.addRateLimited(*key);
      break;
    case WorkResult::Kind::kRequeueAfter:
      queue.forget(*key);
      queue.addAfter(*key, result.after);
      break;
  }
  queue.done(*key);
  return true;
}

WorkerPool::WorkerPool(WorkQueue& queue, int workers, WorkFn fn) : queue_(queue) {
  auto shared = std::make_shared<const WorkFn>(std::move(fn));
  threads_.reserve(static_cast<std::size_t>(std::max(workers, 0)));
  for (int i = 0; i < workers; ++i) {
    threads_.emplace_back([&queue, shared] {
      while (processNextItem(queue, *shared)) {
      }
    });
  }
}

WorkerPool::~WorkerPool() {
  queue_.shutDown();
  join();
}

void WorkerPool::join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::unique_ptr<WorkerPool> runWorkers(WorkQueue& queue, int workers, WorkFn fn) {
  return std::make_unique<WorkerPool>(queue, workers, std::move(fn));
}

}  // namespace mlmodel::kube
