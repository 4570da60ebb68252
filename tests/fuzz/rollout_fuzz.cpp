// spec.rollout and spec.monitoring alone: a smaller input space than the whole MLModel,
// so the fuzzer reaches the steps, analysis and metrics decoders sooner.
#include "api/rollout.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  auto value = fuzz::json(data, size);
  if (!value) return 0;
  auto rollout = api::decodeRollout(*value);
  if (rollout && rollout.value().canary) {
    for (const auto& step : rollout.value().canary->steps) {
      fuzz::check(step.weight >= 1 && step.weight <= 99, "step weight outside 1..99");
      fuzz::check(step.pause.count() >= 0, "negative pause");
    }
  }
  (void)api::decodeMonitoring(*value);
  return 0;
}
