#pragma once

// Internal to rollout/: the state of one planning pass and the steps that share it. Code
// outside rollout/ uses planner.h. planner.cpp runs the steps in order; each file below
// holds a group of them. A step returns Pass::Done when it has finished the plan.

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "analysis/analysis_run.h"
#include "rollout/planner.h"

namespace mlmodel::rollout::planning {

using Millis = std::chrono::milliseconds;

inline constexpr size_t kMeasurementsKept = 20;
// How often a plan waiting on a round measured elsewhere looks again (the source also
// queues the model the moment the round is in).
inline constexpr Millis kRoundRecheck{5000};

std::string pct(int weight);              // "10%"
std::string describe(const Revision& r);  // "1.4.0 (sha256:...)"
// How a refused (rolled back or aborted) revision is tried again, for the Stalled message.
std::string refusedHow(const Revision& r);
std::string epochMillis(WallTime t);  // names a round by when it fell due
std::string roundSummary(const std::vector<analysis::Measurement>& round);
std::vector<analysis::MetricCheck> checksOf(const std::vector<api::MetricSpec>& specs);

// What a step says of the plan: the next step runs, or the plan is done for this pass.
enum class Pass { Continue, Done };

// One planRollout call: reads `in`, takes at most one round from `rounds`, fills a Plan.
class Planner {
 public:
  Planner(const PlanInput& in, RoundSource& rounds);
  Plan run();

 private:
  using Step = Pass (Planner::*)();
  void runSteps(std::span<const Step> steps);
  void advanceCanary();

  // revision_steps.cpp: which revision the stable and canary Deployments run.
  Pass firstDeployment();
  Pass revertToStable();
  Pass continueCanary();
  Pass supersedeCanary();
  Pass unchangedTarget();
  Pass refusedTarget();
  Pass deployWithoutCanary();
  Pass newCanary();
  void deployDirect(const std::string& reason, const std::string& message);
  Change changeOfTarget() const { return in_.change ? in_.change() : Change{}; }
  void steady();
  void holdRefused(const HistoryEntry& failed);
  void startCanary();

  // canary_gates.cpp: the manual gates, and promotion.
  Pass abortGate();
  Pass promoteRequest();
  Pass promotion();
  Pass pauseGate();
  void promote();

  // canary_readiness.cpp: the canary at this step's size, and its progress deadline.
  Pass scaleAndRoute();
  Pass awaitReadyCanary();

  // canary_analysis.cpp: the round due, taken once.
  Pass takeDueRound();
  bool analyse(CanaryStatus& c, const api::AnalysisSpec& an);
  RoundRequest canaryRound(const CanaryStatus& c, const api::AnalysisSpec& an,
                           const std::vector<analysis::MetricCheck>& checks) const;
  analysis::Verdict recordCanaryRound(CanaryStatus& c, const api::AnalysisSpec& an,
                                      analysis::AnalysisRun& run,
                                      const std::vector<analysis::Measurement>& round);
  void announceRound(analysis::Verdict v, const analysis::AnalysisRun& run,
                     const std::string& summary);

  // canary_steps.cpp: the step's clock, holds, and moving on.
  Pass fitStepToSpec();
  Pass startStepClock();
  Pass holdWhilePaused();
  Pass holdWhileMeasured();
  Pass stepOrPromote();
  void nextStep();
  Pass progressMessage();
  WallTime stepEnd() const;
  bool evidence() const;

  // stable_monitoring.cpp: continuous verification of the stable version.
  void monitor(bool requireCurrent = true);
  void takeMonitoringRound(const api::MonitoringSpec& m);
  void recordMonitoringRound(const api::MonitoringSpec& m,
                             const std::vector<analysis::Measurement>& round);
  void judgeMonitoring(const api::MonitoringSpec& m, bool wasDegraded);
  void rollbackStable(const std::string& why);

  // planning.cpp: what every step shares.
  CanaryStatus& canary();
  bool analysed() const;
  const api::CanarySpec* canarySpec() const;
  bool gateway() const;
  void event(bool warning, std::string reason, std::string message);
  void requeueAt(WallTime t);
  void pushHistory(HistoryEntry e);
  void setStable(const Revision& r, const std::string& resolvedAt);
  void endCanary(const char* outcome, const std::string& reason, const std::string& message);
  void rollback(const char* outcome, const std::string& reason, const std::string& message);

  const PlanInput& in_;
  RoundSource& rounds_;
  bool waiting_ = false;  // a due round is being measured elsewhere
  // What the canary steps of one pass learn and share.
  struct CanaryPass {
    int want = 0;        // canary replicas at this step's weight
    bool ready = false;  // the canary is available at that size
    std::string where;   // "step 2 of 3, weight 50% (actual 48%)"
  } pass_;
  Plan plan_;
  RolloutStatus& st_;
};

}  // namespace mlmodel::rollout::planning
