// WWW-Authenticate headers come from any registry an image names.
#include "fuzz_input.h"
#include "registry/auth_challenge.h"
#include "registry/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  for (const auto& c : registry::detail::parseWwwAuthenticate(fuzz::text(data, size))) {
    // auth_challenge.h promises lower-case schemes and parameter names.
    fuzz::check(c.scheme == registry::detail::toLower(c.scheme), "scheme not lower-case");
    for (const auto& [name, value] : c.params) {
      fuzz::check(name == registry::detail::toLower(name), "parameter name not lower-case");
    }
  }
  return 0;
}
