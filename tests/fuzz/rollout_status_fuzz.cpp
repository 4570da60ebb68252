// status.rollout is read back from the API server, where anyone allowed to write the
// status subresource (or an older operator) may have left anything.
#include "fuzz_input.h"
#include "rollout/status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  auto status = fuzz::json(data, size);
  if (!status) return 0;
  auto decoded = rollout::decodeRolloutStatus(*status);
  // What the operator writes it must read back as written.
  web::json::value written = web::json::value::object();
  rollout::encodeRolloutStatus(decoded, written);
  web::json::value rewritten = web::json::value::object();
  rollout::encodeRolloutStatus(rollout::decodeRolloutStatus(written), rewritten);
  fuzz::check(written.serialize() == rewritten.serialize(), "status does not round-trip");
  return 0;
}
