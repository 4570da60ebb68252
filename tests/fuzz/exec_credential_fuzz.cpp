// An ExecCredential is what a credential plugin printed on its stdout.
#include "fuzz_input.h"
#include "kube/exec_credential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  // The token, when the output holds one long enough to be told from the error's words.
  std::string token;
  if (auto doc = fuzz::json(data, size); doc && doc->is_object() && doc->has_field("status")) {
    const auto& status = doc->at("status");
    if (status.is_object() && status.has_string_field("token")) {
      token = status.at("token").as_string();
    }
  }
  for (const char* apiVersion : {kube::kExecApiV1, kube::kExecApiV1beta1}) {
    auto cred = kube::parseExecCredential(input, apiVersion);
    // exec_credential.h: the error never quotes the output, which holds a secret.
    if (!cred && token.size() >= 8) {
      fuzz::check(cred.error().message.find(token) == std::string::npos, "error quotes token");
    }
  }
  return 0;
}
