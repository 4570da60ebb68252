#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"

namespace mlmodel::server {

// Tells whether the work loop is wedged, for /healthz. Workers wrap every key they work
// on in a Beat; a worker that has been on one key for longer than `stuckAfter` is wedged
// (every outbound request has a deadline, so a reconcile that long is stuck, not slow).
// An idle worker is blocked in the queue's get(), which is not a wedge: there is nothing
// to do. Thread-safe.
class WorkHeartbeat {
 public:
  WorkHeartbeat(const core::Clock& clock, core::Duration stuckAfter)
      : clock_(clock), stuckAfter_(stuckAfter) {}
  WorkHeartbeat(const WorkHeartbeat&) = delete;
  WorkHeartbeat& operator=(const WorkHeartbeat&) = delete;

  // Marks the calling thread busy with `key` until destroyed.
  class Beat {
   public:
    Beat(WorkHeartbeat& hb, const std::string& key) : hb_(hb) { hb_.begin(key); }
    ~Beat() { hb_.end(); }
    Beat(const Beat&) = delete;
    Beat& operator=(const Beat&) = delete;

   private:
    WorkHeartbeat& hb_;
  };

  // "" when no worker is stuck; otherwise which key, for how long.
  std::string wedged() const;

 private:
  struct Busy {
    std::string key;
    core::SteadyTime since;
  };
  void begin(const std::string& key);
  void end();

  const core::Clock& clock_;
  const core::Duration stuckAfter_;
  mutable std::mutex mu_;
  std::map<std::thread::id, Busy> busy_;
};

}  // namespace mlmodel::server
