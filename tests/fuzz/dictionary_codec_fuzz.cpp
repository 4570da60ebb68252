// The informer cache's codec inflates only what it deflated itself, but a corrupt entry
// must fail with an exception, never read or write out of bounds. The input is
// "dictionary\0packed".
#include <stdexcept>

#include "fuzz_input.h"
#include "kube/dictionary_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  const auto nul = input.find('\0');
  const std::string dictionary = input.substr(0, nul);
  const std::string packed = nul == std::string::npos ? std::string() : input.substr(nul + 1);
  const kube::DictionaryCodec codec(dictionary);
  try {
    (void)codec.decompress(packed);
  } catch (const std::runtime_error&) {
    // Undecodable: the documented outcome.
  }
  fuzz::check(codec.decompress(codec.compress(packed)) == packed, "round trip differs");
  return 0;
}
