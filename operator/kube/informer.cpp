#include "kube/informer.h"

#include <spdlog/spdlog.h>

#include <random>
#include <unordered_set>

#include "core/json_parse.h"
#include "kube/api_error.h"

namespace mlmodel::kube {

Json stripManagedFields(Json object) {
  if (!object.has_object_field("metadata")) return object;
  auto& meta = object.at("metadata");
  if (meta.has_field("managedFields")) meta.erase("managedFields");
  if (meta.has_object_field("annotations")) {
    auto& ann = meta.at("annotations");
    const char* lastApplied = "kubectl.kubernetes.io/last-applied-configuration";
    if (ann.has_field(lastApplied)) ann.erase(lastApplied);
  }
  return object;
}

Informer::Informer(ListerWatcher& lw, InformerOptions options)
    : lw_(lw), options_(std::move(options)) {
  if (!options_.clock) options_.clock = &core::SystemClock::instance();
  if (!options_.transform) options_.transform = stripManagedFields;
}

Informer::~Informer() { stop(); }

void Informer::addHandlers(EventHandlers handlers) {
  handlersReadOld_ = handlersReadOld_ || (handlers.onUpdate && handlers.readsOld);
  handlers_.push_back(std::move(handlers));
}

void Informer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopped_) return;
  thread_ = std::thread([this] { run(); });
}

void Informer::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    if (current_) current_->cancel();
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool Informer::waitForSync(core::SteadyTime deadline) {
  std::unique_lock lock(mu_);
  while (!synced_.load() && !stopped_) {
    if (options_.clock->steadyNow() >= deadline) return false;
    options_.clock->waitUntil(lock, cv_, deadline);
  }
  return synced_.load();
}

bool Informer::sleepFor(core::Duration d) {
  std::unique_lock lock(mu_);
  const auto deadline = options_.clock->steadyNow() + d;
  while (!stopped_ && options_.clock->steadyNow() < deadline) {
    options_.clock->waitUntil(lock, cv_, deadline);
  }
  return !stopped_;
}

void Informer::run() {
  core::Backoff backoff(options_.backoff);
  std::string rv;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
    }
    if (!listAndReplace(rv)) {
      if (!sleepFor(backoff.next())) return;
      continue;
    }
    // Watch from the list's (then the last event's) resourceVersion until a relist is due.
    bool relist = false;
    while (!relist) {
      switch (watchOnce(rv)) {
        case WatchEnd::Stopped:
          return;
        case WatchEnd::Relist:
          relist = true;
          break;
        case WatchEnd::Rewatch:
          backoff.reset();
          break;
        case WatchEnd::Backoff:
          if (!sleepFor(backoff.next())) return;
          break;
      }
    }
  }
}

bool Informer::listAndReplace(std::string& resourceVersion) {
  // Items are transformed and serialized as their pages arrive, so the list never holds
  // the full objects, and what it holds is exactly what the cache keeps.
  struct Staged {
    std::string key, resourceVersion, text;
  };
  std::vector<Staged> staged;
  auto listed = lw_.list([&](Json&& item) {
    const Json obj = options_.transform(std::move(item));
    staged.push_back({objectKey(obj), resourceVersionOf(obj), obj.serialize()});
  });
  if (!listed) {
    spdlog::warn("informer: list failed: {}", listed.error().message);
    return false;
  }
  relists_++;
  std::unordered_set<std::string> seen;
  seen.reserve(staged.size());
  const bool notify = !handlers_.empty();
  for (auto& item : staged) {
    seen.insert(item.key);
    if (store_.resourceVersion(item.key) == item.resourceVersion) continue;  // unchanged
    auto text = notify ? item.text : std::string();
    auto old = store_.upsertText(item.key, item.resourceVersion, item.text);
    if (!notify) continue;
    auto obj = std::make_shared<const Json>(core::parseJson(text));
    for (auto& h : handlers_) {
      if (!old && h.onAdd) h.onAdd(obj);
      if (old && h.onUpdate) h.onUpdate(old, obj);
    }
  }
  staged = {};
  // Whatever the cache holds that the list lacks was deleted while we were not watching.
  for (const auto& key : store_.keys()) {
    if (seen.count(key)) continue;
    auto old = store_.erase(key);
    for (auto& h : handlers_) {
      if (h.onDelete) h.onDelete(old, true);
    }
  }
  resourceVersion = listed.value().resourceVersion;
  if (!synced_.exchange(true)) {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  return true;
}

Informer::WatchEnd Informer::watchOnce(std::string& resourceVersion) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int min = options_.minWatchTimeoutSeconds;
  const int timeout = std::uniform_int_distribution<int>(min, 2 * min)(rng);
  auto opened = lw_.watch(resourceVersion, timeout);
  if (!opened) {
    if (isGone(opened.error())) return WatchEnd::Relist;
    spdlog::warn("informer: watch failed: {}", opened.error().message);
    return WatchEnd::Backoff;
  }
  std::shared_ptr<WatchStream> stream = std::move(opened.value());
  {
    std::lock_guard lock(mu_);
    if (stopped_) return WatchEnd::Stopped;
    current_ = stream;
  }
  auto end = WatchEnd::Rewatch;
  bool gotEvent = false;
  for (;;) {
    auto ev = stream->next();
    if (!ev) {
      end = gotEvent ? WatchEnd::Rewatch : WatchEnd::Backoff;
      break;
    }
    if (!ev.value()) break;  // the server ended the watch (timeoutSeconds): rewatch
    auto& event = *ev.value();
    if (event.type == "ERROR") {
      // Usually 410 Gone: our resourceVersion fell out of the server's window.
      const auto& status = event.object;
      const int code = status.has_integer_field("code") ? status.at("code").as_integer() : 0;
      if (code != 410) {
        spdlog::warn("informer: watch error event: {}", status.serialize());
      }
      end = WatchEnd::Relist;
      break;
    }
    gotEvent = true;
    apply(event.type, std::move(event.object), resourceVersion);
  }
  std::lock_guard lock(mu_);
  current_.reset();
  return stopped_ ? WatchEnd::Stopped : end;
}

void Informer::apply(const std::string& type, Json object, std::string& resourceVersion) {
  const auto rv = resourceVersionOf(object);
  if (!rv.empty()) resourceVersion = rv;
  if (type == "BOOKMARK") return;
  events_++;
  auto obj = std::make_shared<const Json>(options_.transform(std::move(object)));
  const auto key = objectKey(*obj);
  if (type == "DELETED") {
    auto old = store_.erase(key);
    for (auto& h : handlers_) {
      if (h.onDelete) h.onDelete(obj, false);
    }
    return;
  }
  ObjectPtr old;
  if (handlersReadOld_) {
    old = store_.upsert(key, *obj);
  } else if (store_.put(key, *obj)) {
    static const ObjectPtr kUnread = std::make_shared<const Json>();
    old = kUnread;
  }
  for (auto& h : handlers_) {
    if (!old && h.onAdd) h.onAdd(obj);
    if (old && h.onUpdate) h.onUpdate(old, obj);
  }
}

}  // namespace mlmodel::kube
