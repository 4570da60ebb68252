// An ExecCredential is what a credential plugin printed on its stdout.
#include <utility>

#include "fuzz_input.h"
#include "kube/exec_credential.h"

namespace {

// status.token when the output holds one long enough to be told from an error's words.
// Errors quote kind, apiVersion and the expiry by design (they name what is wrong), so an
// input that repeats the token in one of those is not checked.
std::string tokenToWatch(const web::json::value& doc) {
  if (!doc.is_object() || !doc.has_object_field("status")) return {};
  const auto& status = doc.at("status");
  if (!status.has_string_field("token")) return {};
  std::string token = status.at("token").as_string();
  if (token.size() < 8) return {};
  for (const auto& [object, field] : {std::pair{&doc, "kind"}, std::pair{&doc, "apiVersion"},
                                      std::pair{&status, "expirationTimestamp"}}) {
    if (object->has_string_field(field) &&
        object->at(field).as_string().find(token) != std::string::npos) {
      return {};
    }
  }
  return token;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  const std::string input = fuzz::text(data, size);
  const auto doc = fuzz::json(data, size);
  const std::string token = doc ? tokenToWatch(*doc) : std::string();
  for (const char* apiVersion : {kube::kExecApiV1, kube::kExecApiV1beta1}) {
    auto cred = kube::parseExecCredential(input, apiVersion);
    // exec_credential.h: the error never quotes the output, which holds a secret.
    if (!cred && !token.empty()) {
      fuzz::check(cred.error().message.find(token) == std::string::npos, "error quotes token");
    }
  }
  return 0;
}
