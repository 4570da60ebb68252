// MLModel objects come from the API server as users wrote them; the CRD's schema checks
// much, but not all (older CRDs, unknown fields kept, x-kubernetes-preserve-unknown-fields).
#include "api/mlmodel.h"
#include "api/rollout.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  auto object = fuzz::json(data, size);
  if (!object) return 0;
  auto model = api::decodeMLModel(*object);
  if (!model) return 0;
  api::applyDefaults(model.value());
  (void)api::validate(model.value());
  const auto& spec = model.value().spec;
  if (!spec.rollout.is_null()) (void)api::decodeRollout(spec.rollout);
  if (!spec.monitoring.is_null()) (void)api::decodeMonitoring(spec.monitoring);
  return 0;
}
