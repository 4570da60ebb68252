// Warning headers come from the API server, or from whatever answers at its address.
#include "fuzz_input.h"
#include "kube/api_warnings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string header = fuzz::text(data, size);
  std::size_t total = 0;
  for (const auto& text : kube::parseWarnings(header)) {
    fuzz::check(!text.empty(), "an empty warning was kept");
    total += text.size();
  }
  // Each text is unescaped from a quoted string of the header: never longer than it.
  fuzz::check(total <= header.size(), "the warnings outgrew their header");
  return 0;
}
