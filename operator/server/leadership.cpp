#include "server/leadership.h"

#include <utility>

namespace mlmodel::server {
namespace {

class ElectorLeadership final : public Leadership {
 public:
  core::Status init(std::unique_ptr<kube::LeaseLock> lock, kube::LeaderElectionConfig config) {
    auto hooks = config.callbacks;
    config.callbacks.onStartedLeading = [this, hook = hooks.onStartedLeading] {
      if (hook) hook();
      if (onLeading_) onLeading_();
    };
    config.callbacks.onStoppedLeading = [this, hook = hooks.onStoppedLeading] {
      if (hook) hook();
      if (!releasing_ && onLost_) onLost_();
    };
    auto elector = kube::makeLeaderElector(std::move(lock), std::move(config));
    if (!elector) return elector.error();
    elector_ = std::move(elector).value();
    return core::Ok{};
  }
  ~ElectorLeadership() override { release(); }
  ElectorLeadership() = default;
  ElectorLeadership(const ElectorLeadership&) = delete;
  ElectorLeadership& operator=(const ElectorLeadership&) = delete;

  void start(std::function<void()> onLeading, std::function<void()> onLost) override {
    onLeading_ = std::move(onLeading);
    onLost_ = std::move(onLost);
    elector_->start();
  }
  core::Status holds() const override { return elector_->holdsLease(); }
  void release() override {
    releasing_ = true;
    if (elector_) elector_->stop();
  }

 private:
  std::unique_ptr<kube::LeaderElector> elector_;
  std::function<void()> onLeading_, onLost_;  // set before the elector starts
  std::atomic<bool> releasing_{false};
};

}  // namespace

core::Result<std::unique_ptr<Leadership>> electorLeadership(std::unique_ptr<kube::LeaseLock> lock,
                                                            kube::LeaderElectionConfig config) {
  auto out = std::make_unique<ElectorLeadership>();
  if (auto s = out->init(std::move(lock), std::move(config)); !s) return s.error();
  return std::unique_ptr<Leadership>(std::move(out));
}

}  // namespace mlmodel::server
