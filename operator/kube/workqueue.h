#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "kube/rate_limiter.h"

namespace mlmodel::kube {

// Observes one queue, for export as workqueue_* metrics labelled by the queue's name.
// Called with the queue's lock held: keep implementations cheap and never call back
// into the queue.
class WorkQueueMetrics {
 public:
  virtual ~WorkQueueMetrics() = default;
  virtual void added() = 0;                         // workqueue_adds_total
  virtual void depth(std::size_t n) = 0;            // workqueue_depth
  virtual void queueLatency(core::Duration d) = 0;  // add to get: workqueue_queue_duration_seconds
  virtual void workDuration(core::Duration d) = 0;  // get to done: workqueue_work_duration_seconds
  virtual void retried() = 0;                       // workqueue_retries_total
};

// Makes the metrics of a named queue (a prometheus implementation binds the name label).
class WorkQueueMetricsProvider {
 public:
  virtual ~WorkQueueMetricsProvider() = default;
  virtual std::unique_ptr<WorkQueueMetrics> forQueue(std::string_view name) = 0;
};

class NoopWorkQueueMetrics final : public WorkQueueMetrics {
 public:
  void added() override {}
  void depth(std::size_t) override {}
  void queueLatency(core::Duration) override {}
  void workDuration(core::Duration) override {}
  void retried() override {}
};

// A rate-limited, delaying work queue of object keys ("namespace/name") with client-go's
// guarantees: a key is queued at most once, and never handed to two workers at once.
// A key added while a worker holds it is marked dirty and queued again by done().
//   auto queue = makeWorkQueue({.name = "mlmodel", .clock = &clock});
//   queue->add("default/fraud");
//   while (auto key = queue->get()) {      // nullopt once shut down and empty
//     if (reconcile(*key)) queue->forget(*key); else queue->addRateLimited(*key);
//     queue->done(*key);
//   }
// Thread-safe. Delayed keys move to the queue lazily, when a caller looks (get, tryGet,
// len); a blocked get() wakes at the earliest deadline, or, on a FakeClock, on advance().
class WorkQueue {
 public:
  virtual ~WorkQueue() = default;

  // Queues `key` unless it is already queued; ignored after shutdown.
  virtual void add(const std::string& key) = 0;
  // Queues `key` once `delay` has passed. If `key` is already waiting, the earlier of the
  // two deadlines wins. Delayed keys are dropped at shutdown.
  virtual void addAfter(const std::string& key, core::Duration delay) = 0;
  // addAfter(key, rateLimiter.when(key)): per-key backoff, bounded by the overall bucket.
  virtual void addRateLimited(const std::string& key) = 0;
  // Resets the failures of `key` in the rate limiter (call it after a success).
  virtual void forget(const std::string& key) = 0;
  virtual int numRequeues(const std::string& key) const = 0;

  // Blocks until a key is ready and hands it out; the caller must call done(key).
  // Returns nullopt only when shutting down and no key is queued: keys queued before
  // shutdown are still handed out, as in client-go.
  virtual std::optional<std::string> get() = 0;
  // get() without blocking: nullopt when no key is ready now.
  virtual std::optional<std::string> tryGet() = 0;
  // Ends the processing of `key`; re-queues it if it was added meanwhile.
  virtual void done(const std::string& key) = 0;

  // Keys ready to be handed out (not the delayed ones, not the ones being processed).
  virtual std::size_t len() = 0;
  // Stops accepting keys and wakes every blocked get().
  virtual void shutDown() = 0;
  // shutDown(), then blocks until every handed-out key is done(). Blocks forever if a
  // key is never done(), as in client-go.
  virtual void shutDownWithDrain() = 0;
  virtual bool shuttingDown() const = 0;
};

struct WorkQueueOptions {
  std::string name{};                           // labels the metrics
  const core::Clock* clock = nullptr;           // SystemClock when null; must outlive the queue
  std::unique_ptr<RateLimiter> rateLimiter{};   // defaultControllerRateLimiter(clock) when null
  WorkQueueMetricsProvider* metrics = nullptr;  // no metrics when null
};

std::unique_ptr<WorkQueue> makeWorkQueue(WorkQueueOptions options);

// What a worker function decided about a key.
struct WorkResult {
  enum class Kind { kSuccess, kRetry, kRequeueAfter };
  Kind kind = Kind::kSuccess;
  core::Duration after{};

  static WorkResult success() { return {}; }            // forget(key)
  static WorkResult retry() { return {Kind::kRetry}; }  // addRateLimited(key)
  // forget(key), then addAfter(key, d): a planned revisit, not a failure.
  static WorkResult requeueAfter(core::Duration d) { return {Kind::kRequeueAfter, d}; }
};

using WorkFn = std::function<WorkResult(const std::string& key)>;

// Threads that loop get() / fn / done() until the queue is shut down and empty. An
// exception from fn counts as retry(). Destroying the pool shuts the queue down and
// joins the threads (which first finish the keys still queued).
class WorkerPool {
 public:
  WorkerPool(WorkQueue& queue, int workers, WorkFn fn);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // Waits for the threads to exit; call after shutDown()/shutDownWithDrain().
  void join();

 private:
  WorkQueue& queue_;
  std::vector<std::thread> threads_;
};

// Starts `workers` threads running `fn` on keys from `queue`:
//   auto pool = runWorkers(*queue, 2, [&](const std::string& key) { return reconcile(key); });
//   ...
//   queue->shutDownWithDrain();
//   pool->join();
std::unique_ptr<WorkerPool> runWorkers(WorkQueue& queue, int workers, WorkFn fn);

// One get() / fn / done() round; false once the queue is shut down and empty.
bool processNextItem(WorkQueue& queue, const WorkFn& fn);

}  // namespace mlmodel::kube
