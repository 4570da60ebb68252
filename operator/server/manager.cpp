#include "server/manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace mlmodel::server {
namespace {

// How long reconciles whose requests were cancelled get to return.
constexpr core::Duration kCancelledGrace = std::chrono::seconds(1);

double seconds(core::Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Manager::Manager(ManagerParts parts, ManagerOptions options)
    : parts_(std::move(parts)),
      options_(options),
      clock_(parts_.clock ? *parts_.clock : core::SystemClock::instance()) {}

Manager::~Manager() {
  stop();
  if (pool_) pool_->join();  // after a stuck stop(), once the reconcile returns
}

void Manager::start() {
  if (parts_.leadership) {
    // Until the lease is held nothing is written; after it is lost, nothing either.
    parts_.fence->guardWith([l = parts_.leadership.get()] { return l->holds(); });
  }
  starter_ = std::thread([this] { begin(); });
}

void Manager::begin() {
  const auto deadline = clock_.steadyNow() + options_.syncTimeout;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    // In slices, so that stop() does not wait for a sync that takes minutes.
    const auto slice = std::min(deadline, clock_.steadyNow() + std::chrono::milliseconds(250));
    if (parts_.waitForCaches(slice)) break;
    if (clock_.steadyNow() >= deadline) {
      spdlog::error("caches did not sync within {:g} s; stopping", seconds(options_.syncTimeout));
      {
        std::lock_guard lock(mu_);
        syncFailed_ = true;
      }
      parts_.wake();
      return;
    }
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
  if (!parts_.leadership) {
    spdlog::info("caches synced");
    startWorkers();
    return;
  }
  spdlog::info("caches synced; contending for the lease");
  parts_.leadership->start([this] { startWorkers(); }, [this] { onLost(); });
}

void Manager::startWorkers() {
  std::lock_guard lock(mu_);
  if (stopping_ || lost_ || pool_) return;
  pool_ = kube::runWorkers(*parts_.queue, parts_.workers,
                           [this](const std::string& key) { return runOne(key); });
  spdlog::info("reconciling with {} workers", parts_.workers);
}

void Manager::onLost() {
  {
    std::lock_guard lock(mu_);
    lost_ = true;
    taking_ = false;
  }
  parts_.fence->close("this process lost its lease");
  if (parts_.cancel) parts_.cancel->cancel();
  parts_.queue->shutDown();
  spdlog::error("leader election lost; stopping without finishing the queue");
  parts_.wake();
}

kube::WorkResult Manager::runOne(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (!taking_) return kube::WorkResult::success();  // left for the next process
    ++inFlight_;
  }
  struct Done {
    Manager* m;
    ~Done() {
      {
        std::lock_guard lock(m->mu_);
        --m->inFlight_;
      }
      m->cv_.notify_all();
    }
  } done{this};
  return parts_.work(key);
}

bool Manager::waitIdle(core::SteadyTime deadline) {
  std::unique_lock lock(mu_);
  while (inFlight_ > 0 && clock_.steadyNow() < deadline) clock_.waitUntil(lock, cv_, deadline);
  return inFlight_ == 0;
}

Manager::Stopped Manager::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return result_;
    stopped_ = true;
    stopping_ = true;
    taking_ = false;
  }
  cv_.notify_all();
  parts_.queue->shutDown();
  if (starter_.joinable()) starter_.join();
  bool lost = false;
  bool syncFailed = false;
  {
    std::lock_guard lock(mu_);
    lost = lost_;
    syncFailed = syncFailed_;
  }
  Stopped out;
  bool idle = true;
  if (lost) {
    idle = waitIdle(clock_.steadyNow() + options_.lostGrace);
    out.exitCode = 1;
  } else {
    idle = waitIdle(clock_.steadyNow() + options_.gracePeriod);
    const bool timedOut = !idle;
    if (timedOut) {
      spdlog::warn(
          "reconciles still in flight after the grace period of {:g} s; their writes are "
          "refused and their requests cancelled from now on",
          seconds(options_.gracePeriod));
      parts_.fence->close("the operator is shutting down");
      if (parts_.cancel) {
        parts_.cancel->cancel();
        idle = waitIdle(clock_.steadyNow() + kCancelledGrace);
      }
    }
    out.exitCode = syncFailed ? 1 : 0;
    if (!timedOut && parts_.flush) parts_.flush();
  }
  parts_.fence->close(lost ? "this process lost its lease" : "the operator is shutting down");
  if (parts_.leadership) parts_.leadership->release();
  out.workersStuck = !idle;
  kube::WorkerPool* pool = nullptr;
  {
    std::lock_guard lock(mu_);
    pool = pool_.get();
    result_ = out;
  }
  if (pool && idle) pool->join();
  return out;
}

bool Manager::lostLease() const {
  std::lock_guard lock(mu_);
  return lost_;
}

bool Manager::leading() const {
  std::lock_guard lock(mu_);
  return pool_ != nullptr && !lost_;
}

}  // namespace mlmodel::server
