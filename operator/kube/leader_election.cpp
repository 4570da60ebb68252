#include "kube/leader_election.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "core/json_read.h"
#include "core/time_format.h"
#include "kube/api_error.h"

namespace mlmodel::kube {

using namespace std::chrono;

namespace {

// The Lease keeps microseconds: write what the server will give back, so that a record we
// wrote compares equal to the one we read next.
core::WallTime toMicros(core::WallTime t) { return std::chrono::floor<microseconds>(t); }

std::string fmtSeconds(core::Duration d) {
  return fmt::format("{:g}s", duration_cast<duration<double>>(d).count());
}

// Reads `n` digits at s[pos]; false when they are not all digits.
bool digits(const std::string& s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(const std::string& s, size_t& pos, char c) {
  if (pos >= s.size() || (s[pos] != c && !(c == 'T' && s[pos] == 't'))) return false;
  ++pos;
  return true;
}

// MicroTime: RFC 3339 in UTC with six fractional digits, 2026-11-26T15:04:05.000000Z.
std::string formatLeaseTime(core::WallTime t) {
  const auto us = std::chrono::floor<microseconds>(t);
  const auto day = std::chrono::floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss hms{us - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return buf;
}

// RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM). The server writes MicroTime
// with 'Z' and six digits; the rest is accepted because it costs nothing.
std::optional<core::WallTime> parseLeaseTime(const std::string& s) {
  size_t p = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, p, 4, y) || !expect(s, p, '-') || !digits(s, p, 2, mo) || !expect(s, p, '-') ||
      !digits(s, p, 2, d) || !expect(s, p, 'T') || !digits(s, p, 2, h) || !expect(s, p, ':') ||
      !digits(s, p, 2, mi) || !expect(s, p, ':') || !digits(s, p, 2, sec)) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || y < core::kMinWallTimeYear || y > core::kMaxWallTimeYear || h > 23 || mi > 59 ||
      sec > 60) {
    return std::nullopt;
  }
  nanoseconds frac{0};
  if (p < s.size() && s[p] == '.') {
    ++p;
    const size_t start = p;
    long long value = 0;
    for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p) {
      if (p - start < 9) value = value * 10 + (s[p] - '0');
    }
    if (p == start) return std::nullopt;
    for (size_t n = std::min<size_t>(p - start, 9); n < 9; ++n) value *= 10;
    frac = nanoseconds{value};
  }
  minutes offset{0};
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    const int sign = s[p++] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!digits(s, p, 2, oh) || !expect(s, p, ':') || !digits(s, p, 2, om)) return std::nullopt;
    offset = minutes{sign * (oh * 60 + om)};
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const auto local = sys_days{ymd} + hours{h} + minutes{mi} + std::chrono::seconds{sec} + frac;
  return time_point_cast<core::WallTime::duration>(local - offset);
}

core::WallTime timeField(const Json& obj, const char* key) {
  if (!obj.has_string_field(key)) return {};
  return parseLeaseTime(obj.at(key).as_string()).value_or(core::WallTime{});
}

class KubeLeaseLock final : public LeaseLock {
 public:
  KubeLeaseLock(Client& client, std::string ns, std::string name)
      : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}

  core::Result<LeaseRecord> get() override {
    auto r = client_.get(resources::leases, ns_, name_);
    if (!r) return r.error();
    std::lock_guard lock(mu_);
    lease_ = std::move(r.value());
    return leaseRecordFromJson(lease_);
  }

  core::Status create(const LeaseRecord& record) override {
    Json lease = Json::object();
    lease["apiVersion"] = Json::string(resources::leases.apiVersion());
    lease["kind"] = Json::string("Lease");
    lease["metadata"]["name"] = Json::string(name_);
    lease["metadata"]["namespace"] = Json::string(ns_);
    lease["spec"] = leaseSpecJson(record);
    auto r = client_.create(resources::leases, ns_, lease);
    if (!r) return r.error();
    std::lock_guard lock(mu_);
    lease_ = std::move(r.value());
    return core::Ok{};
  }

  core::Status update(const LeaseRecord& record) override {
    Json lease;
    {
      std::lock_guard lock(mu_);
      if (lease_.is_null())
        return core::Error{"update of lease " + describe() + " before reading it"};
      lease = lease_;
    }
    // Set only our fields: spec fields this code does not know about stay as they are.
    if (!lease.has_object_field("spec")) lease["spec"] = Json::object();
    const Json spec = leaseSpecJson(record);
    for (const auto& [key, value] : spec.as_object()) lease["spec"][key] = value;
    // lease carries the resourceVersion we read: a compare-and-swap.
    auto r = client_.update(resources::leases, ns_, lease);
    if (!r) return r.error();
    std::lock_guard lock(mu_);
    lease_ = std::move(r.value());
    return core::Ok{};
  }

  std::string describe() const override { return ns_ + "/" + name_; }

 private:
  Client& client_;
  const std::string ns_;
  const std::string name_;
  std::mutex mu_;
  Json lease_;  // guarded by mu_; the object last read or written
};

}  // namespace

std::unique_ptr<LeaseLock> makeLeaseLock(Client& client, std::string ns, std::string name) {
  return std::make_unique<KubeLeaseLock>(client, std::move(ns), std::move(name));
}

Json leaseSpecJson(const LeaseRecord& record) {
  Json spec = Json::object();
  spec["holderIdentity"] = Json::string(record.holderIdentity);
  spec["leaseDurationSeconds"] = Json::number(record.leaseDurationSeconds);
  if (record.acquireTime != core::WallTime{}) {
    spec["acquireTime"] = Json::string(formatLeaseTime(record.acquireTime));
  }
  if (record.renewTime != core::WallTime{}) {
    spec["renewTime"] = Json::string(formatLeaseTime(record.renewTime));
  }
  spec["leaseTransitions"] = Json::number(record.leaseTransitions);
  return spec;
}

LeaseRecord leaseRecordFromJson(const Json& lease) {
  LeaseRecord r;
  if (!lease.has_object_field("spec")) return r;
  const auto& spec = lease.at("spec");
  if (spec.has_string_field("holderIdentity"))
    r.holderIdentity = spec.at("holderIdentity").as_string();
  r.leaseDurationSeconds = core::jsonInt32(spec, {"leaseDurationSeconds"});
  r.acquireTime = timeField(spec, "acquireTime");
  r.renewTime = timeField(spec, "renewTime");
  r.leaseTransitions = core::jsonInt32(spec, {"leaseTransitions"});
  return r;
}

core::Status validateLeaderElectionConfig(const LeaderElectionConfig& c) {
  const std::string pre = "leader election: ";
  if (c.identity.empty()) {
    return core::Error{pre +
                       "identity is empty; give each process its own, such as the pod "
                       "name plus a random suffix"};
  }
  if (c.retryPeriod <= core::Duration::zero()) {
    return core::Error{pre + "retryPeriod (" + fmtSeconds(c.retryPeriod) + ") must be positive"};
  }
  if (c.leaseDuration <= c.renewDeadline) {
    return core::Error{pre + "leaseDuration (" + fmtSeconds(c.leaseDuration) +
                       ") must be greater than renewDeadline (" + fmtSeconds(c.renewDeadline) +
                       "): a leader must give up before others may take over"};
  }
  if (duration<double>(c.renewDeadline) <= 1.2 * duration<double>(c.retryPeriod)) {
    return core::Error{pre + "renewDeadline (" + fmtSeconds(c.renewDeadline) +
                       ") must be greater than 1.2 x retryPeriod (" + fmtSeconds(c.retryPeriod) +
                       "): a leader needs time to retry a failed renewal"};
  }
  if (c.leaseDuration % std::chrono::seconds(1) != core::Duration::zero() ||
      c.leaseDuration > std::chrono::seconds(INT32_MAX)) {
    return core::Error{pre + "leaseDuration (" + fmtSeconds(c.leaseDuration) +
                       ") must be a whole number of seconds: the Lease stores seconds"};
  }
  if (!c.callbacks.onStartedLeading || !c.callbacks.onStoppedLeading) {
    return core::Error{pre + "the onStartedLeading and onStoppedLeading callbacks are required"};
  }
  return core::Ok{};
}

ClientOptions lockClientOptions(const LeaderElectionConfig& config, ClientOptions base) {
  base.timeout = std::max(milliseconds(1), duration_cast<milliseconds>(config.renewDeadline / 2));
  base.maxAttempts = 1;
  return base;
}

core::Result<std::unique_ptr<LeaderElector>> makeLeaderElector(std::unique_ptr<LeaseLock> lock,
                                                               LeaderElectionConfig config) {
  if (!lock) return core::Error{"leader election: no lock"};
  if (auto s = validateLeaderElectionConfig(config); !s) return s.error();
  return std::unique_ptr<LeaderElector>(new LeaderElector(std::move(lock), std::move(config)));
}

LeaderElector::LeaderElector(std::unique_ptr<LeaseLock> lock, LeaderElectionConfig config)
    : lock_(std::move(lock)),
      config_(std::move(config)),
      clock_(config_.clock ? *config_.clock : core::SystemClock::instance()) {}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
  watchdog_ = std::thread([this] { watchdog(); });
}

void LeaderElector::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto* t : {&thread_, &watchdog_}) {
    if (t->joinable() && t->get_id() != std::this_thread::get_id()) t->join();
  }
}

bool LeaderElector::isLeader() const {
  std::lock_guard lock(mu_);
  return leading_;
}

core::Status LeaderElector::holdsLease() const {
  std::lock_guard lock(mu_);
  if (!leading_) return core::Error{"this process does not lead lease " + lock_->describe()};
  if (clock_.steadyNow() >= renewDeadline_) {
    return core::Error{"lease " + lock_->describe() + " was not renewed within renewDeadline (" +
                       fmtSeconds(config_.renewDeadline) + ")"};
  }
  return core::Ok{};
}

std::string LeaderElector::observedLeader() const {
  std::lock_guard lock(mu_);
  return observedLeader_;
}

std::size_t LeaderElector::attempts() const {
  std::lock_guard lock(mu_);
  return attempts_;
}

void LeaderElector::run() {
  if (const auto acquiredAt = acquire()) renewLoop(*acquiredAt);
  std::unique_lock lock(mu_);
  // Still leading here means stop(): stop the work first, then hand the lease over.
  const bool shouldRelease = leading_ && config_.releaseOnStop;
  if (leading_) loseLeadership(lock, "stopping");
  lock.unlock();
  if (shouldRelease) release();
  lock.lock();
  finished_ = true;
  cv_.notify_all();
}

// Enforces renewDeadline independently of the elector thread, which may be stuck in a
// call to the API server.
void LeaderElector::watchdog() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (leading_ && startedNotified_) {
      if (clock_.steadyNow() >= renewDeadline_) {
        loseLeadership(lock, "no renewal succeeded within renewDeadline (" +
                                 fmtSeconds(config_.renewDeadline) + ")");
        return;
      }
      clock_.waitUntil(lock, cv_, renewDeadline_);
      continue;
    }
    if (stopping_ || lost_ || finished_) return;
    clock_.waitUntil(lock, cv_, core::SteadyTime::max());
  }
}

std::optional<core::SteadyTime> LeaderElector::acquire() {
  for (;;) {
    const auto start = clock_.steadyNow();
    {
      std::lock_guard lock(mu_);
      if (stopping_) return std::nullopt;
    }
    const auto result = tryAcquireOrRenew();
    reportLeader();
    if (result == Attempt::Success) {
      {
        std::lock_guard lock(mu_);
        leading_ = true;
        renewDeadline_ = start + config_.renewDeadline;
      }
      spdlog::info("leader election: {} acquired lease {}", config_.identity, lock_->describe());
      config_.callbacks.onStartedLeading();
      {
        std::lock_guard lock(mu_);
        startedNotified_ = true;
        ++attempts_;
      }
      cv_.notify_all();
      return start;
    }
    {
      std::lock_guard lock(mu_);
      ++attempts_;
    }
    // Also try the moment the holder's term runs out, rather than up to a retryPeriod
    // later: a takeover then takes at most leaseDuration + retryPeriod after the holder's
    // last renewal.
    auto next = start + config_.retryPeriod;
    if (result == Attempt::HeldByOther) {
      next = std::min(next, observedAt_ + observedLeaseDuration());
    }
    if (!sleepUntil(next)) return std::nullopt;
  }
}

void LeaderElector::renewLoop(core::SteadyTime lastAttempt) {
  for (;;) {
    // A fixed cadence from each attempt's start, so that slow calls do not add up.
    if (!sleepUntil(lastAttempt + config_.retryPeriod)) return;
    const auto start = clock_.steadyNow();
    {
      std::unique_lock lock(mu_);
      if (start >= renewDeadline_) {
        loseLeadership(lock, "no renewal succeeded within renewDeadline (" +
                                 fmtSeconds(config_.renewDeadline) + ")");
        return;
      }
    }
    const auto result = tryAcquireOrRenew();
    reportLeader();
    std::unique_lock lock(mu_);
    ++attempts_;
    if (!leading_) return;  // the watchdog gave up while the call was in flight
    if (result == Attempt::Success) {
      // The server applied the renewal at some point after `start`: counting from `start`
      // keeps our deadline ahead of every other candidate's view of the lease.
      renewDeadline_ = start + config_.renewDeadline;
    } else if (result == Attempt::HeldByOther) {
      loseLeadership(lock, "lease taken by " + observed_.holderIdentity);
      return;
    }
    lastAttempt = start;
  }
}

LeaderElector::Attempt LeaderElector::tryAcquireOrRenew() {
  const auto now = toMicros(clock_.wallNow());
  LeaseRecord desired{.holderIdentity = config_.identity,
                      .leaseDurationSeconds = static_cast<int>(
                          duration_cast<std::chrono::seconds>(config_.leaseDuration).count()),
                      .acquireTime = now,
                      .renewTime = now,
                      .leaseTransitions = 0};
  auto current = lock_->get();
  if (!current) {
    if (!isNotFound(current.error())) {
      spdlog::warn("leader election: reading lease {}: {}", lock_->describe(),
                   current.error().message);
      return Attempt::Failed;
    }
    if (auto s = lock_->create(desired); !s) {
      if (isAlreadyExists(s.error())) {
        spdlog::debug("leader election: another candidate created lease {} first",
                      lock_->describe());
      } else {
        spdlog::warn("leader election: creating lease {}: {}", lock_->describe(),
                     s.error().message);
      }
      return Attempt::Failed;
    }
    observe(desired, clock_.steadyNow());
    return Attempt::Success;
  }

  // Expiry counts from when *we* saw the record change, on our steady clock: the remote
  // renewTime is never compared with local wall time.
  const auto seenAt = clock_.steadyNow();
  if (!everObserved_ || current.value() != observed_) observe(current.value(), seenAt);
  const bool mine = observed_.holderIdentity == config_.identity;
  if (!observed_.holderIdentity.empty() && !mine &&
      seenAt < observedAt_ + observedLeaseDuration()) {
    return Attempt::HeldByOther;
  }
  if (mine) {
    desired.acquireTime = observed_.acquireTime;
    desired.leaseTransitions = observed_.leaseTransitions;
  } else {
    desired.leaseTransitions = observed_.leaseTransitions + 1;
  }
  if (auto s = lock_->update(desired); !s) {
    if (isConflict(s.error())) {
      spdlog::debug("leader election: lease {} changed under us; lost the race", lock_->describe());
    } else {
      spdlog::warn("leader election: updating lease {}: {}", lock_->describe(), s.error().message);
    }
    return Attempt::Failed;
  }
  observe(desired, clock_.steadyNow());
  return Attempt::Success;
}

core::Duration LeaderElector::observedLeaseDuration() const {
  // The holder's own term, as it wrote it; ours when the record lacks one.
  if (observed_.leaseDurationSeconds > 0) {
    return std::chrono::seconds(observed_.leaseDurationSeconds);
  }
  return config_.leaseDuration;
}

void LeaderElector::observe(const LeaseRecord& record, core::SteadyTime at) {
  observed_ = record;
  observedAt_ = at;
  everObserved_ = true;
  std::lock_guard lock(mu_);
  observedLeader_ = record.holderIdentity;
}

void LeaderElector::reportLeader() {
  if (!everObserved_ || observed_.holderIdentity == reportedLeader_) return;
  reportedLeader_ = observed_.holderIdentity;
  spdlog::info("leader election: lease {} is held by {}", lock_->describe(),
               reportedLeader_.empty() ? "nobody" : reportedLeader_);
  if (config_.callbacks.onNewLeader) config_.callbacks.onNewLeader(reportedLeader_);
}

bool LeaderElector::sleepUntil(core::SteadyTime at) {
  std::unique_lock lock(mu_);
  while (!stopping_ && !lost_ && clock_.steadyNow() < at) clock_.waitUntil(lock, cv_, at);
  return !stopping_ && !lost_;
}

void LeaderElector::loseLeadership(std::unique_lock<std::mutex>& lock, const std::string& why) {
  if (!leading_) return;
  leading_ = false;
  lost_ = !stopping_;
  const bool lost = lost_;
  lock.unlock();
  cv_.notify_all();
  spdlog::log(lost ? spdlog::level::warn : spdlog::level::info,
              "leader election: {} stopped leading lease {}: {}", config_.identity,
              lock_->describe(), why);
  config_.callbacks.onStoppedLeading();
  lock.lock();
}

void LeaderElector::release() {
  // No holder and a one-second term: the next candidate takes it at its next retry.
  const auto now = toMicros(clock_.wallNow());
  const LeaseRecord released{.holderIdentity = "",
                             .leaseDurationSeconds = 1,
                             .acquireTime = now,
                             .renewTime = now,
                             .leaseTransitions = observed_.leaseTransitions};
  if (auto s = lock_->update(released); !s) {
    spdlog::warn("leader election: releasing lease {}: {}", lock_->describe(), s.error().message);
    return;
  }
  observe(released, clock_.steadyNow());
  spdlog::info("leader election: {} released lease {}", config_.identity, lock_->describe());
}

}  // namespace mlmodel::kube
