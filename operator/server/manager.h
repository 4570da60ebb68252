#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/cancel.h"
#include "core/clock.h"
#include "kube/workqueue.h"
#include "server/leadership.h"
#include "server/write_fence.h"

namespace mlmodel::server {

struct ManagerParts {
  // True once every cache holds its first list; false at `deadline`. Required.
  std::function<bool(core::SteadyTime deadline)> waitForCaches;
  kube::WorkQueue* queue = nullptr;  // required
  int workers = 1;
  kube::WorkFn work;                         // required: one reconcile
  std::unique_ptr<Leadership> leadership{};  // null: this process leads from the start
  WriteFence* fence = nullptr;               // required; the client's writes ask it
  // Makes the caller's wait for stop (a signal) return: after a lost lease, or caches that
  // never synced. Required.
  std::function<void()> wake;
  // Optional. Runs after the last reconcile of a graceful stop, before the fence closes:
  // sends what the reconciles left queued (Events).
  std::function<void()> flush;
  const core::Clock* clock = nullptr;  // SystemClock when null
  // Optional: the token of the client the reconciles use. Cancelled when the lease is lost
  // and when a graceful stop's reconciles outlive the grace period, so that they end at
  // their next (or current) request instead of at its deadline.
  core::CancelToken* cancel = nullptr;
};

struct ManagerOptions {
  core::Duration syncTimeout = std::chrono::minutes(10);
  // How long SIGTERM leaves reconciles in flight to finish.
  core::Duration gracePeriod = std::chrono::seconds(15);
  // How long a process that lost its lease waits for them (their writes are refused).
  core::Duration lostGrace = std::chrono::seconds(2);
};

// The lifecycle around the workers, as controller-runtime's manager runs it.
//
//   Manager m(std::move(parts), options);
//   m.start();                    // returns at once
//   sigwait(...);                 // SIGTERM, or parts.wake()
//   auto end = m.stop();
//   if (end.workersStuck) std::_Exit(end.exitCode);  // threads still use what exit destroys
//   return end.exitCode;
//
// - The caches sync (within syncTimeout) before the process contends for the lease: leading
//   never waits on them, and a slow first list cannot cost the lease. Meanwhile the fence
//   refuses writes unless the lease is held.
// - A lost lease: from that moment no key is taken, the fence refuses every write (the
//   elector's check already does, by its own clock, even before it notices) and the
//   reconciles' requests are cancelled. stop() waits at most lostGrace for reconciles in
//   flight, drains nothing, and returns 1.
// - stop() otherwise: no new key is taken (keys still queued are left for the next leader);
//   reconciles in flight get gracePeriod (then their requests are cancelled and they get a
//   second more); then the fence closes, the lease is released, and
//   it returns 0 (1 when the caches never synced).
class Manager {
 public:
  Manager(ManagerParts parts, ManagerOptions options = {});
  ~Manager();  // stop()s if needed, then joins the workers (after a stuck stop(): waits)
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  void start();

  struct Stopped {
    int exitCode = 0;
    bool workersStuck = false;  // a reconcile outlived the grace period
  };
  Stopped stop();  // once; later calls return the first result

  bool lostLease() const;
  bool leading() const;

 private:
  void begin();  // on starter_: caches, then the lease or the workers
  void startWorkers();
  void onLost();
  kube::WorkResult runOne(const std::string& key);
  bool waitIdle(core::SteadyTime deadline);  // no reconcile in flight

  ManagerParts parts_;
  const ManagerOptions options_;
  const core::Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                   // guarded by mu_
  bool lost_ = false;                       // guarded by mu_
  bool syncFailed_ = false;                 // guarded by mu_
  bool taking_ = true;                      // guarded by mu_; workers take keys
  int inFlight_ = 0;                        // guarded by mu_; reconciles running
  bool stopped_ = false;                    // guarded by mu_
  Stopped result_{};                        // guarded by mu_
  std::unique_ptr<kube::WorkerPool> pool_;  // guarded by mu_
  std::thread starter_;
};

}  // namespace mlmodel::server
