// The Manager against the real API server: a first list slower than the lease itself. The
// caches sync before the process contends, so it takes the Lease once and keeps it.
#include <atomic>
#include <thread>
#include <vector>

#include "cluster_env.h"
#include "core/json_read.h"
#include "core/time_format.h"
#include "kube/informer.h"
#include "kube/leader_election.h"
#include "kube/lister_watcher.h"
#include "server/leadership.h"
#include "server/manager.h"

namespace mlmodel::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kObjects = 2000;
constexpr auto kLeaseDuration = 1s;

// Lists one object a page: thousands of round trips make a first list of seconds, as a
// cluster of a million objects would at 500 a page.
class SlowPagesLister final : public kube::ListerWatcher {
 public:
  SlowPagesLister(kube::Client& client, std::string ns) : client_(client), ns_(std::move(ns)) {}
  core::Result<kube::ObjectList> list(const std::function<void(Json&&)>& onItem) override {
    kube::ListOptions o;
    o.onItem = onItem;
    o.limit = 1;
    return client_.list(kube::resources::configMaps, ns_, o);
  }
  core::Result<std::unique_ptr<kube::WatchStream>> watch(const std::string& resourceVersion,
                                                         int timeoutSeconds) override {
    kube::WatchOptions o;
    o.resourceVersion = resourceVersion;
    o.timeoutSeconds = timeoutSeconds;
    return client_.watch(kube::resources::configMaps, ns_, o);
  }

 private:
  kube::Client& client_;
  const std::string ns_;
};

class ManagerSlowSyncTest : public ClusterTest {};

TEST_F(ManagerSlowSyncTest, AFirstListSlowerThanTheLeaseDoesNotCostIt) {
  // Thousands of objects, created four at a time.
  std::atomic<int> failed{0};
  std::vector<std::thread> creators;
  for (int t = 0; t < 4; ++t) {
    creators.emplace_back([&, t] {
      for (int i = t; i < kObjects; i += 4) {
        if (!client().create(kube::resources::configMaps, ns_,
                             configMap("cm-" + std::to_string(i), "k", "v"))) {
          ++failed;
        }
      }
    });
  }
  for (auto& c : creators) c.join();
  ASSERT_EQ(failed.load(), 0);

  SlowPagesLister lister(client(), ns_);
  kube::Informer informer(lister, {});
  kube::LeaderElectionConfig le;
  le.identity = "slow-sync-a";
  le.leaseDuration = kLeaseDuration;
  le.renewDeadline = 800ms;
  le.retryPeriod = 200ms;
  le.callbacks.onStartedLeading = [] {};
  le.callbacks.onStoppedLeading = [] {};
  auto leadership = server::electorLeadership(kube::makeLeaseLock(client(), ns_, "slow-sync"), le);
  ASSERT_TRUE(leadership) << leadership.error().message;

  auto queue = kube::makeWorkQueue({.name = "slow-sync"});
  server::WriteFence fence;
  std::atomic<int64_t> syncedAtMs{0};
  server::ManagerParts parts;
  parts.waitForCaches = [&](core::SteadyTime deadline) {
    const bool ok = informer.waitForSync(deadline);
    syncedAtMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
    return ok;
  };
  parts.queue = queue.get();
  parts.work = [](const std::string&) { return kube::WorkResult::success(); };
  parts.leadership = std::move(leadership.value());
  parts.fence = &fence;
  parts.wake = [] {};
  server::Manager manager(std::move(parts));

  const auto started = std::chrono::steady_clock::now();
  informer.start();
  manager.start();
  ASSERT_TRUE(eventually([&] { return manager.leading(); }, 120s)) << "never led";
  const auto toLead = std::chrono::steady_clock::now() - started;
  EXPECT_GE(informer.store().size(), static_cast<size_t>(kObjects));  // and kube-root-ca.crt
  // The first list alone took longer than a lease lasts: contending first, then syncing,
  // would have let the lease run out before the workers could even start.
  EXPECT_GT(toLead, kLeaseDuration * 3 / 2) << "the list was not slow: the test proves nothing";

  // Held through three more lease durations, the Lease still ours, never taken over, and
  // acquired only after the list was in.
  const auto holdUntil = std::chrono::steady_clock::now() + 3 * kLeaseDuration;
  while (std::chrono::steady_clock::now() < holdUntil) {
    ASSERT_FALSE(manager.lostLease());
    ASSERT_TRUE(fence.check()) << "a leader's write was refused";
    std::this_thread::sleep_for(50ms);  // observing real time on real servers
  }
  auto lease = client().get(kube::resources::leases, ns_, "slow-sync");
  ASSERT_TRUE(lease) << lease.error().message;
  const Json& spec = lease.value().at("spec");
  EXPECT_EQ(spec.at("holderIdentity").as_string(), "slow-sync-a");
  EXPECT_EQ(core::jsonInt(spec, {"leaseTransitions"}), 0);
  const auto acquired = core::parseRfc3339(spec.at("acquireTime").as_string());
  ASSERT_TRUE(acquired);
  EXPECT_GE(
      std::chrono::duration_cast<std::chrono::milliseconds>(acquired->time_since_epoch()).count(),
      syncedAtMs.load() - 1)
      << "the Lease was taken before the caches had synced";

  EXPECT_EQ(manager.stop().exitCode, 0);
  informer.stop();
}

}  // namespace
}  // namespace mlmodel::testing
