#pragma once

// Deadline-bounded waits for tests that synchronise with real concurrency: another thread
// reaching a state (FakeClock::timedWaiters(), a counter, a latch), a child process or a
// server becoming ready. Never for time to pass in the logic under test: that logic takes
// an injected FakeClock, and the test advances it.
//
// The deadline only turns a hang into a failure that says what was awaited, instead of a
// CTest timeout:
//
//   ASSERT_TRUE(waitUntil([&] { return clock.timedWaiters() == 1; }))
//       << "the worker never blocked on the clock";
//
// A test that owns a std::thread must not return before joining it (a joinable thread's
// destructor terminates the whole binary): there, EXPECT_TRUE the wait and go on to the
// code that releases and joins the thread.
#include <chrono>
#include <thread>

namespace mlmodel::testutil {

// How long a test waits for other threads before it calls the wait a hang: far beyond what
// a correct run needs, even under sanitizers on a loaded machine, and well inside the
// CTest timeout.
inline constexpr std::chrono::seconds kHangLimit{10};

// Polls `pred` until it holds or `timeout` of real time has passed; returns whether it
// held. Between polls it yields (for threads of this process) or, with a non-zero `poll`,
// sleeps that long (for processes and servers, which a busy loop would slow down).
template <class Pred>
[[nodiscard]] bool waitUntil(Pred&& pred, std::chrono::steady_clock::duration timeout = kHangLimit,
                             std::chrono::steady_clock::duration poll = {}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (poll > std::chrono::steady_clock::duration::zero()) {
      std::this_thread::sleep_for(poll);
    } else {
      std::this_thread::yield();
    }
  }
  return true;
}

}  // namespace mlmodel::testutil
