#include "kube/event_recorder.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/json_read.h"
#include "kube/api_error.h"
#include "kube/resource.h"

namespace mlmodel::kube {
namespace {

// The API server rejects longer reason, action and reportingInstance values.
constexpr std::size_t kMaxShortField = 128;
constexpr std::size_t kMaxNameBytes = 253;

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence (JSON needs valid
// UTF-8).
std::string truncateUtf8(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

std::string hostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) == 0 && buf[0] != '\0') return buf;
  return "unknown";
}

const char* typeName(EventType t) { return t == EventType::kWarning ? "Warning" : "Normal"; }

Json referenceJson(const ObjectReference& r) {
  Json j = Json::object();
  auto put = [&j](const char* field, const std::string& value) {
    if (!value.empty()) j[field] = Json::string(value);
  };
  put("apiVersion", r.apiVersion);
  put("kind", r.kind);
  put("namespace", r.ns);
  put("name", r.name);
  put("uid", r.uid);
  put("resourceVersion", r.resourceVersion);
  return j;
}

Json seriesJson(int count, core::WallTime lastObserved) {
  Json s = Json::object();
  s["count"] = Json::number(count);
  s["lastObservedTime"] = Json::string(formatMicroTime(lastObserved));
  return s;
}

// Occurrences with one key are "the same Event". The object's resourceVersion is left
// out: it changes with every status write, which would defeat folding.
std::string seriesKey(const auto& p) {
  const auto& r = p.regarding;
  std::string key;
  for (const std::string* part :
       {&r.apiVersion, &r.kind, &r.ns, &r.name, &r.uid, &p.reason, &p.action, &p.note}) {
    key += *part;
    key += '\x1f';
  }
  key += typeName(p.type);
  return key;
}

bool retryable(const core::Error& e) {
  return isTransportError(e) || isTooManyRequests(e) || isServerError(e);
}

core::SteadyTime addSaturating(core::SteadyTime t, core::Duration d) {
  if (d >= core::SteadyTime::max() - t) return core::SteadyTime::max();
  return t + d;
}

}  // namespace

ObjectReference ObjectReference::of(const Json& object) {
  ObjectReference r;
  r.apiVersion = core::jsonString(object, {"apiVersion"});
  r.kind = core::jsonString(object, {"kind"});
  if (object.has_object_field("metadata")) {
    const auto& meta = object.at("metadata");
    r.ns = core::jsonString(meta, {"namespace"});
    r.name = core::jsonString(meta, {"name"});
    r.uid = core::jsonString(meta, {"uid"});
    r.resourceVersion = core::jsonString(meta, {"resourceVersion"});
  }
  return r;
}

std::string formatMicroTime(core::WallTime t) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch());
  const auto secs = floor<seconds>(us);
  const auto micros = (us - secs).count();
  const std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(micros));
  return buf;
}

// One sender: a queue, the series of the objects whose Events it sends, and a thread.
class EventRecorder::Shard {
 public:
  // One emit(), as queued: the times are when it happened, not when it is sent.
  struct Pending {
    ObjectReference regarding{};
    EventType type = EventType::kNormal;
    std::string reason{};
    std::string action{};
    std::string note{};
    core::SteadyTime at{};
    core::WallTime wallAt{};
  };

  explicit Shard(EventRecorder& owner) : owner_(owner) {}
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  bool enqueue(Pending&& p);  // false once stopping
  std::size_t processUntil(core::SteadyTime deadline);
  void requestStop(core::SteadyTime deadline);
  void join();  // after requestStop: the thread's last sends, or this thread's without one

 private:
  // An Event on the server and the occurrences folded into it.
  struct Series {
    std::string ns{};
    std::string objectName{};  // of the regarding object
    std::string name{};        // chosen before the create, so that a retried create is idempotent
    std::string event{};       // the created body, without `series`, as compact JSON text
                               // (a JSON tree is five times its size, and up to maxSeries
                               // are kept)
    bool created = false;
    int count = 1;     // occurrences seen
    int written = 0;   // occurrences the server knows of
    int failures = 0;  // of the current write
    core::SteadyTime lastObserved{};
    core::WallTime lastObservedWall{};
    core::SteadyTime lastWrite{};
  };

  void run();
  std::size_t record(const Pending& p);
  std::size_t write(Series& s, core::SteadyTime now);
  bool due(const Series& s, core::SteadyTime now) const;
  std::size_t flushDue(core::SteadyTime now);
  std::size_t finishAll(core::SteadyTime deadline);
  core::SteadyTime nextWakeLocked() const;
  std::string newName(const std::string& objectName);

  EventRecorder& owner_;
  const EventRecorderOptions& options() const { return owner_.options_; }
  const core::Clock& clock() const { return owner_.clock_; }

  mutable std::mutex mu_;  // the queue and the thread's state
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  core::SteadyTime stopDeadline_{};
  core::SteadyTime wakeAt_ = core::SteadyTime::max();  // the next series update due
  std::thread thread_;

  std::mutex sendMu_;  // the series and the sending, one sender at a time
  std::unordered_map<std::string, Series> series_;
  std::uint64_t lastSuffix_ = 0;
};

EventRecorder::EventRecorder(Client& client, EventRecorderOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::SystemClock::instance()) {
  if (options_.reportingInstance.empty()) options_.reportingInstance = hostName();
  options_.reportingInstance = truncateUtf8(options_.reportingInstance, kMaxShortField);
  options_.maxSeries = std::max<std::size_t>(options_.maxSeries, 1);
  options_.maxAttempts = std::max(options_.maxAttempts, 1);
  options_.senders = std::clamp<std::size_t>(options_.senders, 1, 64);
  for (std::size_t i = 0; i < options_.senders; ++i)
    shards_.push_back(std::make_unique<Shard>(*this));
  if (options_.background) {
    for (auto& s : shards_) s->start();
  }
}

EventRecorder::~EventRecorder() { stop(std::chrono::seconds(5)); }

bool EventRecorder::emit(const ObjectReference& regarding, EventType type, std::string_view reason,
                         std::string_view action, std::string_view note) {
  if (reason.empty() || action.empty() || regarding.name.empty()) {
    // A bug in the caller: the API server would reject the Event.
    spdlog::error("events: dropping an Event about {} '{}' without a reason, action or name",
                  regarding.kind, regarding.name);
    return false;
  }
  // Cut here, not in the sender, so that the queue's memory stays bounded too.
  Shard::Pending p;
  p.regarding = regarding;
  p.type = type;
  p.reason = truncateUtf8(reason, kMaxShortField);
  p.action = truncateUtf8(action, kMaxShortField);
  p.note = truncateUtf8(note, kMaxNoteBytes);
  p.at = clock_.steadyNow();
  p.wallAt = clock_.wallNow();
  if (stopped_.load()) return false;
  std::size_t q = queued_.load();
  while (q < options_.queueSize) {
    if (!queued_.compare_exchange_weak(q, q + 1)) continue;
    Shard& shard =
        *shards_[std::hash<std::string>{}(regarding.ns + "/" + regarding.name) % shards_.size()];
    if (!shard.enqueue(std::move(p))) {
      --queued_;
      return false;
    }
    burst_ = 0;
    return true;
  }
  const std::uint64_t total = ++dropped_;
  if (burst_++ > 0) return false;  // logged at the start of this burst
  spdlog::warn(
      "events: the queue is full ({} Events): dropping new Events until it drains "
      "({} dropped so far)",
      options_.queueSize, total);
  return false;
}

std::size_t EventRecorder::processPending() {
  std::size_t requests = 0;
  for (auto& s : shards_) requests += s->processUntil(core::SteadyTime::max());
  return requests;
}

void EventRecorder::stop(core::Duration timeout) {
  if (stopped_.exchange(true)) return;
  const auto deadline = addSaturating(clock_.steadyNow(), timeout);
  for (auto& s : shards_) s->requestStop(deadline);
  for (auto& s : shards_) s->join();
}

std::uint64_t EventRecorder::dropped() const { return dropped_.load(); }

std::size_t EventRecorder::queued() const { return queued_.load(); }

bool EventRecorder::Shard::enqueue(Pending&& p) {
  std::lock_guard<std::mutex> guard(mu_);
  if (stopping_) return false;
  queue_.push_back(std::move(p));
  cv_.notify_all();
  return true;
}

std::size_t EventRecorder::Shard::processUntil(core::SteadyTime deadline) {
  std::lock_guard<std::mutex> send(sendMu_);
  std::size_t requests = 0;
  std::size_t budget;  // what was queued on entry: a steady stream must not starve flushDue
  {
    std::lock_guard<std::mutex> guard(mu_);
    budget = queue_.size();
  }
  for (; budget > 0; --budget) {
    Pending p;
    {
      std::lock_guard<std::mutex> guard(mu_);
      const auto limit = stopping_ ? std::min(deadline, stopDeadline_) : deadline;
      if (queue_.empty() || clock().steadyNow() >= limit) break;
      p = std::move(queue_.front());
      queue_.pop_front();
      --owner_.queued_;
    }
    requests += record(p);
  }
  const auto now = clock().steadyNow();
  if (now < deadline) requests += flushDue(now);
  std::lock_guard<std::mutex> guard(mu_);
  wakeAt_ = nextWakeLocked();
  cv_.notify_all();
  return requests;
}

std::size_t EventRecorder::Shard::record(const Pending& p) {
  const std::string key = seriesKey(p);
  const auto now = clock().steadyNow();
  std::size_t requests = 0;
  if (auto it = series_.find(key); it != series_.end()) {
    Series& s = it->second;
    if (p.at - s.lastObserved < options().seriesWindow) {
      ++s.count;
      if (p.at > s.lastObserved) {
        s.lastObserved = p.at;
        s.lastObservedWall = p.wallAt;
      }
      return due(s, now) ? write(s, now) : 0;
    }
    if (s.written < s.count) requests += write(s, now);  // the old series' last count
    series_.erase(it);
  }
  // Each sender remembers its share of the series.
  const std::size_t senders = owner_.shards_.size();
  if (series_.size() >= (options().maxSeries + senders - 1) / senders) {
    // Forget the quietest series: its next repeat becomes a new Event.
    auto oldest = std::min_element(series_.begin(), series_.end(), [](auto& a, auto& b) {
      return a.second.lastObserved < b.second.lastObserved;
    });
    series_.erase(oldest);
  }

  Series s;
  s.ns = p.regarding.ns.empty() ? "default" : p.regarding.ns;
  s.objectName = p.regarding.name;
  s.name = newName(s.objectName);
  s.lastObserved = p.at;
  s.lastObservedWall = p.wallAt;
  Json e = Json::object();
  e["apiVersion"] = Json::string(resources::events.apiVersion());
  e["kind"] = Json::string("Event");
  Json meta = Json::object();
  meta["namespace"] = Json::string(s.ns);
  e["metadata"] = meta;
  e["eventTime"] = Json::string(formatMicroTime(p.wallAt));
  e["reportingController"] = Json::string(options().reportingController);
  e["reportingInstance"] = Json::string(options().reportingInstance);
  e["action"] = Json::string(p.action);
  e["reason"] = Json::string(p.reason);
  e["type"] = Json::string(typeName(p.type));
  if (!p.note.empty()) e["note"] = Json::string(p.note);
  e["regarding"] = referenceJson(p.regarding);
  s.event = e.serialize();
  auto [it, inserted] = series_.emplace(key, std::move(s));
  return requests + write(it->second, now);
}

// The create, and the patch that makes it a series, go at once; later counts and
// retries wait a heartbeat.
bool EventRecorder::Shard::due(const Series& s, core::SteadyTime now) const {
  if (s.written >= s.count) return false;
  if (s.failures == 0 && s.written <= 1) return true;
  return now - s.lastWrite >= options().heartbeat;
}

std::size_t EventRecorder::Shard::write(Series& s, core::SteadyTime now) {
  Client& client = owner_.client_;
  std::size_t requests = 1;
  auto create = [&]() {
    Json body = Json::parse(s.event);
    body["metadata"]["name"] = Json::string(s.name);
    if (s.count > 1) body["series"] = seriesJson(s.count, s.lastObservedWall);
    auto r = client.create(resources::events, s.ns, body, Reply::Discard);
    // An earlier attempt whose answer was lost may have created it.
    if (!r && isAlreadyExists(r.error()) && s.failures > 0) return core::Result<Json>(body);
    return r;
  };
  core::Result<Json> r = core::Error{};
  const char* verb = "create";
  if (s.created) {
    verb = "patch";
    Json patch = Json::object();
    patch["series"] = seriesJson(s.count, s.lastObservedWall);
    r = client.patch(resources::events, s.ns, s.name, PatchType::Merge, patch, "", Reply::Discard);
    if (!r && isNotFound(r.error())) {
      // Expired (the API server keeps Events for an hour) or deleted: start a new one.
      s.created = false;
      s.failures = 0;
      s.name = newName(s.objectName);
      verb = "create";
      ++requests;
      r = create();
    }
  } else {
    r = create();
  }
  s.lastWrite = now;
  if (r) {
    s.created = true;
    s.written = s.count;
    s.failures = 0;
    return requests;
  }
  const auto& e = r.error();
  if (retryable(e) && ++s.failures < options().maxAttempts) {
    spdlog::debug("events: {} of Event {}/{} failed, will retry: {}", verb, s.ns, s.name,
                  e.message);
    return requests;
  }
  // Give this count up; a later repeat tries again.
  spdlog::warn("events: {} of Event {}/{} failed: {}", verb, s.ns, s.name, e.message);
  s.failures = 0;
  s.written = s.count;
  return requests;
}

std::size_t EventRecorder::Shard::flushDue(core::SteadyTime now) {
  std::size_t requests = 0;
  for (auto it = series_.begin(); it != series_.end();) {
    Series& s = it->second;
    if (now - s.lastObserved >= options().seriesWindow) {
      if (s.written < s.count) requests += write(s, now);  // the series' last count
      it = series_.erase(it);
      continue;
    }
    if (due(s, now)) requests += write(s, now);
    ++it;
  }
  return requests;
}

namespace {

// Ending a series is bookkeeping (its last count, if any, is written then): it wakes the
// sender at most once per kExpiryBatch for every series ended by then. Woken once per
// series, a shard walked all of its series again for each of thousands of models whose
// series ended one by one, minutes after they all turned Ready.
constexpr core::Duration kExpiryBatch = std::chrono::seconds(10);

core::SteadyTime batched(core::SteadyTime t) {
  if (t >= core::SteadyTime::max() - kExpiryBatch) return t;
  const auto over = t.time_since_epoch() % kExpiryBatch;
  return over == core::Duration::zero() ? t : t + (kExpiryBatch - over);
}

}  // namespace

core::SteadyTime EventRecorder::Shard::nextWakeLocked() const {
  auto next = core::SteadyTime::max();
  for (const auto& [key, s] : series_) {
    if (s.written < s.count) next = std::min(next, addSaturating(s.lastWrite, options().heartbeat));
    next = std::min(next, batched(addSaturating(s.lastObserved, options().seriesWindow)));
  }
  return next;
}

std::string EventRecorder::Shard::newName(const std::string& objectName) {
  // client-go's <name>.<hex nanoseconds>, kept increasing so that two Events recorded in
  // one clock tick (or on a FakeClock) get two names.
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock().wallNow().time_since_epoch())
          .count();
  lastSuffix_ =
      std::max(static_cast<std::uint64_t>(std::max<std::int64_t>(nanos, 0)), lastSuffix_ + 1);
  char hex[24];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(lastSuffix_));
  std::string prefix = objectName.substr(0, kMaxNameBytes - 1 - std::strlen(hex));
  while (!prefix.empty() && (prefix.back() == '.' || prefix.back() == '-')) prefix.pop_back();
  return prefix + "." + hex;
}

void EventRecorder::Shard::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (queue_.empty() && clock().steadyNow() < wakeAt_) {
      clock().waitUntil(lock, cv_, wakeAt_);
      continue;
    }
    lock.unlock();
    processUntil(core::SteadyTime::max());
    lock.lock();
  }
  const auto deadline = stopDeadline_;
  lock.unlock();
  finishAll(deadline);
}

std::size_t EventRecorder::Shard::finishAll(core::SteadyTime deadline) {
  std::size_t requests = processUntil(deadline);
  {
    std::lock_guard<std::mutex> send(sendMu_);
    for (auto& [key, s] : series_) {
      if (clock().steadyNow() >= deadline) break;
      if (s.written < s.count) requests += write(s, clock().steadyNow());
    }
  }
  std::size_t left = 0;
  {
    std::lock_guard<std::mutex> guard(mu_);
    left = queue_.size();
    owner_.queued_ -= left;
    owner_.dropped_ += left;
    queue_.clear();
  }
  if (left > 0) spdlog::warn("events: stopped with {} Events unsent", left);
  return requests;
}

void EventRecorder::Shard::requestStop(core::SteadyTime deadline) {
  std::lock_guard<std::mutex> guard(mu_);
  stopping_ = true;
  stopDeadline_ = deadline;
  cv_.notify_all();
}

void EventRecorder::Shard::join() {
  if (thread_.joinable()) {
    thread_.join();
  } else {
    finishAll(stopDeadline_);
  }
}

bool RecordingEventEmitter::emit(const ObjectReference& regarding, EventType type,
                                 std::string_view reason, std::string_view action,
                                 std::string_view note) {
  std::lock_guard<std::mutex> guard(mu_);
  events_.push_back({regarding, type, std::string(reason), std::string(action),
                     std::string(truncateUtf8(note, EventRecorder::kMaxNoteBytes))});
  return true;
}

std::vector<RecordingEventEmitter::Emitted> RecordingEventEmitter::events() const {
  std::lock_guard<std::mutex> guard(mu_);
  return events_;
}

}  // namespace mlmodel::kube
