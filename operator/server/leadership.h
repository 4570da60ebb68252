#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "core/result.h"
#include "kube/leader_election.h"

namespace mlmodel::server {

// Who may run the controllers: the holder of a lease, as the Manager sees it.
class Leadership {
 public:
  virtual ~Leadership() = default;
  // Starts contending; returns at once. onLeading fires once, when this process leads;
  // onLost at most once after it, when the lease is lost other than by release(). Both on
  // the leadership's own thread.
  virtual void start(std::function<void()> onLeading, std::function<void()> onLost) = 0;
  // Ok while this process holds the lease: the write fence's check.
  virtual core::Status holds() const = 0;
  // Stops contending and, if leading, hands the lease over. onLost does not fire.
  virtual void release() = 0;
};

// Leadership through a kube::LeaderElector on `lock`. The callbacks already in `config` run
// first (for the leader gauge); validation errors are the elector's.
core::Result<std::unique_ptr<Leadership>> electorLeadership(std::unique_ptr<kube::LeaseLock> lock,
                                                            kube::LeaderElectionConfig config);

}  // namespace mlmodel::server
