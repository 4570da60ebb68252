#include "mlflow/client.h"

#include <cpprest/json.h>

#include <algorithm>
#include <set>

#include "core/base_url.h"
#include "core/encoding.h"
#include "core/json_read.h"

namespace mlmodel::mlflow {
namespace {

using Json = web::json::value;

constexpr const char* kApi = "/api/2.0/mlflow/";

// MLflow's own error codes (databricks_pb2.ErrorCode); any other is shown as "error".
std::string errorCodeOf(const std::string& body) {
  std::error_code ec;
  const Json v = Json::parse(body, ec);
  if (ec) return "";
  static const std::set<std::string> kKnown = {"RESOURCE_DOES_NOT_EXIST",
                                               "INVALID_PARAMETER_VALUE",
                                               "PERMISSION_DENIED",
                                               "UNAUTHENTICATED",
                                               "INTERNAL_ERROR",
                                               "TEMPORARILY_UNAVAILABLE",
                                               "BAD_REQUEST",
                                               "INVALID_STATE",
                                               "REQUEST_LIMIT_EXCEEDED",
                                               "RESOURCE_ALREADY_EXISTS",
                                               "ENDPOINT_NOT_FOUND",
                                               "NOT_IMPLEMENTED"};
  const std::string code = core::jsonString(v, {"error_code"});
  if (code.empty()) return "";
  return kKnown.count(code) ? code : "error";
}

std::string replyText(const http::Response& r) {
  const std::string code = errorCodeOf(r.body);
  return "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code);
}

}  // namespace

std::string ModelVersion::tag(const std::string& key) const {
  for (const auto& [k, v] : tags) {
    if (k == key) return v;
  }
  return "";
}

namespace {

// MLflow numbers versions 1, 2, ...: anything else did not come from MLflow.
bool isVersionNumber(const std::string& v) {
  return !v.empty() && v.size() <= 20 && v[0] != '0' &&
         std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What a reply may put into status: run ids are 32 hex digits, sources URIs. Longer ones
// are dropped rather than let a server inflate every history entry.
std::string bounded(const std::string& s, size_t max) {
  return s.size() <= max ? s : std::string();
}

}  // namespace

std::optional<ModelVersion> decodeModelVersion(const Json& v) {
  ModelVersion m;
  m.name = core::jsonString(v, {"name"});
  m.version = core::jsonString(v, {"version"});
  if (m.name.empty() || !isVersionNumber(m.version)) return std::nullopt;
  m.status = core::jsonString(v, {"status"});
  m.runId = bounded(core::jsonString(v, {"run_id"}), 64);
  m.source = bounded(core::jsonString(v, {"source"}), 1024);
  if (const Json* tags = core::jsonFind(v, {"tags"}); tags && tags->is_array()) {
    for (const auto& t : tags->as_array()) {
      const std::string key = core::jsonString(t, {"key"});
      if (!key.empty()) m.tags.emplace_back(key, core::jsonString(t, {"value"}));
    }
  }
  if (const Json* aliases = core::jsonFind(v, {"aliases"}); aliases && aliases->is_array()) {
    for (const auto& a : aliases->as_array()) {
      if (a.is_string()) m.aliases.push_back(a.as_string());
    }
  }
  return m;
}

core::Result<std::unique_ptr<Client>> Client::create(ClientOptions options,
                                                     TransportFactory factory) {
  const auto url = core::splitBaseUrl(options.address);
  if (!url) {
    return core::Error{"MLflow address \"" + options.address +
                           "\" is not an http or https URL such as http://mlflow:5000",
                       0, kReasonInvalid};
  }
  if (!options.bearerToken.empty() && !options.username.empty()) {
    return core::Error{
        "MLflow " + options.address + ": give a bearer token or a username and password, not both",
        0, kReasonInvalid};
  }
  if (!factory) factory = http::makeTransport;
  http::TlsOptions tls;
  tls.caPem = options.caPem;
  auto transport = factory(url->base, tls);
  return std::unique_ptr<Client>(new Client(std::move(options), url->prefix, std::move(transport)));
}

Client::Client(ClientOptions options, std::string prefix,
               std::unique_ptr<http::Transport> transport)
    : options_(std::move(options)),
      prefix_(std::move(prefix)),
      authorization_(
          core::authorizationValue(options_.bearerToken, options_.username, options_.password)),
      transport_(std::move(transport)) {}

core::Result<http::Response> Client::call(http::Request req, const std::string& what) {
  req.headers["Accept"] = "application/json";
  if (!authorization_.empty()) req.headers["Authorization"] = authorization_;
  req.timeout = options_.timeout;
  req.maxBodyBytes = options_.maxReplyBytes;
  auto resp = transport_->send(req);
  const std::string who = "MLflow " + options_.address;
  if (!resp) {
    return core::Error{who + " is unreachable (" + what + "): " + resp.error().message, 0,
                       kReasonUnavailable};
  }
  const int s = resp->status;
  if (s == 401 || s == 403) {
    return core::Error{who + " refused " + what + " (" + replyText(resp.value()) + ")" +
                           (authorization_.empty() ? ": it wants credentials (authSecretRef)"
                                                   : ": check the credentials in authSecretRef"),
                       s, kReasonUnauthorized};
  }
  return resp;
}

core::Result<ModelVersion> Client::readVersion(const std::string& target, const std::string& what,
                                               const char* on404, const char* on400) {
  http::Request req;
  req.target = target;
  auto resp = call(req, what);
  if (!resp) return resp.error();
  const std::string who = "MLflow " + options_.address;
  const int s = resp->status;
  if (s / 100 != 2) {
    const std::string code = errorCodeOf(resp->body);
    // A missing registered model is RESOURCE_DOES_NOT_EXIST (404); MLflow 3 answers a
    // missing alias of an existing model with INVALID_PARAMETER_VALUE (400).
    if ((s == 404 && code == "RESOURCE_DOES_NOT_EXIST") ||
        (s == 400 && code == "INVALID_PARAMETER_VALUE")) {
      return core::Error{who + ": " + what + " not found (" + replyText(resp.value()) + ")", s,
                         s == 404 ? on404 : on400};
    }
    return core::Error{who + " failed " + what + " (" + replyText(resp.value()) + ")", s,
                       kReasonUnavailable};
  }
  std::error_code ec;
  const Json body = Json::parse(resp->body, ec);
  const Json* mv = ec ? nullptr : core::jsonFind(body, {"model_version"});
  auto version = mv ? decodeModelVersion(*mv) : std::nullopt;
  if (!version) {
    return core::Error{who + " did not answer " + what + " like MLflow's REST API (HTTP " +
                           std::to_string(s) + ", " + std::to_string(resp->body.size()) + " bytes)",
                       s, kReasonUnavailable};
  }
  return *version;
}

core::Result<ModelVersion> Client::byAlias(const std::string& model, const std::string& alias) {
  return readVersion(prefix_ + kApi + "registered-models/alias?name=" + core::urlEncode(model) +
                         "&alias=" + core::urlEncode(alias),
                     "alias " + alias + " of registered model " + model, kReasonModelNotFound,
                     kReasonAliasNotFound);
}

core::Result<ModelVersion> Client::byVersion(const std::string& model, const std::string& version) {
  return readVersion(prefix_ + kApi + "model-versions/get?name=" + core::urlEncode(model) +
                         "&version=" + core::urlEncode(version),
                     "version " + version + " of registered model " + model, kReasonVersionNotFound,
                     kReasonVersionNotFound);
}

core::Status Client::setTag(const std::string& model, const std::string& version,
                            const std::string& key, const std::string& value) {
  Json body = Json::object();
  body["name"] = Json::string(model);
  body["version"] = Json::string(version);
  body["key"] = Json::string(key);
  body["value"] = Json::string(value);
  http::Request req;
  req.method = "POST";
  req.target = prefix_ + kApi + "model-versions/set-tag";
  req.headers["Content-Type"] = "application/json";
  req.body = body.serialize();
  const std::string what = "tag " + key + " on version " + version + " of " + model;
  auto resp = call(req, "setting " + what);
  if (!resp) return resp.error();
  if (resp->status / 100 != 2) {
    return core::Error{
        "MLflow " + options_.address + " refused " + what + " (" + replyText(resp.value()) + ")",
        resp->status, resp->status == 404 ? kReasonVersionNotFound : kReasonUnavailable};
  }
  return core::Ok{};
}

}  // namespace mlmodel::mlflow
