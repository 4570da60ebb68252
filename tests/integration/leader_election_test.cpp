// Leader election against the real kube-apiserver: the Lease lock's compare-and-swap, and
// two candidate processes (lease_contender) racing for one Lease.
#include "kube/leader_election.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "cluster_env.h"

extern char** environ;

namespace mlmodel::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using kube::LeaseRecord;

// The contenders' timings: short, so that a takeover takes seconds.
constexpr auto kLeaseDuration = 3s;
constexpr auto kRenewDeadline = 2s;
constexpr auto kRetryPeriod = 500ms;
// Process start, API round trips and scheduling on a loaded two-core machine.
constexpr auto kMargin = 500ms;

double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// One lease_contender process, its stdout read line by line as it arrives.
class Contender {
 public:
  Contender(const std::string& ns, const std::string& lease, std::string identity)
      : identity_(std::move(identity)) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed";
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    std::vector<std::string> args{LEASE_CONTENDER_PATH,
                                  ns,
                                  lease,
                                  identity_,
                                  std::to_string(secs(kLeaseDuration)),
                                  std::to_string(secs(kRenewDeadline)),
                                  std::to_string(secs(kRetryPeriod))};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << std::strerror(rc);
      pid_ = -1;
      close(fds[0]);
      return;
    }
    reader_ = std::thread([this, fd = fds[0]] { readLines(fd); });
  }
  ~Contender() {
    if (pid_ > 0 && !exitCode_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (reader_.joinable()) reader_.join();
  }

  const std::string& identity() const { return identity_; }
  void signal(int sig) const { kill(pid_, sig); }

  // When the process printed `line`, if it did.
  std::optional<Clock::time_point> printedAt(const std::string& line) const {
    std::lock_guard lock(mu_);
    for (const auto& [at, l] : lines_) {
      if (l == line) return at;
    }
    return std::nullopt;
  }
  bool printed(const std::string& line) const { return printedAt(line).has_value(); }
  int count(const std::string& prefix) const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& entry : lines_) n += entry.second.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }

  // The exit code (128 + signal when killed), or nullopt if it is still running.
  std::optional<int> waitExit(std::chrono::milliseconds timeout) {
    eventually(
        [&] {
          int status = 0;
          if (exitCode_) return true;
          if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
          exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          return true;
        },
        timeout);
    return exitCode_;
  }

 private:
  void readLines(int fd) {
    FILE* in = fdopen(fd, "r");
    char* buf = nullptr;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&buf, &cap, in)) > 0) {
      std::string line(buf, static_cast<size_t>(n));
      if (!line.empty() && line.back() == '\n') line.pop_back();
      std::lock_guard lock(mu_);
      lines_.emplace_back(Clock::now(), std::move(line));
    }
    std::free(buf);
    std::fclose(in);
  }

  std::string identity_;
  pid_t pid_ = -1;
  std::optional<int> exitCode_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::vector<std::pair<Clock::time_point, std::string>> lines_;
};

using LeaderElectionTest = ClusterTest;

TEST_F(LeaderElectionTest, LeaseLockIsACompareAndSwapOnTheServer) {
  auto lockA = kube::makeLeaseLock(client(), ns_, "cas");
  auto lockB = kube::makeLeaseLock(client(), ns_, "cas");
  auto missing = lockA->get();
  ASSERT_FALSE(missing);
  EXPECT_TRUE(kube::isNotFound(missing.error())) << missing.error().message;

  const core::WallTime now =
      std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
  LeaseRecord rec{.holderIdentity = "a",
                  .leaseDurationSeconds = 3,
                  .acquireTime = now,
                  .renewTime = now + 1500us,
                  .leaseTransitions = 0};
  auto created = lockA->create(rec);
  ASSERT_TRUE(created) << created.error().message;
  auto again = lockB->create(rec);
  ASSERT_FALSE(again);
  EXPECT_TRUE(kube::isAlreadyExists(again.error())) << again.error().message;

  auto read = lockB->get();
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read.value(), rec);  // microseconds survive the round trip

  auto byB = rec;
  byB.holderIdentity = "b";
  byB.leaseTransitions = 1;
  auto updated = lockB->update(byB);
  ASSERT_TRUE(updated) << updated.error().message;
  auto stale = lockA->update(rec);  // A still holds the version it created
  ASSERT_FALSE(stale);
  EXPECT_TRUE(kube::isConflict(stale.error())) << stale.error().message;

  auto raw = client().get(kube::resources::leases, ns_, "cas");
  ASSERT_TRUE(raw) << raw.error().message;
  const auto& spec = raw.value().at("spec");
  EXPECT_EQ(spec.at("holderIdentity").as_string(), "b");
  EXPECT_EQ(spec.at("renewTime").as_string().size(),
            std::string("2026-11-26T15:04:05.000000Z").size());
}

TEST_F(LeaderElectionTest, OneOfTwoProcessesLeadsAKilledLeaderIsReplacedAStoppedOneReleases) {
  const std::string lease = "le-" + randomSuffix();
  auto holder = [&]() -> std::optional<LeaseRecord> {
    auto r = client().get(kube::resources::leases, ns_, lease);
    if (!r) return std::nullopt;
    return kube::leaseRecordFromJson(r.value());
  };
  Contender a(ns_, lease, "a-" + randomSuffix());
  Contender b(ns_, lease, "b-" + randomSuffix());

  // Exactly one leads, and the Lease names it.
  std::optional<LeaseRecord> rec;
  ASSERT_TRUE(eventually([&] {
    rec = holder();
    return rec && (a.printed("LEADING " + rec->holderIdentity) ||
                   b.printed("LEADING " + rec->holderIdentity));
  })) << "no leader; a printed "
      << a.count("") << " lines, b " << b.count("");
  Contender& leader = rec->holderIdentity == a.identity() ? a : b;
  Contender& other = &leader == &a ? b : a;
  ASSERT_EQ(rec->holderIdentity, leader.identity());
  EXPECT_EQ(rec->leaseDurationSeconds, 3);
  EXPECT_EQ(rec->leaseTransitions, 0);

  // It keeps the lease across several lease durations; the other only follows.
  ASSERT_TRUE(eventually([&] { return other.printed("LEADER " + leader.identity()); }));
  const auto watchUntil = Clock::now() + 2 * kLeaseDuration;
  while (Clock::now() < watchUntil) {
    ASSERT_EQ(other.count("LEADING"), 0);
    ASSERT_EQ(leader.count("STOPPED"), 0);
    std::this_thread::sleep_for(100ms);
  }
  rec = holder();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->holderIdentity, leader.identity());
  EXPECT_EQ(leader.count("LEADING"), 1);

  // SIGKILL: no release. The other takes over once the lease runs out.
  const auto killedAt = Clock::now();
  leader.signal(SIGKILL);
  ASSERT_TRUE(leader.waitExit(5s));
  ASSERT_TRUE(eventually([&] { return other.printed("LEADING " + other.identity()); }, 15s));
  const auto takeover = *other.printedAt("LEADING " + other.identity()) - killedAt;
  std::printf("takeover after SIGKILL of the leader: %.3f s (lease %.1f s, retry %.1f s)\n",
              secs(takeover), secs(kLeaseDuration), secs(kRetryPeriod));
  EXPECT_LE(takeover, kLeaseDuration + kRetryPeriod + kMargin);
  // Not before the killed leader's last renewal (at most one retry period before the
  // kill) could have expired.
  EXPECT_GE(takeover, kLeaseDuration - kRetryPeriod - 100ms);
  rec = holder();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->holderIdentity, other.identity());
  EXPECT_EQ(rec->leaseTransitions, 1);

  // SIGTERM: the new leader stops its work and releases the lease at once.
  const auto termAt = Clock::now();
  other.signal(SIGTERM);
  ASSERT_TRUE(eventually(
      [&] {
        rec = holder();
        return rec && rec->holderIdentity.empty();
      },
      10s));
  const auto released = Clock::now() - termAt;
  std::printf("lease released %.3f s after SIGTERM\n", secs(released));
  EXPECT_LT(released, kRenewDeadline);
  EXPECT_EQ(rec->leaseDurationSeconds, 1);
  EXPECT_EQ(other.waitExit(5s), std::optional<int>(0));
  EXPECT_TRUE(other.printed("STOPPED " + other.identity()));
  EXPECT_EQ(other.count("LEADING"), 1);
}

}  // namespace
}  // namespace mlmodel::testing
