#include <gtest/gtest.h>

#include "analysis/fake_provider.h"
#include "rollout/planner.h"

namespace mlmodel::rollout {
namespace {

using namespace std::chrono_literals;
using analysis::QueryResult;

class FakeSource final : public ProviderSource {
 public:
  core::Result<std::shared_ptr<analysis::MetricsProvider>> provider(
      const std::string&, const api::PrometheusRef&) override {
    ++calls;
    if (down) return core::Error{"prometheus unreachable", 0, "ProviderUnavailable"};
    return std::shared_ptr<analysis::MetricsProvider>(metrics);
  }
  std::shared_ptr<analysis::FakeMetricsProvider> metrics =
      std::make_shared<analysis::FakeMetricsProvider>();
  bool down = false;
  int calls = 0;
};

const Revision v1{"1.0", "reg/m:1.0", "sha256:aaaa", "hash-v1"};
const Revision v2{"2.0", "reg/m:2.0", "sha256:bbbb", "hash-v2"};
const Revision v3{"3.0", "reg/m:3.0", "sha256:cccc", "hash-v3"};

// Drives the planner the way the reconciler does: the cluster follows each plan at once
// (Deployments become ready and done when told), time moves by hand.
class PlannerTest : public ::testing::Test {
 protected:
  PlannerTest() {
    api::CanarySpec c;
    c.steps = {{10, 60s}, {50, 60s}};
    c.progressDeadline = 5min;
    c.analysis.interval = 30s;
    c.analysis.failureLimit = 2;
    c.analysis.consecutiveErrorLimit = 3;
    c.analysis.prometheus = api::PrometheusRef{"http://prom:9090", "", "", 10s};
    c.analysis.metrics = {
        {"error-rate", "errors{v=\"{{canary.version}}\"}", std::nullopt, 0.05, "Inconclusive"}};
    rollout.canary = c;
    setErrorRate(0.0);
  }

  void setErrorRate(double v) { source.metrics->setDefault(QueryResult::ofValue(v)); }

  // One reconcile: plan, then let the cluster settle as the plan asks when `settle`.
  Plan step(const Revision& target, bool settle = true) {
    PlanInput in;
    in.name = "m";
    in.ns = "ns";
    in.rollout = &rollout;
    in.monitoring = &monitoring;
    in.target = target;
    in.gates = gates;
    in.status = status;
    in.stable = stable;
    in.stable.current = stable.exists && running.templateHash == target.templateHash;
    in.canary = canary;
    in.replicas = 4;
    in.historyLimit = 10;
    in.now = now;
    Plan p = rounds ? planRollout(in, *rounds) : planRollout(in, source);
    status = p.status;
    if (settle) {
      if (p.stable) {
        running = *p.stable;
        stable = {true, true, true, 4, 4, 4};
      }
      if (p.canaryReplicas) {
        const int n = *p.canaryReplicas;
        canary = {true, true, canaryHealthy, n, canaryHealthy ? n : 0, canaryHealthy ? n : 0};
      } else {
        canary = {};
      }
    }
    return p;
  }

  static bool hasEvent(const Plan& p, const std::string& reason) {
    for (const auto& e : p.events) {
      if (e.reason == reason) return true;
    }
    return false;
  }

  // spec.monitoring: the error rate every 60 s, `failureLimit` failed rounds in a row.
  void watchErrorRate(int failureLimit, bool rollbackOnFailure) {
    monitoring.enabled = true;
    monitoring.interval = 60s;
    monitoring.failureLimit = failureLimit;
    monitoring.rollbackOnFailure = rollbackOnFailure;
    monitoring.prometheus = api::PrometheusRef{"http://prom:9090", "", "", 10s};
    monitoring.metrics = {{"error-rate", "errors", std::nullopt, 0.05, "Inconclusive"}};
  }

  // Monitoring with rollback; v1, then v2 promoted by the gate, its first check scheduled.
  void monitorV2AfterPromotion(int failureLimit) {
    watchErrorRate(failureLimit, true);
    deployV1();
    gates.promote = "2.0";
    step(v2);
    step(v2);
    step(v2);
    ASSERT_EQ(status.stable.revision.version, "2.0");
    step(v2);  // schedules the first check
  }

  // Deploys v1 as the first version.
  void deployV1() {
    Plan p = step(v1);
    ASSERT_TRUE(p.stable);
    ASSERT_FALSE(status.canary);
    step(v1);
  }

  api::RolloutSpec rollout;
  api::MonitoringSpec monitoring;
  Gates gates;
  RolloutStatus status;
  DeploymentView stable, canary;
  Revision running;
  bool canaryHealthy = true;
  FakeSource source;
  RoundSource* rounds = nullptr;  // null: measured at once through `source`
  WallTime now = WallTime{} + std::chrono::hours(24 * 365 * 56);
};

// Rounds measured elsewhere: each is "in progress" until released, then measured through
// `source` as the pool would.
class HeldRounds final : public RoundSource {
 public:
  explicit HeldRounds(ProviderSource& source) : direct_(source) {}
  std::optional<std::vector<analysis::Measurement>> round(const RoundRequest& r) override {
    asked.push_back(r.id);
    if (!released) return std::nullopt;
    return direct_.round(r);
  }
  std::vector<std::string> asked;
  bool released = false;

 private:
  DirectRounds direct_;
};

TEST_F(PlannerTest, FirstDeploymentHasNoCanary) {
  Plan p = step(v1);
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "1.0");
  EXPECT_FALSE(p.canaryReplicas);
  EXPECT_FALSE(status.canary);
  EXPECT_EQ(status.stable.revision.templateHash, "hash-v1");
  ASSERT_EQ(status.history.size(), 1u);
  EXPECT_EQ(status.history[0].outcome, kPromoted);
}

TEST_F(PlannerTest, HealthyCanaryWalksEveryStepAndIsPromoted) {
  deployV1();
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "CanaryStarted"));
  EXPECT_FALSE(p.stable) << "stable must be left alone during a canary";
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->weight, 10);
  ASSERT_TRUE(p.canaryReplicas);
  EXPECT_EQ(*p.canaryReplicas, canaryReplicasFor(10, 4));

  // The canary is ready: the step starts; the first analysis is one interval later.
  p = step(v2);
  ASSERT_TRUE(status.canary);
  ASSERT_TRUE(status.canary->stepStartedAt);
  EXPECT_EQ(status.canary->analysis.counts.rounds, 0);
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_EQ(*p.requeueAfter, 30s);

  now += 30s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "AnalysisPassed"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->analysis.counts.passed, 1);
  EXPECT_EQ(status.canary->step, 0) << "the step's pause (60s) has not elapsed";
  ASSERT_FALSE(source.metrics->queries().empty());
  EXPECT_EQ(source.metrics->queries().back(), "errors{v=\"2.0\"}");

  now += 30s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "StepAdvanced"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 1);
  EXPECT_EQ(status.canary->weight, 50);
  ASSERT_TRUE(p.canaryReplicas);
  EXPECT_EQ(*p.canaryReplicas, 4);

  p = step(v2);  // ready at 50%
  now += 30s;
  step(v2);
  now += 30s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Promoting"));
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "2.0") << "promotion rolls the stable Deployment to the canary";
  EXPECT_TRUE(p.canaryReplicas) << "the canary keeps serving until stable has rolled out";

  p = step(v2);  // stable is done with v2
  EXPECT_TRUE(hasEvent(p, "Promoted"));
  EXPECT_FALSE(p.canaryReplicas);
  EXPECT_FALSE(status.canary);
  EXPECT_EQ(status.stable.revision.version, "2.0");
  ASSERT_EQ(status.history.size(), 2u);
  EXPECT_EQ(status.history.back().outcome, kPromoted);
  EXPECT_EQ(status.history.back().revision.version, "2.0");
}

TEST_F(PlannerTest, FailingCanaryIsRolledBackAtFailureLimit) {
  deployV1();
  step(v2);
  step(v2);
  setErrorRate(0.5);
  now += 30s;
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "AnalysisFailed"));
  ASSERT_TRUE(status.canary) << "one failure of failureLimit 2 does not roll back";
  now += 30s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "RolledBack"));
  EXPECT_FALSE(p.canaryReplicas) << "the canary is removed";
  EXPECT_FALSE(p.stable) << "stable is left untouched";
  EXPECT_FALSE(status.canary);
  ASSERT_TRUE(p.stalled);
  EXPECT_EQ(p.stalled->reason, "AnalysisFailed");
  EXPECT_NE(p.stalled->message.find("0.5"), std::string::npos) << p.stalled->message;
  ASSERT_FALSE(status.history.empty());
  EXPECT_EQ(status.history.back().outcome, kRolledBack);
  EXPECT_EQ(status.stable.revision.version, "1.0");

  // The same spec stays refused (no new canary) and keeps saying why.
  p = step(v2);
  EXPECT_FALSE(p.canaryReplicas);
  EXPECT_FALSE(status.canary);
  ASSERT_TRUE(p.stalled);
  EXPECT_NE(p.stalled->message.find("retry"), std::string::npos);
}

TEST_F(PlannerTest, RetryAnnotationStartsTheSameVersionAgain) {
  gates.retry = "1";  // left in Git from an earlier retry: must not retry by itself
  deployV1();
  step(v2);
  step(v2);
  setErrorRate(0.5);
  for (int i = 0; i < 2; ++i) {
    now += 30s;
    step(v2);
  }
  ASSERT_FALSE(status.canary);
  Plan p = step(v2);
  EXPECT_FALSE(status.canary) << "an old retry value does not retry";
  gates.retry = "2";
  setErrorRate(0.0);
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "RetryRequested"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->analysis.counts.failed, 0) << "a retry starts a fresh analysis";
  EXPECT_EQ(status.lastRetry, "2");
}

TEST_F(PlannerTest, PrometheusDownNeverPromotesAndFailsSafe) {
  deployV1();
  step(v2);
  step(v2);
  source.down = true;
  for (int i = 0; i < 2; ++i) {
    now += 30s;
    Plan p = step(v2);
    EXPECT_TRUE(hasEvent(p, "AnalysisError"));
    ASSERT_TRUE(status.canary);
    EXPECT_EQ(status.canary->step, 0) << "no step advances without evidence";
  }
  now += 30s;
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "RolledBack"));
  ASSERT_TRUE(p.stalled);
  EXPECT_EQ(p.stalled->reason, "AnalysisErrors");
  EXPECT_EQ(status.stable.revision.version, "1.0");
}

TEST_F(PlannerTest, NoDataInconclusiveWaitsAndNoDataFailRollsBack) {
  deployV1();
  step(v2);
  step(v2);
  source.metrics->setDefault(QueryResult::noData());
  for (int i = 0; i < 4; ++i) {
    now += 30s;
    Plan p = step(v2);
    EXPECT_TRUE(hasEvent(p, "AnalysisInconclusive"));
  }
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 0) << "Inconclusive is not a pass";
  EXPECT_NE(status.canary->message.find("waiting for a passing analysis"), std::string::npos);

  rollout.canary->analysis.metrics[0].onNoData = "Fail";
  now += 30s;
  step(v2);
  now += 30s;
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "RolledBack"));

  // onNoData: Pass lets it through.
  rollout.canary->analysis.metrics[0].onNoData = "Pass";
  gates.retry = "go";
  step(v2);
  step(v2);
  now += 30s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "AnalysisPassed"));
}

TEST_F(PlannerTest, CanaryThatNeverTurnsReadyHitsTheProgressDeadline) {
  deployV1();
  canaryHealthy = false;
  step(v2);
  Plan p = step(v2);
  ASSERT_TRUE(p.reconciling);
  EXPECT_EQ(p.reconciling->reason, "CanaryNotReady");
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_LE(*p.requeueAfter, 5min);
  now += 5min;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "RolledBack"));
  ASSERT_TRUE(p.stalled);
  EXPECT_EQ(p.stalled->reason, "ProgressDeadlineExceeded");
  EXPECT_EQ(source.calls, 0) << "a canary that is not ready is never analysed";
}

TEST_F(PlannerTest, NewSpecMidRolloutRestartsTheCanary) {
  deployV1();
  step(v2);
  step(v2);
  now += 30s;
  step(v2);
  now += 30s;
  step(v2);
  ASSERT_TRUE(status.canary);
  ASSERT_EQ(status.canary->step, 1);
  Plan p = step(v3);
  EXPECT_TRUE(hasEvent(p, "CanaryRestarted"));
  EXPECT_TRUE(hasEvent(p, "CanaryStarted"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->revision.version, "3.0");
  EXPECT_EQ(status.canary->step, 0);
  EXPECT_EQ(status.canary->analysis.counts.rounds, 0);
  ASSERT_FALSE(status.history.empty());
  EXPECT_EQ(status.history.back().outcome, kAborted);
  EXPECT_EQ(status.history.back().reason, "Superseded");
}

TEST_F(PlannerTest, RevertToStableEndsTheCanaryAtOnce) {
  deployV1();
  step(v2);
  step(v2);
  Plan p = step(v1);
  EXPECT_TRUE(hasEvent(p, "CanaryEnded"));
  EXPECT_FALSE(p.canaryReplicas);
  EXPECT_FALSE(status.canary);
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "1.0");
  EXPECT_FALSE(p.stalled);
}

TEST_F(PlannerTest, PauseHoldsTheStepAndResumeContinues) {
  deployV1();
  step(v2);
  step(v2);
  gates.paused = true;
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Paused"));
  for (int i = 0; i < 4; ++i) {
    now += 30s;
    step(v2);
  }
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 0);
  EXPECT_EQ(status.canary->phase, CanaryPhase::Paused);
  gates.paused = false;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Resumed"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 1) << "the pause had elapsed and analysis passed";
}

TEST_F(PlannerTest, PausedBeforeTheCanaryIsReadyReportsPausedAndNoDeadlineRuns) {
  deployV1();
  gates.paused = true;
  canaryHealthy = false;
  step(v2);
  Plan p = step(v2);
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->phase, CanaryPhase::Paused);
  ASSERT_TRUE(p.reconciling);
  EXPECT_EQ(p.reconciling->reason, "Paused");
  EXPECT_NE(p.reconciling->message.find("0 of 1 canary pods available"), std::string::npos)
      << p.reconciling->message;
  now += 10min;  // twice the progress deadline
  p = step(v2);
  EXPECT_FALSE(p.stalled) << "a paused rollout is not judged";
  EXPECT_TRUE(p.canaryReplicas);
  gates.paused = false;
  p = step(v2);
  EXPECT_FALSE(p.stalled) << "the deadline starts on resume";
  ASSERT_TRUE(p.reconciling);
  EXPECT_EQ(p.reconciling->reason, "CanaryNotReady");
  now += 5min;
  p = step(v2);
  ASSERT_TRUE(p.stalled);
  EXPECT_EQ(p.stalled->reason, "ProgressDeadlineExceeded");
}

TEST_F(PlannerTest, PromoteAnnotationSkipsTheRemainingSteps) {
  deployV1();
  step(v2);
  gates.promote = "2.0";
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "PromoteRequested"));
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "2.0");
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Promoted"));
  EXPECT_EQ(status.stable.revision.version, "2.0");
}

TEST_F(PlannerTest, PromoteAnnotationForAnotherVersionDoesNothing) {
  deployV1();
  gates.promote = "1.5";
  step(v2);
  Plan p = step(v2);
  EXPECT_FALSE(hasEvent(p, "PromoteRequested"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->phase, CanaryPhase::Progressing);
}

TEST_F(PlannerTest, AbortRollsBackAndRefusesUntilRetry) {
  deployV1();
  step(v2);
  gates.abort = "2.0";
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Aborted"));
  EXPECT_FALSE(status.canary);
  ASSERT_FALSE(status.history.empty());
  EXPECT_EQ(status.history.back().outcome, kAborted);
  ASSERT_TRUE(p.stalled);
  p = step(v2);
  EXPECT_FALSE(status.canary);
}

TEST_F(PlannerTest, RestartMidRolloutResumesFromStatusWithoutRepeatingAStep) {
  deployV1();
  step(v2);
  step(v2);
  now += 30s;
  step(v2);
  // A new operator process: only the stored status survives (round-trip it through JSON).
  Json stored = Json::object();
  encodeRolloutStatus(status, stored);
  status = decodeRolloutStatus(Json::parse(stored.serialize()));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->analysis.counts.passed, 1);
  const int queries = static_cast<int>(source.metrics->queries().size());
  Plan p = step(v2);
  EXPECT_EQ(static_cast<int>(source.metrics->queries().size()), queries)
      << "no analysis is due yet: none is repeated";
  EXPECT_FALSE(hasEvent(p, "CanaryStarted"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 0);
  now += 30s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "StepAdvanced"));
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 1);
}

TEST_F(PlannerTest, SpecBackToAPromotedVersionSkipsTheCanary) {
  deployV1();
  gates.promote = "2.0";
  step(v2);
  step(v2);
  step(v2);
  ASSERT_EQ(status.stable.revision.version, "2.0");
  gates.promote.clear();
  Plan p = step(v1);
  EXPECT_TRUE(hasEvent(p, "CanarySkipped"));
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "1.0");
  EXPECT_FALSE(status.canary);
}

TEST_F(PlannerTest, WithoutCanaryConfigAChangeRollsInPlace) {
  rollout.canary.reset();
  deployV1();
  Plan p = step(v2);
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "2.0");
  EXPECT_FALSE(p.canaryReplicas);
  ASSERT_FALSE(status.history.empty());
  EXPECT_EQ(status.history.back().reason, "RollingUpdate");
}

TEST_F(PlannerTest, GatewayWeightsFollowTheStepsAndOnlyReadyCanariesGetTraffic) {
  rollout.canary->traffic.kind = api::TrafficSpec::Kind::GatewayAPI;
  rollout.canary->traffic.httpRoute = "r";
  deployV1();
  Plan p = step(v2, false);  // the canary Deployment is not ready yet
  ASSERT_TRUE(p.routeCanaryWeight);
  EXPECT_EQ(*p.routeCanaryWeight, 0);
  step(v2);
  p = step(v2);
  EXPECT_EQ(*p.routeCanaryWeight, 10);
  now += 30s;
  step(v2);
  now += 30s;
  p = step(v2);  // advances to 50: stays at 10 until the canary is ready at its new size
  EXPECT_EQ(*p.routeCanaryWeight, 10);
  p = step(v2);
  EXPECT_EQ(*p.routeCanaryWeight, 50);
  now += 60s;
  step(v2);
  p = step(v2);  // promoted
  ASSERT_TRUE(p.routeCanaryWeight);
  EXPECT_EQ(*p.routeCanaryWeight, 0);
}

TEST_F(PlannerTest, MonitoringTurnsDegradedAndRollsBackWhenAsked) {
  monitorV2AfterPromotion(2);
  ASSERT_FALSE(HasFatalFailure());
  setErrorRate(0.3);
  now += 60s;
  Plan p = step(v2);
  EXPECT_TRUE(hasEvent(p, "MonitoringCheckFailed"));
  EXPECT_FALSE(p.degraded);
  now += 60s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Degraded"));
  EXPECT_TRUE(hasEvent(p, "RolledBack"));
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "1.0") << "rolled back to the previous stable digest";
  EXPECT_EQ(status.stable.revision.version, "1.0");
  ASSERT_FALSE(status.history.empty());
  EXPECT_EQ(status.history.back().outcome, kRolledBack);
  EXPECT_EQ(status.history.back().reason, "Degraded");
  p = step(v2);
  EXPECT_FALSE(status.canary) << "the degraded version is not rolled out again by itself";
  ASSERT_TRUE(p.stalled);
}

TEST_F(PlannerTest, TheVersionRolledBackToIsMonitoredWhileTheSpecNamesTheRefusedOne) {
  monitorV2AfterPromotion(1);
  ASSERT_FALSE(HasFatalFailure());
  setErrorRate(0.3);
  now += 60s;
  Plan p = step(v2);
  ASSERT_TRUE(hasEvent(p, "RolledBack"));
  ASSERT_EQ(status.stable.revision.version, "1.0");
  step(v2);  // v1 runs again; its first check is scheduled
  ASSERT_TRUE(status.monitoring.nextCheckAt) << "v1 is not watched after the rollback";
  setErrorRate(0.0);
  now += 60s;
  p = step(v2);
  ASSERT_EQ(p.measured.size(), 1u) << "v1 was not measured";
  EXPECT_EQ(p.measuredTrack, "stable");
  EXPECT_EQ(p.measured[0].verdict, analysis::Verdict::Passed);
  EXPECT_EQ(status.monitoring.passed, 1);
  ASSERT_TRUE(p.stalled) << "the refused version is still reported";
  EXPECT_FALSE(p.degraded);
}

// v3 failed and stays refused while v2, the stable version, degrades and is rolled back to
// v1 in the same plan: the refused version is still the one the Stalled condition names.
TEST_F(PlannerTest, ARollbackOfTheStableWhileATargetIsRefusedStillNamesTheRefusedOne) {
  monitorV2AfterPromotion(1);
  ASSERT_FALSE(HasFatalFailure());
  gates.promote.clear();
  gates.abort = "3.0";
  step(v3);  // the canary starts and is aborted at once
  ASSERT_FALSE(status.canary);
  ASSERT_EQ(status.history.back().revision.version, "3.0");
  gates.abort.clear();
  step(v3);  // refused; stable v2 keeps running and is watched
  ASSERT_TRUE(status.monitoring.nextCheckAt);
  setErrorRate(0.3);
  now += 60s;
  Plan p = step(v3);
  EXPECT_TRUE(hasEvent(p, "RolledBack"));
  EXPECT_EQ(status.stable.revision.version, "1.0");
  ASSERT_TRUE(p.stalled);
  EXPECT_EQ(p.stalled->reason, "AbortRequested");
  EXPECT_EQ(p.stalled->message.rfind("version 3.0 was aborted", 0), 0u) << p.stalled->message;
}

TEST_F(PlannerTest, MonitoringWithoutRollbackOnlyReportsDegraded) {
  watchErrorRate(1, false);
  deployV1();
  step(v1);
  setErrorRate(0.3);
  now += 60s;
  Plan p = step(v1);
  ASSERT_TRUE(p.degraded);
  EXPECT_FALSE(p.stalled);
  setErrorRate(0.0);
  now += 60s;
  p = step(v1);
  EXPECT_TRUE(hasEvent(p, "Recovered"));
  EXPECT_FALSE(p.degraded);
}

TEST_F(PlannerTest, ACanaryWaitsForTheRoundDueWhileItIsMeasuredElsewhere) {
  deployV1();
  step(v2);
  step(v2);  // ready: the first round is due in 30 s
  now += 30s;
  step(v2);
  ASSERT_TRUE(status.canary);
  ASSERT_EQ(status.canary->analysis.counts.passed, 1);

  HeldRounds held(source);
  rounds = &held;
  now += 30s;  // the pause (60 s) is over and a passing round is in, but the next is due
  Plan p = step(v2);
  EXPECT_FALSE(hasEvent(p, "StepAdvanced")) << "nothing advances on an older round";
  EXPECT_EQ(status.canary->step, 0);
  EXPECT_EQ(status.canary->analysis.counts.rounds, 1);
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_EQ(*p.requeueAfter, 5s) << "no busy loop while the round is measured";
  ASSERT_EQ(held.asked.size(), 1u);
  p = step(v2);
  ASSERT_EQ(held.asked.size(), 2u);
  EXPECT_EQ(held.asked[0], held.asked[1]) << "the same round, asked for again";
  EXPECT_NE(held.asked[0].find("ns/m|canary|hash-v2|1|"), std::string::npos) << held.asked[0];

  setErrorRate(0.5);  // what the round finds
  held.released = true;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "AnalysisFailed"));
  EXPECT_FALSE(hasEvent(p, "StepAdvanced")) << "the round that was due judged the step";
  EXPECT_EQ(status.canary->analysis.counts.failed, 1);
  EXPECT_EQ(status.canary->step, 0);
}

TEST_F(PlannerTest, APausedCanaryWhoseRoundIsMeasuredElsewhereStillSaysPaused) {
  deployV1();
  step(v2);
  step(v2);
  gates.paused = true;
  step(v2);
  HeldRounds held(source);
  rounds = &held;
  now += 30s;  // a round falls due while paused (analysis keeps running)
  Plan p = step(v2);
  ASSERT_EQ(held.asked.size(), 1u);
  ASSERT_TRUE(p.reconciling);
  EXPECT_EQ(p.reconciling->reason, "Paused");
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_EQ(*p.requeueAfter, 5s);
}

TEST_F(PlannerTest, AModelStaysDegradedWhileItsNextCheckIsMeasuredElsewhere) {
  watchErrorRate(1, false);
  deployV1();
  step(v1);
  setErrorRate(0.3);
  now += 60s;
  Plan p = step(v1);
  ASSERT_TRUE(p.degraded);

  HeldRounds held(source);
  rounds = &held;
  setErrorRate(0.0);
  now += 60s;
  p = step(v1);
  EXPECT_TRUE(p.degraded) << "an unfinished check changes nothing";
  EXPECT_FALSE(hasEvent(p, "Recovered"));
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_EQ(*p.requeueAfter, 5s);
  held.released = true;
  p = step(v1);
  EXPECT_TRUE(hasEvent(p, "Recovered"));
  EXPECT_FALSE(p.degraded);
}

TEST_F(PlannerTest, HistoryIsBoundedByTheLimit) {
  rollout.canary.reset();
  deployV1();
  for (int i = 0; i < 15; ++i) step(i % 2 ? v1 : v2);
  EXPECT_EQ(status.history.size(), 10u);
}

TEST_F(PlannerTest, ACanaryWithoutAnalysisMovesOnItsPausesAlone) {
  rollout.canary->analysis.metrics.clear();
  deployV1();
  step(v2);
  Plan p = step(v2);  // ready: the step's pause starts
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->message, "step 1 of 2, weight 10% (actual 20%)");
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_EQ(*p.requeueAfter, 60s) << "the pause's end, with no round to wait for";
  now += 60s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "StepAdvanced"));
  step(v2);
  now += 60s;
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Promoting"));
  p = step(v2);
  ASSERT_TRUE(hasEvent(p, "Promoted"));
  EXPECT_NE(p.events.back().message.find("no analysis configured"), std::string::npos)
      << p.events.back().message;
  EXPECT_EQ(source.calls, 0) << "nothing is measured";
}

TEST_F(PlannerTest, APromotionWaitsUntilTheStableDeploymentRunsTheNewVersion) {
  deployV1();
  step(v2);
  gates.promote = "2.0";
  Plan p = step(v2, false);  // the stable Deployment has not rolled out yet
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "2.0");
  EXPECT_TRUE(p.canaryReplicas) << "the canary keeps serving meanwhile";
  ASSERT_TRUE(p.reconciling);
  EXPECT_EQ(p.reconciling->reason, "Promoting");
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->phase, CanaryPhase::Promoting);
  EXPECT_EQ(status.stable.revision.version, "1.0");
  gates.promote.clear();  // promotion, once begun, does not need the annotation
  step(v2);
  p = step(v2);
  EXPECT_TRUE(hasEvent(p, "Promoted"));
  EXPECT_EQ(status.stable.revision.version, "2.0");
}

TEST_F(PlannerTest, ACanaryWhoseSpecLostEveryStepIsPromoted) {
  deployV1();
  step(v2);
  rollout.canary->steps.clear();
  Plan p = step(v2);
  ASSERT_TRUE(hasEvent(p, "PromoteRequested"));
  EXPECT_NE(p.events.front().message.find("no canary steps any more"), std::string::npos)
      << p.events.front().message;
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "2.0");
}

TEST_F(PlannerTest, ACanaryPastTheStepsTheSpecStillHasStaysOnTheLastOne) {
  deployV1();
  step(v2);
  step(v2);
  now += 30s;
  step(v2);
  now += 30s;
  step(v2);
  ASSERT_TRUE(status.canary);
  ASSERT_EQ(status.canary->step, 1);
  rollout.canary->steps = {{20, 60s}};
  Plan p = step(v2);
  ASSERT_TRUE(status.canary);
  EXPECT_EQ(status.canary->step, 0);
  EXPECT_EQ(status.canary->weight, 20);
  ASSERT_TRUE(p.canaryReplicas);
  EXPECT_EQ(*p.canaryReplicas, canaryReplicasFor(20, 4));
  EXPECT_FALSE(hasEvent(p, "StepAdvanced"));
  EXPECT_FALSE(hasEvent(p, "Promoting"));
}

TEST_F(PlannerTest, ADegradedFirstVersionHasNothingToRollBackTo) {
  watchErrorRate(1, true);
  deployV1();  // its first check is scheduled
  setErrorRate(0.3);
  now += 60s;
  Plan p = step(v1);
  EXPECT_TRUE(hasEvent(p, "Degraded"));
  EXPECT_TRUE(hasEvent(p, "RollbackImpossible"));
  EXPECT_FALSE(hasEvent(p, "RolledBack"));
  EXPECT_TRUE(p.degraded);
  EXPECT_FALSE(p.stalled);
  ASSERT_TRUE(p.stable);
  EXPECT_EQ(p.stable->version, "1.0");
  EXPECT_EQ(status.stable.revision.version, "1.0");
}

TEST(CanaryReplicas, StableIsNeverScaledDownAndTheCanaryGetsItsShare) {
  EXPECT_EQ(canaryReplicasFor(10, 4), 1);
  EXPECT_EQ(canaryReplicasFor(50, 4), 4);
  EXPECT_EQ(canaryReplicasFor(25, 9), 3);
  EXPECT_EQ(canaryReplicasFor(90, 3), 3);
  EXPECT_EQ(canaryReplicasFor(10, 0), 1);
  EXPECT_EQ(actualWeight(1, 4), 20);
  EXPECT_EQ(actualWeight(0, 4), 0);
}

}  // namespace
}  // namespace mlmodel::rollout
