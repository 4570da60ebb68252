#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "kube/rest_client.h"

// Leader election on a coordination.k8s.io/v1 Lease, like client-go's leaderelection.
//
//   kube::LeaderElectionConfig le;
//   le.identity = podName + "_" + randomSuffix;  // unique per process
//   le.callbacks.onStartedLeading = [&] { controllers.start(); };
//   le.callbacks.onStoppedLeading = [&] { controllers.stop(); requestExit(); };
//   auto lockClient = kube::makeClient(cfg, kube::lockClientOptions(le));
//   auto elector = kube::makeLeaderElector(
//       kube::makeLeaseLock(*lockClient, ns, "mlmodel-operator"), le);
//   if (!elector) return fail(elector.error().message);
//   elector.value()->start();
//   ...
//   elector.value()->stop();  // on SIGTERM: stops the work, then releases the lease
//
// Guarantees, with the timings validated by validateLeaderElectionConfig():
//   - A candidate takes a lease held by another only after leaseDuration has passed on
//     its own steady clock without the lease record changing. Remote timestamps are never
//     compared with local wall time, so clock skew between hosts does not matter. It
//     retries every retryPeriod and also at the moment the term it watches runs out, so
//     it takes over at most leaseDuration + retryPeriod after the holder's last renewal.
//   - A leader tries to renew every retryPeriod. When no renewal that it started within
//     the last renewDeadline has succeeded, it calls onStoppedLeading, even when a call to
//     the API server is still hanging. Since renewDeadline < leaseDuration, that happens
//     before any other candidate may take the lease.
//   - stop() while leading calls onStoppedLeading and then (releaseOnStop) writes the
//     lease with no holder, so another candidate takes it at its next retry.
//   - After losing the lease the elector does not contend again: like controller-runtime,
//     the process is expected to exit and start afresh.
namespace mlmodel::kube {

// The spec of a Lease as leader election reads and writes it.
struct LeaseRecord {
  std::string holderIdentity{};  // empty: nobody holds it
  int leaseDurationSeconds = 0;
  core::WallTime acquireTime{};
  core::WallTime renewTime{};
  int leaseTransitions = 0;

  bool operator==(const LeaseRecord&) const = default;
};

// Where the record lives. Implementations remember the object they last read or wrote,
// so that update() is a compare-and-swap against it.
class LeaseLock {
 public:
  virtual ~LeaseLock() = default;
  // The current record; an Error with code 404 when the Lease does not exist.
  virtual core::Result<LeaseRecord> get() = 0;
  // Creates the Lease; a 409 AlreadyExists Error when another candidate was faster.
  virtual core::Status create(const LeaseRecord& record) = 0;
  // Replaces the record of the Lease last returned by get() or written here; a 409
  // Conflict Error when it changed in between.
  virtual core::Status update(const LeaseRecord& record) = 0;
  // "namespace/name", for logs.
  virtual std::string describe() const = 0;
};

// A LeaseLock on a Lease object through the API server. `client` must outlive it.
std::unique_ptr<LeaseLock> makeLeaseLock(Client& client, std::string ns, std::string name);

// Lease spec <-> record. Times are MicroTime: RFC 3339 in UTC with six fractional digits,
// 2026-11-26T15:04:05.000000Z; reading accepts any RFC 3339 time.
Json leaseSpecJson(const LeaseRecord& record);
// Missing or unreadable fields read as zero/empty.
LeaseRecord leaseRecordFromJson(const Json& lease);

// Each runs on one of the elector's two threads; onStartedLeading and onStoppedLeading
// fire at most once per elector, in that order. Keep them short: renewals wait while
// they run. For leader_election_master_status, set the gauge in the first two:
//   cb.onStartedLeading = [&] { metrics.setLeader(lease, true); controllers.start(); };
struct LeaderCallbacks {
  // Required. Start the guarded work (on your own threads) and return.
  std::function<void()> onStartedLeading{};
  // Required. Stop the guarded work before returning: on stop() the lease is released
  // only afterwards. Fires only after onStartedLeading. Must not call stop().
  std::function<void()> onStoppedLeading{};
  // Optional. The holder seen in the lease changed; "" when it is free.
  std::function<void(const std::string& identity)> onNewLeader{};
};

struct LeaderElectionConfig {
  std::string identity{};  // unique per process; the pod name plus a random suffix
  core::Duration leaseDuration = std::chrono::seconds(15);  // whole seconds
  core::Duration renewDeadline = std::chrono::seconds(10);
  core::Duration retryPeriod = std::chrono::seconds(2);
  bool releaseOnStop = true;
  LeaderCallbacks callbacks{};
  const core::Clock* clock = nullptr;  // default SystemClock
};

// As client-go: leaseDuration > renewDeadline > 1.2 * retryPeriod > 0, leaseDuration a
// whole number of seconds (the Lease stores seconds), an identity and both required
// callbacks. The error says which rule failed and with what values.
core::Status validateLeaderElectionConfig(const LeaderElectionConfig& config);

// Options for the lock's own Client: one attempt per call (the elector retries) and a
// timeout of renewDeadline / 2, so that a hanging call neither holds up stop() for long
// nor leaves no time for a retry.
ClientOptions lockClientOptions(const LeaderElectionConfig& config, ClientOptions base = {});

// Built by makeLeaderElector().
class LeaderElector {
 public:
  ~LeaderElector();  // stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts contending on two threads (the elector and a renewDeadline watchdog). Once.
  void start();
  // Stops contending; when leading, calls onStoppedLeading and then releases the lease.
  // Waits for the elector's threads (and so for a lock call in flight). Idempotent.
  void stop();

  bool isLeader() const;
  // Ok while leading on a renewal that succeeded less than renewDeadline ago by this
  // process's steady clock, which runs on while the process is frozen (SIGSTOP, a paused
  // VM): a leader resumed past its term fails this before the watchdog has even woken.
  // Check it before every write (the fence); renewDeadline < leaseDuration leaves the
  // margin for a write already on its way.
  core::Status holdsLease() const;
  std::string observedLeader() const;  // holder in the last record seen; "" free/unknown
  // Acquire/renew attempts finished so far, for tests and logs.
  std::size_t attempts() const;

 private:
  friend core::Result<std::unique_ptr<LeaderElector>> makeLeaderElector(
      std::unique_ptr<LeaseLock> lock, LeaderElectionConfig config);
  LeaderElector(std::unique_ptr<LeaseLock> lock, LeaderElectionConfig config);

  enum class Attempt { Success, Failed, HeldByOther };

  void run();
  void watchdog();
  // The start time of the attempt that acquired; nullopt when stopped first.
  std::optional<core::SteadyTime> acquire();
  void renewLoop(core::SteadyTime lastAttempt);  // returns when stopped or no longer leading
  Attempt tryAcquireOrRenew();
  void observe(const LeaseRecord& record, core::SteadyTime at);
  void reportLeader();
  // Waits until `at`; false when stop() or the loss of leadership came first.
  bool sleepUntil(core::SteadyTime at);
  // Leading -> not leading and onStoppedLeading, at most once. `lock` holds mu_; it is
  // released around the callback.
  void loseLeadership(std::unique_lock<std::mutex>& lock, const std::string& why);
  core::Duration observedLeaseDuration() const;
  void release();

  std::unique_ptr<LeaseLock> lock_;
  LeaderElectionConfig config_;
  const core::Clock& clock_;

  // Owned by the elector thread.
  LeaseRecord observed_;
  core::SteadyTime observedAt_{};
  std::string reportedLeader_;
  bool everObserved_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;              // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  bool leading_ = false;              // guarded by mu_
  bool startedNotified_ = false;      // guarded by mu_; onStartedLeading has returned
  bool lost_ = false;                 // guarded by mu_; leadership ended other than by stop()
  bool finished_ = false;             // guarded by mu_; the elector thread has ended
  core::SteadyTime renewDeadline_{};  // guarded by mu_; lose leadership at this time
  std::string observedLeader_;        // guarded by mu_
  std::size_t attempts_ = 0;          // guarded by mu_
  std::thread thread_;
  std::thread watchdog_;
};

// Validates `config`, then builds the elector (not yet started).
core::Result<std::unique_ptr<LeaderElector>> makeLeaderElector(std::unique_ptr<LeaseLock> lock,
                                                               LeaderElectionConfig config);

}  // namespace mlmodel::kube
