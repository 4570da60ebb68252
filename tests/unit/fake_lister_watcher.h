#pragma once

// A scripted kube::ListerWatcher for informer unit tests. Each list() and watch() call takes
// the next scripted answer and is recorded (watch() with the resourceVersion it was asked
// to start from). An unscripted list() fails; an unscripted watch() opens an idle stream
// that blocks until it is cancelled, as a quiet watch does.
//   FakeListerWatcher lw;
//   lw.scriptList({obj("ns", "a", "1")}, "10");
//   auto s = lw.scriptWatch({event("ADDED", obj("ns", "b", "11"))},
//                           ScriptedLineStream::Ending::Clean);
//   Informer inf(lw, options);
//   inf.start();
//   ASSERT_TRUE(lw.waitForWatchCalls(2));
//   EXPECT_EQ(lw.watchVersions().at(1), "11");

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kube/lister_watcher.h"
#include "scripted_line_stream.h"

namespace mlmodel::testutil {

class FakeListerWatcher final : public kube::ListerWatcher {
 public:
  using StreamState = ScriptedLineStream::State;
  using Ending = ScriptedLineStream::Ending;

  // The next list() hands these items to onItem and returns `resourceVersion`.
  void scriptList(std::vector<kube::Json> items, std::string resourceVersion) {
    std::lock_guard lock(mu_);
    lists_.push_back({std::move(items), std::move(resourceVersion), std::nullopt});
  }
  // The next list() fails with `error`.
  void failList(core::Error error) {
    std::lock_guard lock(mu_);
    lists_.push_back({{}, "", std::move(error)});
  }
  // The next watch() opens a stream that yields `lines` and then ends as `ending`. The
  // returned state lets the test push more lines or end the stream later.
  std::shared_ptr<StreamState> scriptWatch(std::vector<std::string> lines, Ending ending) {
    auto state = std::make_shared<StreamState>();
    state->lines.assign(lines.begin(), lines.end());
    state->ending = ending;
    std::lock_guard lock(mu_);
    watches_.push_back({state, std::nullopt});
    return state;
  }
  // The next watch() fails to open with `error` (410 Gone, a 500, a refused connection).
  void failWatch(core::Error error) {
    std::lock_guard lock(mu_);
    watches_.push_back({nullptr, std::move(error)});
  }

  core::Result<kube::ObjectList> list(const std::function<void(kube::Json&&)>& onItem) override {
    ScriptedList next;
    {
      std::lock_guard lock(mu_);
      ++listCalls_;
      if (lists_.empty()) {
        next.error = core::Error{"fake lister: no scripted list"};
      } else {
        next = std::move(lists_.front());
        lists_.pop_front();
      }
    }
    cv_.notify_all();
    if (next.error) return *next.error;
    for (auto& item : next.items) onItem(std::move(item));
    kube::ObjectList out;
    out.resourceVersion = next.resourceVersion;
    return out;
  }

  core::Result<std::unique_ptr<kube::WatchStream>> watch(const std::string& resourceVersion,
                                                         int timeoutSeconds) override {
    ScriptedWatch next;
    {
      std::lock_guard lock(mu_);
      watchVersions_.push_back(resourceVersion);
      watchTimeouts_.push_back(timeoutSeconds);
      if (watches_.empty()) {
        next.state = std::make_shared<StreamState>();  // idle until cancelled
      } else {
        next = std::move(watches_.front());
        watches_.pop_front();
      }
      opened_.push_back(next.state);
    }
    cv_.notify_all();
    if (next.error) return *next.error;
    return std::make_unique<kube::WatchStream>(std::make_unique<ScriptedLineStream>(next.state));
  }

  size_t listCalls() const {
    std::lock_guard lock(mu_);
    return listCalls_;
  }
  size_t watchCalls() const {
    std::lock_guard lock(mu_);
    return watchVersions_.size();
  }
  // The resourceVersion each watch() call started from, in order.
  std::vector<std::string> watchVersions() const {
    std::lock_guard lock(mu_);
    return watchVersions_;
  }
  std::vector<int> watchTimeouts() const {
    std::lock_guard lock(mu_);
    return watchTimeouts_;
  }
  // The stream the i-th watch() call opened (null when that call failed).
  std::shared_ptr<StreamState> stream(size_t i) const {
    std::lock_guard lock(mu_);
    return opened_.at(i);
  }

  // Wait for the code under test to make its n-th call. The real-time limit only turns a
  // hang into a failure.
  bool waitForListCalls(size_t n) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return listCalls_ >= n; });
  }
  bool waitForWatchCalls(size_t n) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return watchVersions_.size() >= n; });
  }

 private:
  struct ScriptedList {
    std::vector<kube::Json> items;
    std::string resourceVersion;
    std::optional<core::Error> error;
  };
  struct ScriptedWatch {
    std::shared_ptr<StreamState> state;
    std::optional<core::Error> error;
  };

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<ScriptedList> lists_;
  std::deque<ScriptedWatch> watches_;
  size_t listCalls_ = 0;
  std::vector<std::string> watchVersions_;
  std::vector<int> watchTimeouts_;
  std::vector<std::shared_ptr<StreamState>> opened_;
};

}  // namespace mlmodel::testutil
