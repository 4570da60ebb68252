// Kubeconfig files (KUBECONFIG, ~/.kube/config) are YAML written by hand or by tools.
#include "fuzz_input.h"
#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  auto parsed = kube::parseKubeconfig(fuzz::text(data, size), "/fuzz/home/.kube/config");
  if (!parsed) return 0;
  kube::Kubeconfig merged;
  kube::mergeKubeconfig(merged, parsed.value());
  return 0;
}
