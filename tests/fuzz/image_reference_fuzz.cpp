// Image references come from MLModel specs (spec.image), written by anyone who may apply one.
#include "api/mlmodel.h"
#include "fuzz_input.h"
#include "registry/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  (void)api::imageTag(input);
  (void)api::imageRepository(input);
  (void)registry::isValidDigest(input);
  auto ref = registry::parseImageReference(input);
  if (!ref) return 0;
  // reference.h promises that str() parses back to the same reference.
  auto again = registry::parseImageReference(ref.value().str());
  fuzz::check(again.ok(), "parseImageReference(str()) fails");
  fuzz::check(again.value() == ref.value(), "parseImageReference(str()) differs");
  (void)ref.value().manifestReference();
  return 0;
}
