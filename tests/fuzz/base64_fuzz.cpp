// base64 arrives in Secrets (docker config auths), kubeconfig *-data fields and tokens.
#include "core/encoding.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  auto decoded = core::base64Decode(input);
  if (decoded) {
    // What decodes encodes to the canonical form, which decodes to the same bytes.
    auto again = core::base64Decode(core::base64Encode(decoded.value()));
    fuzz::check(again.ok() && again.value() == decoded.value(), "decode(encode(x)) != x");
  }
  auto round = core::base64Decode(core::base64Encode(input));
  fuzz::check(round.ok() && round.value() == input, "decode(encode(input)) != input");
  (void)core::urlEncode(input);
  const std::string short_ = core::excerpt(input, 40);
  fuzz::check(short_.find('\n') == std::string::npos, "excerpt spans lines");
  return 0;
}
