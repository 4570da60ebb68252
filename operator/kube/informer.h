#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "kube/lister_watcher.h"
#include "kube/store.h"

namespace mlmodel::kube {

// Callbacks for changes seen by an informer. They run on the informer's thread, one at a
// time and in the order the API server produced the changes: keep them short (enqueue a
// key). A delete seen only through a relist (the watch missed it) has
// finalStateUnknown = true and carries the last state the cache knew.
struct EventHandlers {
  std::function<void(const ObjectPtr&)> onAdd;
  std::function<void(const ObjectPtr& oldObj, const ObjectPtr& newObj)> onUpdate;
  std::function<void(const ObjectPtr&, bool finalStateUnknown)> onDelete;
  // False when onUpdate never reads oldObj: it then gets an empty object, and a watched
  // change costs no decoding of the cached copy (unless other handlers read it).
  bool readsOld = true;
};

struct InformerOptions {
  // Applied to every object before it is cached: drop what is never read. The default
  // drops metadata.managedFields and the last-applied-configuration annotation.
  std::function<Json(Json)> transform;
  const core::Clock* clock = nullptr;  // default SystemClock
  core::BackoffPolicy backoff{std::chrono::milliseconds(800), std::chrono::seconds(30), 2.0, 1.0};
  int minWatchTimeoutSeconds = 300;  // each watch asks for a random 1x..2x of this
};

// The default transform: what no controller reads, at a large share of each object's size.
Json stripManagedFields(Json object);

// A reflector and a cache: lists, then watches from the list's resourceVersion,
// reconnecting with jittered backoff; relists on 410 Gone or an ERROR event. Handlers see
// each change once: a relist calls onAdd/onUpdate/onDelete only for what differs from
// the cache (by resourceVersion).
//   Informer inf(lw, {});
//   inf.addHandlers({.onAdd = ..., ...});
//   inf.start();
//   inf.waitForSync(deadline);
class Informer {
 public:
  Informer(ListerWatcher& lw, InformerOptions options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before start().
  void addHandlers(EventHandlers handlers);
  void addIndex(const std::string& name, Store::IndexFunc func) {
    store_.addIndex(name, std::move(func));
  }

  void start();
  void stop();
  bool hasSynced() const { return synced_.load(); }
  // Waits until the first list is in the cache; false at the deadline or on stop().
  bool waitForSync(core::SteadyTime deadline);

  const Store& store() const { return store_; }
  // Counters for tests and benchmarks.
  size_t relists() const { return relists_.load(); }
  size_t eventsProcessed() const { return events_.load(); }

 private:
  void run();
  bool listAndReplace(std::string& resourceVersion);
  enum class WatchEnd { Rewatch, Relist, Backoff, Stopped };
  WatchEnd watchOnce(std::string& resourceVersion);
  void apply(const std::string& type, Json object, std::string& resourceVersion);
  bool sleepFor(core::Duration d);  // false when stopped meanwhile

  ListerWatcher& lw_;
  InformerOptions options_;
  Store store_;
  std::vector<EventHandlers> handlers_;
  bool handlersReadOld_ = false;  // set by addHandlers
  std::atomic<bool> synced_{false};
  std::atomic<size_t> relists_{0};
  std::atomic<size_t> events_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;                  // guarded by mu_
  std::shared_ptr<WatchStream> current_;  // guarded by mu_; cancelled by stop()
  std::thread thread_;
};

}  // namespace mlmodel::kube
