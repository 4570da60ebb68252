#pragma once

// An http::LineStream for unit tests that behaves like an open watch connection: it yields
// the lines pushed so far, then ends cleanly, fails, or blocks until more lines arrive or
// it is cancelled. The test keeps a handle on the shared state, so it can feed a stream the
// code under test already owns.
//   auto state = std::make_shared<ScriptedLineStream::State>();
//   auto lines = std::make_unique<ScriptedLineStream>(state);
//   state->push(R"({"type":"ADDED","object":{...}})");
//   state->finish(ScriptedLineStream::Ending::Clean);

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "http/transport.h"

namespace mlmodel::testutil {

class ScriptedLineStream final : public http::LineStream {
 public:
  // What readLine() does once the pushed lines are used up.
  enum class Ending {
    Block,  // wait for more lines (an idle watch)
    Clean,  // nullopt: the server closed the watch
    Error,  // the connection broke
  };

  struct State {
    void push(std::string line) {
      {
        std::lock_guard lock(mu);
        lines.push_back(std::move(line));
      }
      cv.notify_all();
    }
    void finish(Ending e) {
      {
        std::lock_guard lock(mu);
        ending = e;
      }
      cv.notify_all();
    }
    bool cancelled() const {
      std::lock_guard lock(mu);
      return wasCancelled;
    }
    // True once every pushed line was read and the reader is blocked waiting for more.
    bool drainedAndWaiting() const {
      std::lock_guard lock(mu);
      return lines.empty() && waiting;
    }

    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> lines;
    Ending ending = Ending::Block;
    bool wasCancelled = false;
    bool waiting = false;
  };

  explicit ScriptedLineStream(std::shared_ptr<State> state) : state_(std::move(state)) {}

  core::Result<std::optional<std::string>> readLine() override {
    std::unique_lock lock(state_->mu);
    for (;;) {
      if (state_->wasCancelled) return core::Error{"scripted stream: cancelled"};
      if (!state_->lines.empty()) {
        auto line = std::move(state_->lines.front());
        state_->lines.pop_front();
        return std::optional<std::string>(std::move(line));
      }
      if (state_->ending == Ending::Clean) return std::optional<std::string>();
      if (state_->ending == Ending::Error) return core::Error{"scripted stream: connection reset"};
      state_->waiting = true;
      state_->cv.wait(lock);
      state_->waiting = false;
    }
  }

  void cancel() override {
    {
      std::lock_guard lock(state_->mu);
      state_->wasCancelled = true;
    }
    state_->cv.notify_all();
  }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mlmodel::testutil
