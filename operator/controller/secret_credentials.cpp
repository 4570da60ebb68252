#include "controller/secret_credentials.h"

#include "core/encoding.h"

namespace mlmodel::controller {
namespace {

using Json = web::json::value;

std::string decoded(const Json& data, const char* key) {
  if (!data.is_object() || !data.has_string_field(key)) return "";
  auto r = core::base64Decode(data.at(key).as_string());
  return r ? r.value() : "";
}

core::Result<Json> secretData(kube::Client& client, const std::string& ns, const std::string& name,
                              const std::string& server, const std::string& reason) {
  auto s = client.get(kube::resources::secrets, ns, name);
  if (!s) {
    return core::Error{"Secret " + ns + "/" + name + " for " + server + ": " + s.error().message, 0,
                       reason};
  }
  return s.value().has_object_field("data") ? s.value().at("data") : Json::object();
}

}  // namespace

core::Result<SecretCredentials> readSecretCredentials(kube::Client& client, const std::string& ns,
                                                      const std::string& authSecret,
                                                      const std::string& caSecret,
                                                      const std::string& server,
                                                      const std::string& reason) {
  SecretCredentials c;
  if (!authSecret.empty()) {
    auto data = secretData(client, ns, authSecret, server, reason);
    if (!data) return data.error();
    c.bearerToken = decoded(data.value(), "token");
    if (c.bearerToken.empty()) {
      c.username = decoded(data.value(), "username");
      c.password = decoded(data.value(), "password");
    }
    if (c.bearerToken.empty() && c.username.empty()) {
      return core::Error{
          "Secret " + ns + "/" + authSecret + " has neither `token` nor `username` and `password`",
          0, reason};
    }
  }
  if (!caSecret.empty()) {
    auto data = secretData(client, ns, caSecret, server, reason);
    if (!data) return data.error();
    c.caPem = decoded(data.value(), "ca.crt");
    if (c.caPem.empty()) {
      return core::Error{"Secret " + ns + "/" + caSecret + " has no `ca.crt`", 0, reason};
    }
  }
  return c;
}

}  // namespace mlmodel::controller
