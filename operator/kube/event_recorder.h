#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "kube/rest_client.h"

namespace mlmodel::kube {

// The object an Event is about (events.k8s.io/v1 `regarding`).
struct ObjectReference {
  std::string apiVersion{};
  std::string kind{};
  std::string ns{};  // empty for a cluster-scoped object
  std::string name{};
  std::string uid{};
  std::string resourceVersion{};

  // From an object's apiVersion, kind and metadata.
  static ObjectReference of(const Json& object);
};

enum class EventType { kNormal, kWarning };

// What reconcilers depend on, so their tests can use RecordingEventEmitter.
class EventEmitter {
 public:
  virtual ~EventEmitter() = default;
  // Queues an Event about `regarding` and returns at once; false when it was dropped
  // (queue full, stopped, or no reason, action or object name). `reason` is CamelCase and short
  // ("ImageResolved"); `action` says what the controller did ("Resolve"); `note` is for
  // people and is cut to 1024 bytes.
  virtual bool emit(const ObjectReference& regarding, EventType type, std::string_view reason,
                    std::string_view action, std::string_view note) = 0;
};

struct EventRecorderOptions {
  std::string reportingController = "mlmodel-operator";
  std::string reportingInstance{};  // empty: the host name (the pod's name in a cluster)
  std::size_t queueSize = 1000;     // emits beyond this wait nowhere: they are dropped
  // Threads sending; the Events about one object always go through the same one (in
  // order, and folded into their series there). One sender kept up with about 30 Events a
  // second against a busy API server: a fleet turning Ready at once outran it.
  std::size_t senders = 4;
  std::size_t maxSeries = 4096;  // remembered Events for folding; the oldest go first
  // A repeat within this long of the previous occurrence joins that Event's series.
  core::Duration seriesWindow = std::chrono::minutes(6);
  // A series is written at most this often (its second occurrence at once); a failed
  // write is retried after the same delay.
  core::Duration heartbeat = std::chrono::seconds(30);
  int maxAttempts = 5;                 // per write, for transport, 429 and 5xx failures
  const core::Clock* clock = nullptr;  // SystemClock when null; must outlive the recorder
  bool background = true;              // false: nothing is sent but by processPending()
};

// Records Events (events.k8s.io/v1) like client-go's events broadcaster:
//   - the first occurrence is created as <object name>.<hex>, in the object's namespace
//     ("default" for a cluster-scoped object);
//   - a repeat (same object, type, reason, action and note) within seriesWindow of the
//     previous one is folded into the Event's `series` by a merge patch, at most once a
//     heartbeat; when the Event is gone (404) a new one is created;
//   - emit() only queues (bounded: a storm drops Events, counted by dropped()); sender
//     threads write through the Client, each for its share of the objects.
//
//   EventRecorder events(client, {.reportingInstance = podName});
//   events.emit(ObjectReference::of(model), EventType::kWarning, "RolloutAborted",
//               "Rollback", "error-rate 0.04 > 0.01 at step 2");
//   ...
//   events.stop(std::chrono::seconds(5));  // sends what is queued, for up to 5 s
//
// Thread-safe. `client` must outlive the recorder.
class EventRecorder final : public EventEmitter {
 public:
  static constexpr std::size_t kMaxNoteBytes = 1024;

  explicit EventRecorder(Client& client, EventRecorderOptions options = {});
  ~EventRecorder() override;  // stop(5 s) unless stopped
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  bool emit(const ObjectReference& regarding, EventType type, std::string_view reason,
            std::string_view action, std::string_view note) override;

  // Sends what is queued and every series update that is due, on the calling thread;
  // returns the number of API requests made. For tests (background = false), which
  // drive time with a FakeClock instead of sleeping.
  std::size_t processPending();

  // Stops accepting Events, then sends what is queued and the last count of every
  // series until `timeout` has passed (a request in flight finishes); what is left is
  // dropped. Idempotent.
  void stop(core::Duration timeout);

  // Events dropped so far: queue full, or left over at stop().
  std::uint64_t dropped() const;
  // Events waiting to be sent.
  std::size_t queued() const;

 private:
  class Shard;  // one sender thread, its queue and its series (event_recorder.cpp)

  Client& client_;
  EventRecorderOptions options_;
  const core::Clock& clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> queued_{0};  // over every shard, bounded by queueSize
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> burst_{0};  // drops since the queue last accepted an Event
  std::atomic<bool> stopped_{false};
};

// A fake EventEmitter that keeps what it was given.
class RecordingEventEmitter final : public EventEmitter {
 public:
  struct Emitted {
    ObjectReference regarding{};
    EventType type = EventType::kNormal;
    std::string reason{};
    std::string action{};
    std::string note{};
  };

  bool emit(const ObjectReference& regarding, EventType type, std::string_view reason,
            std::string_view action, std::string_view note) override;
  std::vector<Emitted> events() const;

 private:
  mutable std::mutex mu_;
  std::vector<Emitted> events_;
};

// RFC 3339 in UTC with microseconds, as metav1.MicroTime: 2024-05-01T12:00:00.000000Z.
std::string formatMicroTime(core::WallTime t);

}  // namespace mlmodel::kube
