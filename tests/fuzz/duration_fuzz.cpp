// Durations come from MLModel specs (steps' pauses, analysis intervals, deadlines).
#include "analysis/template.h"
#include "api/rollout.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  auto d = api::parseDuration(fuzz::text(data, size));
  if (!d) return 0;
  fuzz::check(d->count() >= 0, "negative duration");
  // {{interval}} in a query: what the spec said, in Prometheus' words.
  fuzz::check(!analysis::promDuration(*d).empty(), "empty Prometheus duration");
  return 0;
}
