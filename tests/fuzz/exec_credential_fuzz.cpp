// An ExecCredential is what a credential plugin printed on its stdout.
#include "fuzz_input.h"
#include "kube/exec_credential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  for (const char* apiVersion : {kube::kExecApiV1, kube::kExecApiV1beta1}) {
    (void)kube::parseExecCredential(input, apiVersion);
  }
  // exec_credential.h: an error never quotes the output, which holds a secret. So the
  // same output with another token fails with the same words.
  auto doc = fuzz::json(data, size);
  if (!doc || !doc->is_object() || !doc->has_object_field("status")) return 0;
  auto& status = doc->at("status");
  if (!status.has_string_field("token") || status.at("token").as_string().empty()) return 0;
  auto other = *doc;
  other["status"]["token"] = web::json::value::string(status.at("token").as_string() + "-2");
  auto mine = kube::parseExecCredential(doc->serialize(), kube::kExecApiV1);
  auto theirs = kube::parseExecCredential(other.serialize(), kube::kExecApiV1);
  fuzz::check(mine.ok() == theirs.ok(), "the token's value decides success");
  if (!mine) {
    fuzz::check(mine.error().message == theirs.error().message, "the error depends on the token");
  }
  return 0;
}
