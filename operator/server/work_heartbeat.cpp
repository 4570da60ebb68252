#include "server/work_heartbeat.h"

namespace mlmodel::server {

void WorkHeartbeat::begin(const std::string& key) {
  const auto now = clock_.steadyNow();
  std::lock_guard lock(mu_);
  busy_[std::this_thread::get_id()] = Busy{key, now};
}

void WorkHeartbeat::end() {
  std::lock_guard lock(mu_);
  busy_.erase(std::this_thread::get_id());
}

std::string WorkHeartbeat::wedged() const {
  const auto now = clock_.steadyNow();
  std::lock_guard lock(mu_);
  const Busy* oldest = nullptr;
  for (const auto& [id, b] : busy_) {
    if (!oldest || b.since < oldest->since) oldest = &b;
  }
  if (!oldest || now - oldest->since <= stuckAfter_) return "";
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - oldest->since).count();
  return "work loop wedged: a worker has been on " + oldest->key + " for " + std::to_string(secs) +
         " s (limit " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(stuckAfter_).count()) +
         " s)";
}

}  // namespace mlmodel::server
