// A leader-election candidate for the integration test: one process per candidate, so a
// leader can be killed outright.
//
//   KUBECONFIG=... lease_contender <namespace> <lease> <identity> [lease renew retry]
//
// Timings are in seconds (default 3 2 0.5). Prints "LEADING <identity>" when it becomes
// leader, "STOPPED <identity>" when it stops leading and "LEADER <holder>" when it sees a
// new holder, one line each, flushed at once. SIGTERM or SIGINT stops it cleanly and
// releases the lease (exit 0); losing the lease exits 1; bad arguments or config exit 2.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "kube/client_factory.h"
#include "kube/leader_election.h"

namespace {

using namespace mlmodel;

void say(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

core::Duration secondsArg(const char* s) {
  return std::chrono::duration_cast<core::Duration>(std::chrono::duration<double>(std::stod(s)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 7) {
    std::fprintf(stderr, "usage: %s <namespace> <lease> <identity> [lease renew retry]\n", argv[0]);
    return 2;
  }
  // Signals are taken by sigwait() below; block them before any thread starts so that
  // every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);  // sent to ourselves when the lease is lost
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // stdout carries the protocol lines; logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("lease_contender"));
  const std::string ns = argv[1], name = argv[2], identity = argv[3];

  kube::LeaderElectionConfig le;
  le.identity = identity;
  try {
    le.leaseDuration = secondsArg(argc == 7 ? argv[4] : "3");
    le.renewDeadline = secondsArg(argc == 7 ? argv[5] : "2");
    le.retryPeriod = secondsArg(argc == 7 ? argv[6] : "0.5");
  } catch (const std::exception&) {
    std::fprintf(stderr, "timings must be numbers of seconds\n");
    return 2;
  }
  std::atomic<bool> stopping{false};
  le.callbacks.onStartedLeading = [&] { say("LEADING " + identity); };
  le.callbacks.onStoppedLeading = [&] {
    say("STOPPED " + identity);
    if (!stopping) kill(getpid(), SIGUSR1);
  };
  le.callbacks.onNewLeader = [](const std::string& who) { say("LEADER " + who); };

  auto cfg = kube::loadConfig({});
  if (!cfg) {
    spdlog::error("{}", cfg.error().message);
    return 2;
  }
  auto client = kube::makeClient(cfg.value(), kube::lockClientOptions(le));
  auto elector = kube::makeLeaderElector(kube::makeLeaseLock(*client, ns, name), le);
  if (!elector) {
    spdlog::error("{}", elector.error().message);
    return 2;
  }
  elector.value()->start();

  int sig = 0;
  sigwait(&signals, &sig);
  if (sig != SIGUSR1) stopping = true;
  elector.value()->stop();
  return sig == SIGUSR1 ? 1 : 0;
}
